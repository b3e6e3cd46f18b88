/// A command as read from a mail: the word, the rest of its line, and the lines after it.
public struct ParsedCommand: Sendable, Equatable {
    /// The command word.
    public var word: CommandWord
    /// The rest of the command's line after the word, trimmed (`L-12`, a reason, search words).
    public var arguments: String
    /// The command's line as the member wrote it, for quoting back.
    public var line: String
    /// The lines of new text after the command's line (form fields, a reason, an announcement).
    public var followingLines: [String]
    /// Where the word was found.
    public var source: Source

    /// Where a command word was found.
    public enum Source: String, Sendable, Equatable {
        case subject, body
    }

    public init(word: CommandWord, arguments: String, line: String, followingLines: [String], source: Source) {
        self.word = word
        self.arguments = arguments
        self.line = line
        self.followingLines = followingLines
        self.source = source
    }
}

/// Finds the command in a mail (spec §2).
///
/// The command is the first word of the Subject when that is a command word (after any
/// `Re:`/`Fwd:`/`AW:`/`SV:` prefixes and `[R-12]` tags); otherwise the first word of the first
/// non-empty line of the new text (quotes and signatures already cut away).
///
/// ```swift
/// switch CommandParser.parse(subject: message.subject, newText: trimmed.newText) {
/// case .success(let command): …
/// case .failure(let error): … command.error reply …
/// }
/// ```
public enum CommandParser {
    /// Reads the command from a subject and the new text of a body.
    ///
    /// Works on the UTF-8 bytes: only the first non-blank line of the body is looked at until a command is
    /// found, and the body is split into lines only for a command that needs its following lines.
    public static func parse(subject: String, newText: String) -> Result<ParsedCommand, CommandError> {
        var body = newText
        let firstLine: FirstLine? = body.withUTF8 { FirstLine.find(in: $0) }

        // A reply names the command in its body; a fresh mail may name it in the subject.
        let cleanedSubject = stripReplyPrefixes(subject)
        if let (word, rest) = splitWord(cleanedSubject), let command = commandWord(word) {
            // When the body starts with a command too (a reply that keeps the subject), the body wins.
            if let firstLine, let (bodyWord, _) = splitWord(firstLine.text), commandWord(bodyWord) != nil {
                return .success(bodyCommand(firstLine, in: &body))
            }
            let following = firstLine.map { [$0.text] + followingLines(after: $0, in: &body) } ?? []
            return .success(
                ParsedCommand(
                    word: command, arguments: rest, line: cleanedSubject, followingLines: following, source: .subject))
        }

        guard let firstLine else {
            return .failure(
                CommandError(
                    line: subject.isEmpty ? "(an empty message)" : "Subject: \(subject)",
                    problem: "Your message had no command in it that we could find.",
                    remedy: "Write a command such as HELP, SEARCH or STATUS as the first word of the subject or of the first line."))
        }
        guard let (word, _) = splitWord(firstLine.text), commandWord(word) != nil else {
            return .failure(unknown(line: firstLine.text))
        }
        return .success(bodyCommand(firstLine, in: &body))
    }

    /// The first line of a body that is not blank, and where the next line starts.
    private struct FirstLine {
        var text: String
        /// The byte offset just after the line's line break; nil when it is the last line.
        var next: Int?

        /// Lines end at LF, CR, CRLF, VT, FF, NEL, LS and PS (`Character.isNewline`), as `split` does.
        static func find(in bytes: UnsafeBufferPointer<UInt8>) -> FirstLine? {
            var start = 0
            while true {
                let (end, next) = lineEnd(bytes, from: start)
                if !isBlank(bytes, start..<end) {
                    return FirstLine(
                        text: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self),
                        next: next)
                }
                guard let next else { return nil }
                start = next
            }
        }

