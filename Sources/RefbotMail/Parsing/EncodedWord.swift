import Foundation

/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header values, in both directions.
///
/// Decoding is lenient: unknown charsets and broken encodings fall back as ``Charset`` does, and text that is
/// not a well-formed encoded word is left as it is. Whitespace between two adjacent encoded words is dropped,
/// and adjacent words in one charset are joined before conversion, so a multibyte character split across
/// two words survives.
enum EncodedWord {
    /// Decodes every encoded word in a header value.
    static func decode(_ value: String) -> String {
        guard mayContainWord(value) else { return value }
        let scalars = Array(value.unicodeScalars)
        // where each encoded word's text could end: the next "?=" and the next character an encoded word
        // may not contain; computed once so that malformed input costs linear time
        var nextTerminator = [Int](repeating: scalars.count, count: scalars.count + 1)
        var nextBreak = [Int](repeating: scalars.count, count: scalars.count + 1)
        if scalars.count >= 2 {
            for index in stride(from: scalars.count - 2, through: 0, by: -1) {
                nextTerminator[index] = scalars[index] == "?" && scalars[index + 1] == "=" ? index : nextTerminator[index + 1]
            }
        }
        for index in stride(from: scalars.count - 1, through: 0, by: -1) {
            let scalar = scalars[index]
            let breaks = scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || !scalar.isASCII
            nextBreak[index] = breaks ? index : nextBreak[index + 1]
        }
        let bounds = Bounds(nextTerminator: nextTerminator, nextBreak: nextBreak)
        var output = ""
        var pendingBytes: [UInt8] = []
        var pendingCharset: String?
        var pendingWhitespace = ""
        var index = 0

        func flush() {
            if let charset = pendingCharset {
                output += oneLine(Charset.decode(pendingBytes, charset: charset))
            }
            pendingBytes = []
            pendingCharset = nil
        }

        while index < scalars.count {
            if scalars[index] == "=", index + 1 < scalars.count, scalars[index + 1] == "?",
                let word = parseWord(scalars, at: index, bounds)
            {
                if pendingCharset != nil, pendingCharset?.lowercased() == word.charset.lowercased() {
                    pendingBytes += word.bytes
                } else {
                    flush()
                    pendingCharset = word.charset
                    pendingBytes = word.bytes
                }
                pendingWhitespace = ""
                index = word.end
                // whitespace between two encoded words is dropped; keep it in case no word follows
                var look = index
                var whitespace = ""
                while look < scalars.count, scalars[look] == " " || scalars[look] == "\t" || scalars[look] == "\r"
                    || scalars[look] == "\n"
                {
                    whitespace.unicodeScalars.append(scalars[look])
                    look += 1
                }
                if look < scalars.count, scalars[look] == "=", look + 1 < scalars.count, scalars[look + 1] == "?",
                    parseWord(scalars, at: look, bounds) != nil
                {
                    index = look
                } else {
                    pendingWhitespace = whitespace
                    index = look
                    flush()
                    output += pendingWhitespace
                    pendingWhitespace = ""
                }
                continue
            }
            flush()
            output.unicodeScalars.append(scalars[index])
            index += 1
        }
        flush()
        return output
    }

    /// Decoded text with every control character (CR, LF, NUL, tab, …) and line separator turned into a
    /// space, runs collapsed: an encoded word is part of one header line, so `=0D=0A` inside it must not
    /// start a new line or smuggle a header into anything that copies the value.
    static func oneLine(_ decoded: String) -> String {
        func isControl(_ scalar: Unicode.Scalar) -> Bool {
            scalar.value < 32 || scalar.value == 127 || (scalar.value >= 0x80 && scalar.value < 0xA0)
                || scalar == "\u{2028}" || scalar == "\u{2029}"
        }
        guard decoded.unicodeScalars.contains(where: isControl) else { return decoded }
        var output = String.UnicodeScalarView()
        var previousWasSpace = false
        for scalar in decoded.unicodeScalars {
            if isControl(scalar) {
                if !previousWasSpace { output.append(" ") }
                previousWasSpace = true
                continue
            }
            output.append(scalar)
            previousWasSpace = false
        }
        return String(output)
    }

    private struct Word {
        var charset: String
        var bytes: [UInt8]
        var end: Int
    }

    /// Whether `value` holds "=?" anywhere (a byte scan; Foundation's `contains` is slow on Linux).
    static func mayContainWord(_ value: String) -> Bool {
        var previous: UInt8 = 0
        for byte in value.utf8 {
            if previous == UInt8(ascii: "="), byte == UInt8(ascii: "?") { return true }
            previous = byte
        }
        return false
    }

    private struct Bounds {
        var nextTerminator: [Int]
        var nextBreak: [Int]
    }

    /// Parses `=?charset[*lang]?enc?text?=` starting at `start`.
    private static func parseWord(_ s: [Unicode.Scalar], at start: Int, _ bounds: Bounds) -> Word? {
        var i = start + 2
        var charset = ""
        while i < s.count, s[i] != "?" {
            if s[i] == " " || s[i] == "\n" || charset.unicodeScalars.count > 40 { return nil }
            charset.unicodeScalars.append(s[i])
            i += 1
        }
        guard i + 2 < s.count, s[i + 2] == "?" else { return nil }
        let encoding = s[i + 1]
        i += 3
        guard i <= s.count else { return nil }
        let terminator = bounds.nextTerminator[i]
        guard terminator < s.count, bounds.nextBreak[i] >= terminator, !charset.isEmpty else { return nil }
        let text = s[i..<terminator].map { UInt8(truncatingIfNeeded: $0.value) }
        i = terminator
        if let star = charset.firstIndex(of: "*") { charset = String(charset[..<star]) }
        let bytes: [UInt8]
        switch encoding {
        case "B", "b": bytes = TransferEncoding.decodeBase64(text)
        case "Q", "q": bytes = TransferEncoding.decodeQuotedPrintable(text, underscoreIsSpace: true)
        default: return nil
        }
        return Word(charset: charset, bytes: bytes, end: i + 2)
    }

    /// Whether a header value needs encoding (non-ASCII or control characters).
    static func needsEncoding(_ text: String) -> Bool {
        text.unicodeScalars.contains { !$0.isASCII }
    }

    /// Encodes `text` as UTF-8 `B` encoded words of at most 75 characters each, separated by a space.
    ///
    /// Unicode scalars are never split across words; the caller folds between words.
    static func encode(_ text: String) -> [String] {
        // "=?utf-8?b?" + "?=" is 12 characters; 39 bytes make 52 base64 characters, so a word is 64
        // characters and fits a 78-character line after a field name of up to 12 characters.
        let maxBytes = 39
        var words: [String] = []
        var chunk: [UInt8] = []
        for scalar in text.unicodeScalars {
            let bytes = Array(String(scalar).utf8)
            if !chunk.isEmpty, chunk.count + bytes.count > maxBytes {
                words.append("=?utf-8?b?" + TransferEncoding.encodeBase64(chunk, lineLength: 0) + "?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty {
            words.append("=?utf-8?b?" + TransferEncoding.encodeBase64(chunk, lineLength: 0) + "?=")
        }
        return words
    }
}
