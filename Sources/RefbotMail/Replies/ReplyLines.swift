/// The lines of a reply body, classified on their UTF-8 bytes for ``ReplyTrimmer``.
///
/// Each line is a byte range of the body. Lines whose every scalar is a character of its own
/// (``UTF8Text/isStandaloneText(_:_:)``: Latin, Greek, Cyrillic, CJK, Hangul, punctuation) are classified on
/// bytes, with a lowercased copy made once into a shared buffer; any other line (combining marks, emoji
/// sequences, scripts outside that list) goes through ``LineClassifier/kind(_:)`` on a `String`, so both give
/// the same kinds. Every line is classified once and looked back at from at most four lines later.
struct ReplyLines {
    let bytes: UnsafeBufferPointer<UInt8>
    /// Each line's bytes, without its line break.
    private(set) var ranges: [Range<Int>] = []
    /// Each line's kind.
    private(set) var kinds: [LineKind] = []
    /// Each line's ``Flags``: one small array rather than one array a fact.
    private var flags: [UInt8] = []
    /// The lowercased, trimmed form of each line, once made: `lowered[bounds[2 * line]..<bounds[2 * line + 1]]`
    /// (plain `Int`s: an array of them needs no type looked up at run time, as one of optional ranges does).
    private var loweredBounds: [Int] = []
    private var lowered: [UInt8] = []

    private enum Flags {
        /// The line is ASCII only (standalone, and lowercased a byte at a time).
        static let ascii: UInt8 = 1
        /// The line is standalone text (classified on bytes).
        static let standalone: UInt8 = 2
        /// The lowered form is made (``loweredBounds``).
        static let lowered: UInt8 = 4
        /// The lowered form is standalone text too (its character count is its scalar count).
        static let loweredStandalone: UInt8 = 8
    }

    private func has(_ line: Int, _ flag: UInt8) -> Bool { flags[line] & flag != 0 }

