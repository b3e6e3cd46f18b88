import Foundation

/// Cuts quoted text, attributions, forwarded blocks and signatures from a reply, keeping what the member wrote.
///
/// ```swift
/// let reply = ReplyTrimmer.trim(message.textBody)
/// let command = reply.newText.split(whereSeparator: \.isWhitespace).first  // "ACCEPT"
/// ```
///
/// It works as Discourse's email_reply_trimmer does: classify every line (``LineClassifier``), then cut
/// by the shape of the sequence. In order:
/// 1. everything from the first delimiter line (`-- `, `_____`) on is cut; a delimiter with only blank
///    lines above it opens a signature block placed above the quote, and only that block is cut;
/// 2. client signatures ("Sent from my iPhone") are removed wherever they are;
/// 3. when the reply sits below the quote (attribution first, text only at the end), the text at the end
///    is kept;
/// 4. otherwise, at the first attribution that follows text, the rest is cut when no quote follows it,
///    or when the quote after it is followed by fewer than seven lines of text (a signature, not an
///    interleaved answer);
/// 5. a block of three or more header fields (Outlook's "From:/Sent:/To:") cuts the rest when text
///    precedes it, and is removed when it opens the reply;
/// 6. remaining attributions and every quoted line are removed — refbot reads commands from new text
///    only, so interleaved quotes are dropped too;
/// 7. a copy of refbot's own notification that was pasted without quoting (a line naming both ACCEPT and
///    REJECT after the member's first line, or "Reply ACCEPT …") is cut with everything after it.
///
/// Work is linear in the number of lines (each line is classified once and looked ahead at most five
/// lines), so pathological input such as 100 000 quote lines is cheap.
public enum ReplyTrimmer {
    /// Splits `body` into new text and elided text.
    public static func trim(_ body: String) -> TrimmedReply {
        var body = body
        let (newText, elided) = body.withUTF8 { trim(ReplyLines($0)) }
        // `body` is contiguous UTF-8 now: the cut lines' ranges are of its bytes
        return TrimmedReply(newText: newText, source: body, elidedRanges: elided)
    }

    /// Work is on the UTF-8 bytes of the body (``ReplyLines``); only the new text is made as a string
    /// here (the cut lines are returned as ranges, made into text when read).
    private static func trim(_ lines: borrowing ReplyLines) -> (newText: String, elided: [Range<Int>]) {
        let kinds = lines.kinds
        let count = lines.count
        var keep = [Bool](repeating: true, count: count)
        var end = count  // lines at or after `end` are cut

        // 1. the first delimiter ends the new text, unless nothing but blank lines precede it: then it
        //    opens a signature block that a client put above the quote (the member writes below the
        //    quote), and the block up to the next attribution, quote or header goes
        var searchFrom = 0
        if let delimiter = kinds.firstIndex(of: .delimiter), kinds[..<delimiter].allSatisfy({ $0 == .empty }) {
            let blockEnd = kinds[delimiter...].firstIndex { $0 == .marker || $0 == .quote || $0 == .header }
            if let blockEnd {
                for index in delimiter..<blockEnd { keep[index] = false }
                searchFrom = blockEnd
            }
        }
        if let delimiter = kinds[searchFrom...].firstIndex(of: .delimiter) { end = delimiter }

        // 2. signatures go wherever they are
        for index in 0..<end where kinds[index] == .signature { keep[index] = false }

        func kind(_ index: Int) -> LineKind { kinds[index] }
        func isQuoted(_ kind: LineKind) -> Bool { kind == .quote || kind == .marker || kind == .header }
        let firstContent = (0..<end).first { keep[$0] && kind($0) != .empty }

        // 3. reply below the quote: [marker, then only quotes/markers/headers/empties], then text to the end
        var handled = false
        if let firstContent, kind(firstContent) == .marker {
            let lastQuoted = (0..<end).last { keep[$0] && isQuoted(kind($0)) }
            if let lastQuoted {
                var textBetween = false
                for index in (firstContent + 1)..<max(firstContent + 1, lastQuoted) where keep[index] && kind(index) == .text {
                    textBetween = true
                    break
                }
                var textAfter = false
                var onlyTextAfter = true
                for index in (lastQuoted + 1)..<max(lastQuoted + 1, end) where keep[index] {
                    if kind(index) == .text { textAfter = true } else if kind(index) != .empty { onlyTextAfter = false }
                }
                if !textBetween, textAfter, onlyTextAfter {
                    for index in 0...lastQuoted where keep[index] { keep[index] = false }
                    handled = true
                }
            }
        }

        // 4. an attribution after text (suffix tables keep this linear)
        if !handled, let firstContent, kind(firstContent) != .marker {
            var quoteAfter = [Bool](repeating: false, count: end + 1)
            var textCountFrom = [Int](repeating: 0, count: end + 1)
            var nextText = [Int](repeating: end, count: end + 1)
            var lastOther = -1  // last live line that is neither text nor empty
            for index in stride(from: end - 1, through: 0, by: -1) {
                let isLive = keep[index]
                quoteAfter[index] = quoteAfter[index + 1] || (isLive && kind(index) == .quote)
                textCountFrom[index] = textCountFrom[index + 1] + (isLive && kind(index) == .text ? 1 : 0)
                nextText[index] = isLive && kind(index) == .text ? index : nextText[index + 1]
                if lastOther < 0, isLive, kind(index) != .text, kind(index) != .empty { lastOther = index }
            }
            var previousContent: LineKind?
            for index in 0..<end where keep[index] {
                if kind(index) == .marker, previousContent == .text {
                    if !quoteAfter[index + 1] {
                        end = index
                        break
                    }
                    // quotes follow: cut when only a short tail of text comes after the quoted block
                    let tail = nextText[index + 1]
                    if tail > lastOther, textCountFrom[tail] < 7 {
                        end = index
                        break
                    }
                }
                if kind(index) != .empty { previousContent = kind(index) }
            }
        }

        // 5. a quoted message's header block
        let firstKeptText = (0..<end).first { keep[$0] && kind($0) == .text }
        var index = 0
        while index < end {
            guard keep[index], kind(index) == .header else {
                index += 1
                continue
            }
            // the block: header fields and wrapped values, up to an empty line
            var blockEnd = index
            var fields = 0
            var look = index
            while look < end, kind(look) != .empty {
                if kind(look) == .header {
                    fields += 1
                    blockEnd = look
                } else if kind(look) != .text && kind(look) != .signature {
                    break
                }
                look += 1
            }
            if fields >= 3 {
                if let firstKeptText, firstKeptText < index {
                    end = index
                    break
                }
                for removed in index...blockEnd { keep[removed] = false }
            }
            index = blockEnd + 1
        }

        // 6. attributions, stray headers and all quoted lines
        for index in 0..<end where kind(index) == .marker || kind(index) == .quote {
            keep[index] = false
        }

        // 7. an unquoted copy of refbot's own notification
        let bytes = lines.bytes
        let kept = (0..<end).filter { keep[$0] }
        let firstText = kept.first { !isBlank(bytes, lines.ranges[$0]) }
        for (position, index) in kept.enumerated() where index != firstText && namesBothCommands(lines, index) {
            // cut from the start of that line's paragraph
            var start = position
            while start > 0, kept[start - 1] != firstText, !isBlank(bytes, lines.ranges[kept[start - 1]]) {
                start -= 1
            }
            end = kept[start]
            break
        }

        var newLines: [Range<Int>] = []
        var elidedLines: [Range<Int>] = []
        newLines.reserveCapacity(min(end, count))
        elidedLines.reserveCapacity(count - kept.count)
        for index in 0..<count {
            if index < end && keep[index] {
                newLines.append(lines.ranges[index])
            } else {
                elidedLines.append(lines.ranges[index])
            }
        }
        return (tidy(bytes, newLines), elidedLines)
    }

