import Foundation

/// What one line of a reply is, for ``ReplyTrimmer``.
enum LineKind: Sendable, Equatable {
    /// Nothing but whitespace.
    case empty
    /// Ordinary text.
    case text
    /// A quoted line (`> …`, `Name> …`).
    case quote
    /// An attribution or an embedded-message marker ("On … wrote:", "-----Original Message-----").
    case marker
    /// A field of a quoted message's header block ("From: …", "Sent: …").
    case header
    /// A client signature ("Sent from my iPhone"), removed wherever it is.
    case signature
    /// A signature delimiter or separator line (`-- `, `______`); everything after it is cut.
    case delimiter
}

/// Classifies one line of a reply as a `String`; ``ReplyLines`` does the same on bytes for most lines and
/// calls ``kind(_:)`` for the others, then joins attributions that wrap over several lines.
enum LineClassifier {
    /// The kind of a single line, without context.
    static func kind(_ line: String) -> LineKind {
        let trimmed = TextLines.trim(line)
        if trimmed.isEmpty { return .empty }
        if isQuote(line) { return .quote }
        // "ᐧ" (U+1427) is the mark mail trackers leave after the text
        if isDelimiter(line, trimmed) || trimmed == "\u{1427}" { return .delimiter }
        let lower = normalizedLower(trimmed)
        if isEmbeddedMarker(lower) { return .marker }
        if isSingleLineAttribution(lower) { return .marker }
        if isGmailDateLine(lower) { return .marker }
        if isSignature(lower) { return .signature }
        if isHeader(lower) { return .header }
        return .text
    }

    /// Lowercased, with no-break spaces as spaces (Outlook writes "a écrit\u{A0}:").
    static func normalizedLower(_ text: String) -> String {
        let lower = text.lowercased()
        guard lower.unicodeScalars.contains("\u{A0}") else { return lower }
        return String(String.UnicodeScalarView(lower.unicodeScalars.map { $0 == "\u{A0}" ? " " : $0 }))
    }

    private static let markerTrim: Set<Unicode.Scalar> = ["-", "_", "*", "=", ">", " ", "\t", ":"]
    private static let signatureTrim: Set<Unicode.Scalar> = ["(", ")", "<", ">", "[", "]", "*", "_", " ", "\t"]

    /// `> text`, `>text`, and `Name> text` (a short run of letters before `>`).
    static func isQuote(_ line: String) -> Bool {
        var letters = 0
        for scalar in line.unicodeScalars {
            if scalar == ">" { return true }
            if scalar == " " || scalar == "\t" {
                if letters > 0 { return false }
                continue
            }
            guard scalar.properties.isAlphabetic, scalar.isASCII, letters < 10 else { return false }
            letters += 1
        }
        return false
    }

    /// `--`, `-- `, `______`, `======`, `+++++`, `*****`, `~~~~~`: a line made of one separator character.
    private static func isDelimiter(_ line: String, _ trimmed: String) -> Bool {
        if line == "--" || line == "-- " || line == "--\u{A0}" { return true }
        guard let first = trimmed.unicodeScalars.first, "-_=+*~".unicodeScalars.contains(first) else { return false }
        let count = trimmed.unicodeScalars.count
        guard trimmed.unicodeScalars.allSatisfy({ $0 == first }) else { return false }
        return count >= (first == "-" ? 2 : 3)
    }

    private static func isEmbeddedMarker(_ lower: String) -> Bool {
        guard lower.count <= 80 else { return false }
        let core = TextLines.trim(lower, markerTrim)
        return TextLines.hasPrefix(core, anyOf: QuoteHeaderPatterns.embeddedMessageMarkerBytes)
    }

    /// A whole attribution on one line: it ends like one, and has a date, an address or a start word.
    private static func isSingleLineAttribution(_ lower: String) -> Bool {
        guard lower.count <= 300, endsLikeAttribution(lower) else { return false }
        return looksLikeAttributionStart(lower) || lower.contains("@") || lower.contains(where: \.isNumber)
    }

    static func endsLikeAttribution(_ lower: String) -> Bool {
        TextLines.hasSuffix(lower, anyOf: QuoteHeaderPatterns.attributionEndingBytes)
    }

    static func looksLikeAttributionStart(_ lower: String) -> Bool {
        if TextLines.hasPrefix(lower, anyOf: QuoteHeaderPatterns.attributionStartBytes) { return true }
        if let first = lower.first, first.isNumber { return true }
        return lower.contains("@") || lower.contains("<")
    }