    /// Splits `bytes` at LF, CRLF and lone CR (a final line break yields a final empty line) and classifies
    /// every line.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        var start = 0
        var index = 0
        let count = bytes.count
        var high = false
        // replies run to short lines (quotes, blanks, signatures): about 23 bytes at the median
        ranges.reserveCapacity(count / 16 + 4)
        flags.reserveCapacity(count / 16 + 4)
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        while index < count {
            // eight bytes at a time while they hold no line break (a zero byte of word ^ LF or word ^ CR)
            if index + 8 <= count, let base = bytes.baseAddress {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                let lf = word ^ (ones &* 10)
                let cr = word ^ (ones &* 13)
                if ((lf &- ones) & ~lf | (cr &- ones) & ~cr) & highs == 0 {
                    if word & highs != 0 { high = true }
                    index += 8
                    continue
                }
            }
            let byte = bytes[index]
            if byte >= 0x80 {
                high = true
            } else if byte == 10 || byte == 13 {
                ranges.append(start..<index)
                flags.append(high ? 0 : Flags.ascii | Flags.standalone)
                high = false
                if byte == 13, index + 1 < count, bytes[index + 1] == 10 { index += 1 }
                start = index + 1
            }
            index += 1
        }
        ranges.append(start..<count)
        flags.append(high ? 0 : Flags.ascii | Flags.standalone)
        // an ASCII line holds no CR LF (lines end there), so every character is a scalar of its own
        for line in ranges.indices where flags[line] == 0 && UTF8Text.isStandaloneText(bytes, ranges[line]) {
            flags[line] = Flags.standalone
        }
        loweredBounds = [Int](repeating: 0, count: 2 * ranges.count)
        lowered.reserveCapacity(count)
        kinds.reserveCapacity(ranges.count)
        for line in ranges.indices { kinds.append(kind(line)) }
        markWrappedAttributions()
    }

    var count: Int { ranges.count }

    func string(_ line: Int) -> String { UTF8Text.string(bytes, ranges[line]) }

    // MARK: - One line

    private mutating func kind(_ line: Int) -> LineKind {
        guard has(line, Flags.standalone) else { return LineClassifier.kind(string(line)) }
        let range = ranges[line]
        let trimmed = UTF8Text.trimBlanks(bytes, range)
        if trimmed.isEmpty { return .empty }
        if isQuote(range) { return .quote }
        if isDelimiter(range, trimmed) { return .delimiter }
        let lower = loweredLine(line)
        if isEmbeddedMarker(line, lower) { return .marker }
        if isSingleLineAttribution(line, lower) { return .marker }
        if isGmailDateLine(line, lower) { return .marker }
        if isSignature(line, lower) { return .signature }
        if isHeader(line, lower) { return .header }
        return .text
    }

    /// `> text`, `>text`, and `Name> text` (a short run of ASCII letters before `>`).
    private func isQuote(_ range: Range<Int>) -> Bool {
        var letters = 0
        for index in range {
            let byte = bytes[index]
            if byte == UInt8(ascii: ">") { return true }
            if byte == 32 || byte == 9 {
                if letters > 0 { return false }
                continue
            }
            guard UTF8Text.isASCIILetter(byte), letters < 10 else { return false }
            letters += 1
        }
        return false
    }

    /// `--`, `-- `, `______`, `======`, `+++++`, `*****`, `~~~~~`: a line made of one separator character.
    private func isDelimiter(_ range: Range<Int>, _ trimmed: Range<Int>) -> Bool {
        let line = bytes[range]
        if line.count >= 2, line.count <= 4, line[range.lowerBound] == 45, line[range.lowerBound + 1] == 45 {
            let rest = line.dropFirst(2)
            if rest.isEmpty || rest.elementsEqual([32]) || rest.elementsEqual([0xC2, 0xA0]) { return true }
        }
        let first = bytes[trimmed.lowerBound]
        guard first == 45 || first == 95 || first == 61 || first == 43 || first == 42 || first == 126 else { return false }
        for index in trimmed where bytes[index] != first { return false }
        return trimmed.count >= (first == 45 ? 2 : 3)
    }

    /// The lowercased, blank-trimmed line with no-break spaces as spaces (made once, then kept).
    private mutating func loweredLine(_ line: Int) -> Range<Int> {
        if has(line, Flags.lowered) { return loweredBounds[2 * line]..<loweredBounds[2 * line + 1] }
        let start = lowered.count
        var isStandalone = false
        if has(line, Flags.ascii) {
            let trimmed = UTF8Text.trimBlanks(bytes, ranges[line])
            lowered.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[trimmed]))
            lowered.withUnsafeMutableBufferPointer { buffer in
                for position in start..<buffer.count where buffer[position] &- 0x41 < 26 { buffer[position] |= 0x20 }
            }
            return made(line, start, standalone: true)
        }
        if has(line, Flags.standalone) {
            let trimmed = UTF8Text.trimBlanks(bytes, ranges[line])
            isStandalone = UTF8Text.appendLowercased(bytes, trimmed, to: &lowered)
            if !isStandalone { lowered.removeSubrange(start...) }
        }
        if !isStandalone {
            let text = LineClassifier.normalizedLower(TextLines.trim(string(line)))
            lowered.append(contentsOf: text.utf8)
        }
        return made(line, start, standalone: isStandalone)
    }

    /// Records `lowered[start...]` as the line's lowered form.
    private mutating func made(_ line: Int, _ start: Int, standalone: Bool) -> Range<Int> {
        loweredBounds[2 * line] = start
        loweredBounds[2 * line + 1] = lowered.count
        flags[line] |= Flags.lowered | (standalone ? Flags.loweredStandalone : 0)
        return start..<lowered.count
    }

    /// The number of characters (grapheme clusters) of a lowered line, or of part of one, is at most `limit`.
    private func loweredCount(_ line: Int, _ range: Range<Int>, atMost limit: Int) -> Bool {
        if range.count <= limit { return true }
        return loweredCount(line, range) <= limit
    }

    /// The number of characters (grapheme clusters) of a lowered line, or of part of one.
    private func loweredCount(_ line: Int, _ range: Range<Int>) -> Int {
        if has(line, Flags.loweredStandalone) {
            var scalars = 0
            for index in range where lowered[index] & 0xC0 != 0x80 { scalars += 1 }
            return scalars
        }
        return String(decoding: lowered[range], as: UTF8.self).count
    }

    private func hasPrefix(_ range: Range<Int>, anyOf prefixes: PatternTable) -> Bool {
        guard let first = range.first else { return false }
        return prefixes.byFirstByte[Int(lowered[first])].contains { prefix in
            prefix.count <= range.count && lowered[range.lowerBound..<(range.lowerBound + prefix.count)].elementsEqual(prefix)
        }
    }

    /// Whether the lowered range is exactly one of the patterns (compared as bytes, without a copy).
    private func isOne(_ range: Range<Int>, of patterns: PatternTable) -> Bool {
        guard let first = range.first else { return false }
        return patterns.byFirstByte[Int(lowered[first])].contains { pattern in
            pattern.count == range.count && lowered[range].elementsEqual(pattern)
        }
    }

    private func hasSuffix(_ range: Range<Int>, anyOf suffixes: PatternTable) -> Bool {
        guard let last = range.last else { return false }
        return suffixes.byLastByte[Int(lowered[last])].contains { suffix in
            suffix.count <= range.count && lowered[(range.upperBound - suffix.count)..<range.upperBound].elementsEqual(suffix)
        }
    }

    /// Byte patterns grouped by their first and by their last byte, so a line is compared only with the
    /// patterns that can match it.
    struct PatternTable {
        var byFirstByte = [[[UInt8]]](repeating: [], count: 256)
        var byLastByte = [[[UInt8]]](repeating: [], count: 256)

        init(_ patterns: [String]) {
            for pattern in patterns {
                let bytes = Array(pattern.utf8)
                guard let first = bytes.first, let last = bytes.last else { continue }
                byFirstByte[Int(first)].append(bytes)
                byLastByte[Int(last)].append(bytes)
            }
        }
    }

    private static let attributionEndings = PatternTable(QuoteHeaderPatterns.attributionEndings)
    private static let attributionStarts = PatternTable(QuoteHeaderPatterns.attributionStarts)
    private static let signatureStarts = PatternTable(QuoteHeaderPatterns.signatureStarts)
    private static let signatureEndings = PatternTable(QuoteHeaderPatterns.signatureEndings)
    private static let embeddedMessageMarkers = PatternTable(QuoteHeaderPatterns.embeddedMessageMarkers)
    private static let fromMy = PatternTable(["from my "])
    private static let devices = PatternTable(LineClassifier.devices)

    /// Whether a lowered line holds the ASCII character `byte` (as a character of its own, as `String.contains`).
    private func contains(_ line: Int, _ range: Range<Int>, _ byte: UInt8) -> Bool {
        guard lowered[range].contains(byte) else { return false }
        if has(line, Flags.loweredStandalone) { return true }
        return String(decoding: lowered[range], as: UTF8.self).contains(Character(Unicode.Scalar(byte)))
    }

    /// Whether the first character of the range is a number (`Character.isNumber`: its first scalar has a
    /// numeric type).
    private func startsWithNumber(_ range: Range<Int>) -> Bool {
        guard let first = range.first else { return false }
        if lowered[first] < 0x80 { return lowered[first] >= 0x30 && lowered[first] <= 0x39 }
        return UTF8Text.scalar(in: lowered, at: first).scalar.properties.numericType != nil
    }

    /// Whether any character of the range is a number.
    private func containsNumber(_ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = lowered[index]
            if byte < 0x80 {
                if byte >= 0x30 && byte <= 0x39 { return true }
                index += 1
                continue
            }
            let (scalar, length) = UTF8Text.scalar(in: lowered, at: index)
            if scalar.properties.numericType != nil { return true }
            index += length
        }
        return false
    }

    private func trim(_ range: Range<Int>, _ isTrimmed: (UInt8) -> Bool) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end, isTrimmed(lowered[start]) { start += 1 }
        while end > start, isTrimmed(lowered[end - 1]) { end -= 1 }
        return start..<end
    }

    private func isEmbeddedMarker(_ line: Int, _ lower: Range<Int>) -> Bool {
        guard loweredCount(line, lower, atMost: 80) else { return false }
        let core = trim(lower) { byte in
            byte == 45 || byte == 95 || byte == 42 || byte == 61 || byte == 62 || byte == 32 || byte == 9 || byte == 58
        }
        return hasPrefix(core, anyOf: ReplyLines.embeddedMessageMarkers)
    }

    /// A whole attribution on one line: it ends like one, and has a date, an address or a start word.
    private func isSingleLineAttribution(_ line: Int, _ lower: Range<Int>) -> Bool {
        guard hasSuffix(lower, anyOf: ReplyLines.attributionEndings), loweredCount(line, lower, atMost: 300)
        else { return false }
        return looksLikeAttributionStart(line, lower) || contains(line, lower, UInt8(ascii: "@")) || containsNumber(lower)
    }

    private func looksLikeAttributionStart(_ line: Int, _ lower: Range<Int>) -> Bool {
        hasStrongStart(lower) || contains(line, lower, UInt8(ascii: "@")) || contains(line, lower, UInt8(ascii: "<"))
    }

    /// A start word ("On ", "Am ", "Le ") or a leading digit.
    private func hasStrongStart(_ lower: Range<Int>) -> Bool {
        hasPrefix(lower, anyOf: ReplyLines.attributionStarts) || startsWithNumber(lower)
    }

    /// Gmail's date-first attribution without a verb: `2016-03-03 17:21 GMT+01:00 Some One`, `2013/7/20 sam …`.
    private func isGmailDateLine(_ line: Int, _ lower: Range<Int>) -> Bool {
        // the first 12 scalars (a non-ASCII one is never a digit or a separator here)
        var index = lower.lowerBound
        func digits() -> Int {
            var count = 0
            while index < lower.upperBound, lowered[index] >= 0x30, lowered[index] <= 0x39 {
                index += 1
                count += 1
            }
            return count
        }
        guard digits() == 4, index < lower.upperBound, index - lower.lowerBound < 12 else { return false }
        let separator = lowered[index]
        guard separator == UInt8(ascii: "-") || separator == UInt8(ascii: "/") else { return false }
        index += 1
        let month = digits()
        guard month > 0, index < lower.upperBound, index - lower.lowerBound < 12, lowered[index] == separator else {
            return false
        }
        index += 1
        let dayStart = index
        let day = digits()
        // the day's digits count only within the first 12 scalars
        let dayEnd = min(index, lower.lowerBound + 12)
        guard day > 0, dayEnd > dayStart else { return false }
        // the date must be followed by more (a time or a name), and the line must be short
        guard loweredCount(line, lower, atMost: 200) else { return false }
        var scalars = 0
        for position in lower where lowered[position] & 0xC0 != 0x80 { scalars += 1 }
        return scalars > (dayEnd - lower.lowerBound) + 1
    }

    private func isSignature(_ line: Int, _ lower: Range<Int>) -> Bool {
        guard loweredCount(line, lower, atMost: 120) else { return false }
        let core = trim(lower) { byte in
            byte == 40 || byte == 41 || byte == 60 || byte == 62 || byte == 91 || byte == 93 || byte == 42 || byte == 95
                || byte == 32 || byte == 9
        }
        if hasPrefix(core, anyOf: ReplyLines.signatureStarts) {
            let text = lowered[core]
            if text.allSatisfy({ $0 < 0x80 }) { return !LineClassifier.continuesAsSentence(ascii: text) }
            return !LineClassifier.continuesAsSentence(String(decoding: text, as: UTF8.self))
        }
        if hasSuffix(lower, anyOf: ReplyLines.signatureEndings) { return true }
        // From My Iphone 6
        if hasPrefix(core, anyOf: ReplyLines.fromMy) {
            let device = (core.lowerBound + 8)..<core.upperBound
            return hasPrefix(device, anyOf: ReplyLines.devices)
        }
        return false
    }

    private static let headerNames = PatternTable(Array(QuoteHeaderPatterns.headerNames))

    /// `From: …`, `*From:* …`, `Sent: …` in the languages of ``QuoteHeaderPatterns/headerNames``.
    private func isHeader(_ line: Int, _ lower: Range<Int>) -> Bool {
        var start = lower.lowerBound
        while start < lower.upperBound, lowered[start] == 42 || lowered[start] == 95 { start += 1 }
        var colon = start
        while colon < lower.upperBound {
            if lowered[colon] == 58 { break }
            if lowered[colon] == 0xEF, colon + 2 < lower.upperBound, lowered[colon + 1] == 0xBC, lowered[colon + 2] == 0x9A {
                break
            }
            colon += 1
        }
        guard colon < lower.upperBound else { return false }
        var end = colon
        while end > start, lowered[end - 1] == 42 || lowered[end - 1] == 32 { end -= 1 }
        guard loweredCount(line, start..<end, atMost: 20) else { return false }
        return isOne(start..<end, of: ReplyLines.headerNames)
    }

    // MARK: - Attributions over several lines

    /// Joins attributions that a client wrapped over up to five lines ("On …, Name <" / "mail@x> wrote:").
    ///
    /// From each line that ends like an attribution, looks back up to four lines (at most one blank) for
    /// where it starts: the nearest line with a start word or a leading digit, else the nearest line with
    /// an address. A line that is a whole attribution by itself is not extended.
    private mutating func markWrappedAttributions() {
        for end in ranges.indices {
            let kind = kinds[end]
            guard kind == .text || kind == .header || kind == .marker || kind == .quote else { continue }
            // cheap checks first: the line must end with ":" (or "----") and a quoted one must be short
            guard endsWithColonOrDash(ranges[end]) else { continue }
            if kind == .quote, ranges[end].count > 80 { continue }
            var endLine = loweredLine(end)
            if kind == .quote {
                // only a bare "> wrote:" or ">:" continues an unquoted attribution
                guard loweredCount(end, endLine, atMost: 40) else { continue }
                let bare = trim(endLine) { $0 == 62 || $0 == 32 }
                guard hasSuffix(endLine, anyOf: ReplyLines.attributionEndings)
                    || hasSuffix(bare, anyOf: ReplyLines.attributionEndings)
                else { continue }
                endLine = bare
            }
            guard loweredCount(end, endLine, atMost: 300),
                kind == .quote || hasSuffix(endLine, anyOf: ReplyLines.attributionEndings)
            else { continue }
            if kind == .marker, hasStrongStart(endLine) { continue }
            var strong: Int?
            var weak: Int?
            var blanks = 0
            var length = loweredCount(end, endLine)
            var look = end - 1
            while look >= 0, look >= end - 4 {
                let line = loweredLine(look)
                if line.isEmpty {
                    blanks += 1
                    if blanks > 1 { break }
                    look -= 1
                    continue
                }
                guard kinds[look] == .text || kinds[look] == .header else { break }
                length += loweredCount(look, line) + 1
                if length > 400 { break }
                if hasStrongStart(line) {
                    strong = look
                    break
                }
                if weak == nil, contains(look, line, UInt8(ascii: "@")) || contains(look, line, UInt8(ascii: "<")) { weak = look }
                look -= 1
            }
            guard let start = strong ?? weak else { continue }
            for index in start...end { kinds[index] = .marker }
        }
    }

    /// Whether the last scalar that is not a space or tab is `:`, `：` or `-`.
    private func endsWithColonOrDash(_ range: Range<Int>) -> Bool {
        var end = range.upperBound
        while end > range.lowerBound, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
        guard end > range.lowerBound else { return false }
        let last = bytes[end - 1]
        if last == 58 || last == 45 { return true }
        return end - 3 >= range.lowerBound && last == 0x9A && bytes[end - 2] == 0xBC && bytes[end - 3] == 0xEF
    }
}