        /// Whether the bytes hold only spaces, tabs and no-break spaces (a grapheme cluster that starts with
        /// one of them and goes on with a combining mark is not blank, and neither are these bytes).
        static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
            var index = range.lowerBound
            while index < range.upperBound {
                let byte = bytes[index]
                if byte == 32 || byte == 9 {
                    index += 1
                } else if byte == 0xC2, index + 1 < range.upperBound, bytes[index + 1] == 0xA0 {
                    index += 2
                } else {
                    return false
                }
            }
            return true
        }
    }

    /// The end of the line that starts at `start`, and the start of the next one (nil at the end of the text).
    private static func lineEnd(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> (Int, Int?) {
        var index = start
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte >= 0x0A && byte <= 0x0D {
                if byte == 0x0D, index + 1 < count, bytes[index + 1] == 0x0A { return (index, index + 2) }
                return (index, index + 1)
            }
            if byte == 0xC2, index + 1 < count, bytes[index + 1] == 0x85 { return (index, index + 2) }
            if byte == 0xE2, index + 2 < count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 {
                return (index, index + 3)
            }
            index += 1
        }
        return (count, nil)
    }

    /// The lines after `line`, empty ones included.
    private static func followingLines(after line: FirstLine, in body: inout String) -> [String] {
        guard let next = line.next else { return [] }
        return body.withUTF8 { bytes in
            var lines: [String] = []
            var start = next
            while true {
                let (end, following) = lineEnd(bytes, from: start)
                lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self))
                guard let following else { return lines }
                start = following
            }
        }
    }

    private static func bodyCommand(_ first: FirstLine, in body: inout String) -> ParsedCommand {
        let line = trimmedWhitespace(first.text)
        let (word, rest) = splitWord(line) ?? (line, "")
        return ParsedCommand(
            word: commandWord(word) ?? .help, arguments: rest, line: line,
            followingLines: followingLines(after: first, in: &body), source: .body)
    }

    /// The error for a line that does not start with a command word.
    public static func unknown(line: String) -> CommandError {
        let trimmed = trimmedWhitespace(line)
        let first = splitWord(trimmed)?.0 ?? trimmed
        return CommandError(
            line: trimmed, unknownWord: first,
            remedy: "Send HELP for the list of commands, or put the command word first on the line.")
    }

    /// The command word closest in spelling, when one is close enough to be a likely typo.
    static func closest(to word: String) -> CommandWord? {
        var word = word
        // ASCII words (nearly all of them) are compared as bytes; `uppercased()` of other text can change its length
        if let ascii: CommandWord? = word.withUTF8({ bytes in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return .some(closestASCII(bytes))
        }) {
            return ascii
        }
        var upperText = word.uppercased()
        // text whose every scalar is a character of its own is compared by scalars, as ASCII is by bytes
        if upperText.withUTF8({ SimpleText.check($0) }) {
            return closest(scalars: upperText.unicodeScalars.map(\.value))
        }
        let upper = Array(upperText)
        guard upper.count >= 3, upper.count <= 12 else { return nil }
        var best: (CommandWord, Int)?
        for candidate in CommandWord.allCases {
            // the distance is at least the difference in length
            guard abs(candidate.rawValue.utf8.count - upper.count) <= (candidate.rawValue.count > 5 ? 2 : 1) else { continue }
            let distance = editDistance(upper, Array(candidate.rawValue))
            if distance <= (candidate.rawValue.count > 5 ? 2 : 1), distance < (best?.1 ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// ``closest(to:)`` for an ASCII word: the same edit distance on bytes, with one set of rows for all candidates.
    private static func closestASCII(_ word: UnsafeBufferPointer<UInt8>) -> CommandWord? {
        guard word.count >= 3, word.count <= 12 else { return nil }
        return closest(scalars: word.map { UInt32($0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0) })
    }

    /// ``closest(to:)`` for an upper-cased word given as scalars that are each a character.
    private static func closest(scalars upper: [UInt32]) -> CommandWord? {
        guard upper.count >= 3, upper.count <= 12 else { return nil }
        var rows = [Int](repeating: 0, count: 3 * 16)
        var best: (CommandWord, Int)?
        for (candidate, bytes) in commandScalars {
            let limit = bytes.count > 5 ? 2 : 1
            // the distance is at least the difference in length
            guard abs(bytes.count - upper.count) <= limit else { continue }
            let distance = editDistance(upper, bytes, rows: &rows)
            if distance <= limit, distance < (best?.1 ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// Edits (insert, delete, substitute, or swap two neighbours) between two words, so `HEPL` is one from `HELP`.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var beforePrevious = Array(repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            beforePrevious = previous
            previous = current
        }
        return previous[b.count]
    }

    /// ``editDistance(_:_:)`` on bytes of at most 15 each, in `rows` (three rows of 16).
    private static func editDistance(_ a: [UInt32], _ b: [UInt32], rows: inout [Int]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        return rows.withUnsafeMutableBufferPointer { rows in
            // rows 0, 1, 2: before previous, previous, current, rotated by offset
            var beforePrevious = 0
            var previous = 16
            var current = 32
            for j in 0...b.count { rows[previous + j] = j }
            for i in 1...a.count {
                rows[current] = i
                for j in 1...b.count {
                    var value = min(
                        rows[previous + j] + 1, rows[current + j - 1] + 1,
                        rows[previous + j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                        value = min(value, rows[beforePrevious + j - 2] + 1)
                    }
                    rows[current + j] = value
                }
                (beforePrevious, previous, current) = (previous, current, beforePrevious)
            }
            return rows[previous + b.count]
        }
    }

    /// Every command word with its UTF-8 bytes.
    private static let commandBytes: [(CommandWord, [UInt8])] = CommandWord.allCases.map { ($0, Array($0.rawValue.utf8)) }
    /// Every command word with its scalars (all ASCII).
    private static let commandScalars: [(CommandWord, [UInt32])] = commandBytes.map { ($0.0, $0.1.map(UInt32.init)) }

    /// ``CommandWord/init(word:)``: ASCII words are trimmed, upper-cased and looked up as bytes.
    static func commandWord(_ word: String) -> CommandWord? {
        var word = word
        if let found: CommandWord? = word.withUTF8({ bytes in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var start = 0
            var end = bytes.count
            while start < end, isPunctuation(bytes[start]) { start += 1 }
            while end > start, isPunctuation(bytes[end - 1]) { end -= 1 }
            let length = end - start
            for (candidate, candidateBytes) in commandBytes where candidateBytes.count == length {
                var matches = true
                for offset in 0..<length {
                    var byte = bytes[start + offset]
                    if byte >= 0x61 && byte <= 0x7A { byte -= 0x20 }
                    if byte != candidateBytes[offset] {
                        matches = false
                        break
                    }
                }
                if matches { return .some(candidate) }
            }
            return .some(nil)
        }) {
            return found
        }
        return CommandWord(word: word)
    }

    /// The punctuation ``CommandWord/init(word:)`` trims: `. , ! ? : ; * " ' ( )`.
    private static func isPunctuation(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x2E, 0x2C, 0x21, 0x3F, 0x3A, 0x3B, 0x2A, 0x22, 0x27, 0x28, 0x29: true
        default: false
        }
    }

    /// The first word of a line and the rest, trimmed.
    static func splitWord(_ line: String) -> (String, String)? {
        var line = line
        if let simple: (String, String)? = line.withUTF8({ bytes in
            guard SimpleText.check(bytes) else { return nil }
            let range = SimpleText.trimWhitespace(bytes, 0..<bytes.count)
            guard !range.isEmpty else { return .some(nil) }
            var space = range.lowerBound
            while space < range.upperBound, bytes[space] != 32, bytes[space] != 9 { space += 1 }
            let word = SimpleText.string(bytes, range.lowerBound..<space)
            let rest = SimpleText.string(bytes, SimpleText.trimWhitespace(bytes, space..<range.upperBound))
            return .some((word, rest))
        }) {
            return simple
        }
        let trimmed = line.trimmingCharacters(in: whitespace)
        guard !trimmed.isEmpty else { return nil }
        if let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) {
            return (String(trimmed[..<space]), String(trimmed[space...]).trimmingCharacters(in: whitespace))
        }
        return (trimmed, "")
    }

    /// The text without leading and trailing spaces, tabs, no-break spaces and line breaks.
    static func trimmedWhitespace(_ text: String) -> String {
        var text = text
        // nil: not simple text; .some(nil): nothing to trim
        if let simple: String? = text.withUTF8({ bytes in
            guard SimpleText.check(bytes) else { return nil }
            let range = SimpleText.trimWhitespace(bytes, 0..<bytes.count)
            return .some(range.count == bytes.count ? nil : SimpleText.string(bytes, range))
        }) {
            return simple ?? text
        }
        return text.trimmingCharacters(in: whitespace)
    }

    private static let replyPrefixes = ["re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "tr", "rv", "r", "odp", "ynt", "res", "enc"]
    private static let replyPrefixBytes = replyPrefixes.map { Array($0.utf8) }

    /// Removes `Re:`, `Fwd:`, `AW:`, `SV:`, `Antw:`, `RE :` … prefixes and `[R-12]`-style tags.
    public static func stripReplyPrefixes(_ subject: String) -> String {
        var subject = subject
        if let simple: String = subject.withUTF8({ bytes in
            guard SimpleText.check(bytes) else { return nil }
            return stripReplyPrefixes(bytes)
        }) {
            return simple
        }
        var text = Substring(subject.trimmingCharacters(in: whitespace))
        var changed = true
        while changed {
            changed = false
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                text = text[text.index(after: close)...].drop(while: { $0 == " " || $0 == "\t" })
                changed = true
                continue
            }
            guard let colon = text.firstIndex(where: { $0 == ":" || $0 == "：" }) else { break }
            let head = text[..<colon].trimmingCharacters(in: whitespace).lowercased()
            let base = head.split(separator: "[").first.map(String.init) ?? head  // "Re[2]:"
            if replyPrefixes.contains(base) {
                text = text[text.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
                changed = true
            }
        }
        return String(text)
    }

    /// ``stripReplyPrefixes(_:)`` on the bytes of a text in which every scalar is a character of its own.
    private static func stripReplyPrefixes(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let trimmed = SimpleText.trimWhitespace(bytes, 0..<bytes.count)
        var start = trimmed.lowerBound
        let end = trimmed.upperBound
        func skipBlanks() {
            while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
        }
        while start < end {
            if bytes[start] == UInt8(ascii: "[") {
                var close = start
                while close < end, bytes[close] != UInt8(ascii: "]") { close += 1 }
                if close < end {
                    start = close + 1
                    skipBlanks()
                    continue
                }
            }
            // the first ":" or full-width "："
            var colon = start
            var colonLength = 0
            while colon < end {
                if bytes[colon] == UInt8(ascii: ":") {
                    colonLength = 1
                    break
                }
                if bytes[colon] == 0xEF, colon + 2 < end, bytes[colon + 1] == 0xBC, bytes[colon + 2] == 0x9A {
                    colonLength = 3
                    break
                }
                colon += 1
            }
            guard colonLength > 0 else { break }
            // the head, trimmed and lowercased; "Re[2]" counts as "re" (the first piece that is not empty)
            let head = SimpleText.trimWhitespace(bytes, start..<colon)
            var base = head
            var pieceStart = head.lowerBound
            while pieceStart < head.upperBound {
                var pieceEnd = pieceStart
                while pieceEnd < head.upperBound, bytes[pieceEnd] != UInt8(ascii: "[") { pieceEnd += 1 }
                if pieceEnd > pieceStart {
                    base = pieceStart..<pieceEnd
                    break
                }
                pieceStart = pieceEnd + 1
            }
            // a prefix is ASCII; no other scalar lowercases to ASCII letters of these words
            let matches = replyPrefixBytes.contains { prefix in
                prefix.count == base.count
                    && zip(prefix, bytes[base]).allSatisfy { expected, byte in
                        (byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte) == expected
                    }
            }
            guard matches else { break }
            start = colon + colonLength
            skipBlanks()
        }
        return SimpleText.string(bytes, start..<max(start, end))
    }

    private static let whitespace: Set<Character> = [" ", "\t", "\u{00A0}", "\r", "\n"]
}

/// Byte-level text operations that give the same results as `Character` ones when every Unicode scalar of
/// the text is a grapheme cluster of its own (no combining marks, joiners, emoji sequences or CR LF pairs):
/// then trimming and searching for ASCII characters can be done on UTF-8 bytes.
enum SimpleText {
    /// Whether no scalar of the (valid UTF-8) bytes joins a neighbour into one grapheme cluster.
    ///
    /// Conservative: scalars outside a list of common scripts (Latin, Greek, Cyrillic, CJK, Hangul
    /// syllables, punctuation and symbols) count as joining, and the caller then works on characters.
    static func check(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            if byte < 0x80 {
                // CR LF is one character
                if byte == 0x0D { return false }
                index += 1
                continue
            }
            var scalar: UInt32
            if byte < 0xE0 {
                guard index + 1 < count else { return false }
                scalar = UInt32(byte & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
                index += 2
            } else if byte < 0xF0 {
                guard index + 2 < count else { return false }
                scalar = UInt32(byte & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
                index += 3
            } else {
                return false
            }
            guard isStandalone(scalar) else { return false }
        }
        return true
    }

    /// Scalars below U+10000 that never join the scalar before or after them into one grapheme cluster.
    static func isStandalone(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x00A0...0x02FF, 0x0370...0x0482, 0x048A...0x052F, 0x1E00...0x1FFF: true
        case 0x2000...0x200B, 0x200E...0x20CF, 0x2100...0x2BFF: true
        case 0x3000...0x3029, 0x3030...0x3098, 0x309B...0x30FF, 0x3100...0x9FFF, 0xAC00...0xD7A3: true
        case 0xFF01...0xFF9D: true
        default: false
        }
    }

    /// The range without leading and trailing spaces, tabs, no-break spaces, CRs and LFs.
    static func trimWhitespace(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end {
            let byte = bytes[start]
            if byte == 32 || byte == 9 || byte == 10 || byte == 13 {
                start += 1
            } else if byte == 0xC2, start + 1 < end, bytes[start + 1] == 0xA0 {
                start += 2
            } else {
                break
            }
        }
        while end > start {
            let byte = bytes[end - 1]
            if byte == 32 || byte == 9 || byte == 10 || byte == 13 {
                end -= 1
            } else if byte == 0xA0, end - 2 >= start, bytes[end - 2] == 0xC2 {
                end -= 2
            } else {
                break
            }
        }
        return start..<end
    }

    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}

extension StringProtocol {
    /// The string without leading and trailing characters from `set`.
    func trimmingCharacters(in set: Set<Character>) -> String {
        var start = startIndex
        var end = endIndex
        while start < end, set.contains(self[start]) { start = index(after: start) }
        while end > start, set.contains(self[index(before: end)]) { end = index(before: end) }
        return String(self[start..<end])
    }
}