    /// Gmail's date-first attribution without a verb: `2016-03-03 17:21 GMT+01:00 Some One`, `2013/7/20 sam …`.
    private static func isGmailDateLine(_ lower: String) -> Bool {
        let scalars = Array(lower.unicodeScalars.prefix(12))
        func digits(_ from: Int) -> Int {
            var end = from
            while end < scalars.count, ("0"..."9").contains(scalars[end]) { end += 1 }
            return end
        }
        let year = digits(0)
        guard year == 4, year < scalars.count, scalars[year] == "-" || scalars[year] == "/" else { return false }
        let month = digits(year + 1)
        guard month > year + 1, month < scalars.count, scalars[month] == scalars[year] else { return false }
        let day = digits(month + 1)
        guard day > month + 1 else { return false }
        // the date must be followed by more (a time or a name), and the line must be short
        return lower.count <= 200 && lower.unicodeScalars.count > day + 1
    }

    static let devices = [
        "iphone", "ipad", "android", "samsung", "galaxy", "mobile", "phone", "blackberry", "tablet", "ipod",
    ]

    private static func isSignature(_ lower: String) -> Bool {
        guard lower.count <= 120 else { return false }
        let core = TextLines.trim(lower, signatureTrim)
        if TextLines.hasPrefix(core, anyOf: QuoteHeaderPatterns.signatureStartBytes) { return !continuesAsSentence(core) }
        if TextLines.hasSuffix(lower, anyOf: QuoteHeaderPatterns.signatureEndingBytes) { return true }
        // From My Iphone 6
        if core.hasPrefix("from my "), devices.contains(where: { core.dropFirst(8).hasPrefix($0) }) { return true }
        return false
    }

    /// Whether a line that opens like a client signature goes on as the member's own sentence: "Sent from my
    /// office, the quote is attached" has a clause of three or more words after a comma, semicolon or full
    /// stop. "Sent from my iPhone, please excuse typos" is still a signature.
    static func continuesAsSentence(_ core: String) -> Bool {
        let scalars = Array(core.unicodeScalars)
        var index = 0
        while index + 1 < scalars.count {
            let scalar = scalars[index]
            if scalar == "," || scalar == ";" || scalar == "." || scalar == "!" || scalar == "?",
                scalars[index + 1] == " "
            {
                let before = String(String.UnicodeScalarView(scalars[..<index]))
                // "Sent from my HTC Android phone. Please excuse typos" names a device: a signature
                if devices.contains(where: { containsBytes(before, $0) }) { return false }
                let rest = TextLines.trim(String(String.UnicodeScalarView(scalars[(index + 2)...])))
                let words = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
                if words.count >= 3, !excuses.contains(where: { rest.hasPrefix($0) }) { return true }
            }
            index += 1
        }
        return false
    }

    private static let excuses = ["please excuse", "excuse ", "pardon ", "sorry for "]

    /// ``continuesAsSentence(_:)`` of ASCII text, read on its bytes (ASCII is one scalar a byte, and the
    /// blanks there are space and tab).
    static func continuesAsSentence(ascii core: ArraySlice<UInt8>) -> Bool {
        func isBlank(_ byte: UInt8) -> Bool { byte == 32 || byte == 9 }
        var index = core.startIndex
        while index + 1 < core.endIndex {
            let byte = core[index]
            // , ; . ! ? then a space
            if byte == 44 || byte == 59 || byte == 46 || byte == 33 || byte == 63, core[index + 1] == 32 {
                let before = core[core.startIndex..<index]
                if deviceBytes.contains(where: { UTF8Text.contains(before, $0) }) { return false }
                var start = index + 2
                var end = core.endIndex
                while start < end, isBlank(core[start]) { start += 1 }
                while end > start, isBlank(core[end - 1]) { end -= 1 }
                let rest = core[start..<end]
                var words = 0
                var inWord = false
                for byte in rest {
                    if isBlank(byte) {
                        inWord = false
                    } else if !inWord {
                        inWord = true
                        words += 1
                    }
                }
                if words >= 3, !excuseBytes.contains(where: { rest.starts(with: $0) }) { return true }
            }
            index += 1
        }
        return false
    }

    private static let deviceBytes = devices.map { Array($0.utf8) }
    private static let excuseBytes = excuses.map { Array($0.utf8) }

    /// Whether `text` holds the ASCII word `needle`, compared byte for byte.
    private static func containsBytes(_ text: String, _ needle: String) -> Bool {
        UTF8Text.contains(Array(text.utf8), Array(needle.utf8))
    }

    /// `From: …`, `*From:* …`, `Sent: …` in the languages of ``QuoteHeaderPatterns/headerNames``.
    private static func isHeader(_ lower: String) -> Bool {
        var text = Substring(lower)
        while text.first == "*" || text.first == "_" { text = text.dropFirst() }
        guard let colon = text.firstIndex(where: { $0 == ":" || $0 == "：" }) else { return false }
        var name = text[..<colon]
        while name.last == "*" || name.last == " " || name.last == "\u{A0}" { name = name.dropLast() }
        return name.count <= 20 && QuoteHeaderPatterns.headerNames.contains(String(name))
    }

}