    /// Whether the line holds nothing but blanks (``TextLines/isBlank(_:)-(StringProtocol)``).
    private static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        UTF8Text.trimBlanks(bytes, range).isEmpty
    }

    /// ``namesBothCommands(_:)``, read as a string only when the line holds both words.
    private static func namesBothCommands(_ lines: borrowing ReplyLines, _ index: Int) -> Bool {
        let line = lines.bytes[lines.ranges[index]]
        guard line.count >= 13, UTF8Text.contains(line, accept), UTF8Text.contains(line, reject) else { return false }
        return namesBothCommands(lines.string(index))
    }

    private static let accept = Array("ACCEPT".utf8)
    private static let reject = Array("REJECT".utf8)

    /// Joins lines, collapsing runs of blank lines and trimming blank lines and whitespace at both ends
    /// (each line without trailing spaces, tabs and CRs; leading lines that are blank dropped; the first
    /// line without leading and trailing spaces, tabs and no-break spaces).
    static func tidy(_ bytes: UnsafeBufferPointer<UInt8>, _ lines: [Range<Int>]) -> String {
        var output: [Range<Int>] = []
        output.reserveCapacity(lines.count)
        for line in lines {
            var end = line.upperBound
            while end > line.lowerBound, bytes[end - 1] == 32 || bytes[end - 1] == 9 || bytes[end - 1] == 13 { end -= 1 }
            let trimmed = line.lowerBound..<end
            if trimmed.isEmpty, output.last?.isEmpty ?? true { continue }
            output.append(trimmed)
        }
        while output.last?.isEmpty == true { output.removeLast() }
        var first = 0
        while first < output.count, isBlank(bytes, output[first]) { first += 1 }
        guard first < output.count else { return "" }
        // leading blanks of the first line go too, so the first word is the command
        var head = output[first]
        var start = head.lowerBound
        var stop = head.upperBound
        while start < stop {
            if bytes[start] == 32 || bytes[start] == 9 {
                start += 1
            } else if bytes[start] == 0xC2, start + 1 < stop, bytes[start + 1] == 0xA0 {
                start += 2
            } else {
                break
            }
        }
        while stop > start {
            if bytes[stop - 1] == 32 || bytes[stop - 1] == 9 {
                stop -= 1
            } else if bytes[stop - 1] == 0xA0, stop - 2 >= start, bytes[stop - 2] == 0xC2 {
                stop -= 2
            } else {
                break
            }
        }
        head = start..<stop
        output[first] = head
        var size = -1
        for line in output[first...] { size += line.count + 1 }
        guard size > 0, let base = bytes.baseAddress else { return "" }
        // written straight into the string's storage; the lines are whole UTF-8 sequences of a valid
        // body (`String.withUTF8`), so the text is valid as it is
        return String(unsafeUninitializedCapacity: size) { text in
            guard let out = text.baseAddress else { return 0 }
            var at = 0
            for (position, line) in output[first...].enumerated() {
                if position > 0 {
                    out[at] = 10
                    at += 1
                }
                (out + at).initialize(from: base + line.lowerBound, count: line.count)
                at += line.count
            }
            return at
        }
    }

    /// Whether a line names both reply commands of a referral notification ("Reply ACCEPT … or REJECT …").
    private static func namesBothCommands(_ line: String) -> Bool {
        let words = line.split(whereSeparator: { !$0.isLetter })
        return words.contains("ACCEPT") && words.contains("REJECT")
    }

}
