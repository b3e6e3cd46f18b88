import Foundation

/// RFC 2047 encoded words (`=?charset?B|Q?text?=`) in header values, in both directions.
///
/// Decoding is lenient: unknown charsets and broken encodings fall back as ``Charset`` does, and text that is
/// not a well-formed encoded word is left as it is. Whitespace between two adjacent encoded words is dropped,
/// and adjacent words in one charset are joined before conversion, so a multibyte character split across
/// two words survives.
enum EncodedWord {
    /// Decodes every encoded word in a header value.
    ///
    /// Works on the value's UTF-8 bytes: encoded words are ASCII, and every non-ASCII byte, like a
    /// non-ASCII scalar, can only be plain text between them.
    static func decode(_ value: String) -> String {
        guard mayContainWord(value) else { return value }
        var value = value
        return value.withUTF8 { decode(bytes: $0) }
    }

    private static func decode(bytes s: UnsafeBufferPointer<UInt8>) -> String {
        let count = s.count
        // where each encoded word's text could end: the next "?=" and the next byte an encoded word may not
        // contain; computed once so that malformed input costs linear time
        var nextTerminator = [Int](repeating: count, count: count + 1)
        var nextBreak = [Int](repeating: count, count: count + 1)
        if count >= 2 {
            for index in stride(from: count - 2, through: 0, by: -1) {
                nextTerminator[index] = s[index] == UInt8(ascii: "?") && s[index + 1] == UInt8(ascii: "=") ? index : nextTerminator[index + 1]
            }
        }
        for index in stride(from: count - 1, through: 0, by: -1) {
            let byte = s[index]
            let breaks = byte == 32 || byte == 9 || byte == 10 || byte == 13 || byte >= 0x80
            nextBreak[index] = breaks ? index : nextBreak[index + 1]
        }
        let bounds = Bounds(nextTerminator: nextTerminator, nextBreak: nextBreak)
        var output: [UInt8] = []
        output.reserveCapacity(count)
        var pendingBytes: [UInt8] = []
        var pendingCharset: String?
        var index = 0

        func flush() {
            if let charset = pendingCharset {
                output.append(contentsOf: oneLine(Charset.decode(pendingBytes, charset: charset)).utf8)
            }
            pendingBytes = []
            pendingCharset = nil
        }
        func startsWord(_ at: Int) -> Bool {
            s[at] == UInt8(ascii: "=") && at + 1 < count && s[at + 1] == UInt8(ascii: "?")
        }

        while index < count {
            if startsWord(index), let word = parseWord(s, at: index, bounds) {
                if pendingCharset != nil, pendingCharset?.lowercased() == word.charset.lowercased() {
                    pendingBytes += word.bytes
                } else {
                    flush()
                    pendingCharset = word.charset
                    pendingBytes = word.bytes
                }
                index = word.end
                // whitespace between two encoded words is dropped; keep it in case no word follows
                var look = index
                while look < count, s[look] == 32 || s[look] == 9 || s[look] == 13 || s[look] == 10 { look += 1 }
                if look < count, startsWord(look), parseWord(s, at: look, bounds) != nil {
                    index = look
                } else {
                    flush()
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: s[index..<look]))
                    index = look
                }
                continue
            }
            flush()
            output.append(s[index])
            index += 1
        }
        flush()
        return String(decoding: output, as: UTF8.self)
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

    /// Parses `=?charset[*lang]?enc?text?=` starting at `start` (the charset is at most 41 scalars).
    private static func parseWord(_ s: UnsafeBufferPointer<UInt8>, at start: Int, _ bounds: Bounds) -> Word? {
        var i = start + 2
        var charsetBytes: [UInt8] = []
        var scalars = 0
        while i < s.count, s[i] != UInt8(ascii: "?") {
            if s[i] & 0xC0 != 0x80 {
                if s[i] == 32 || s[i] == 10 || scalars > 40 { return nil }
                scalars += 1
            }
            charsetBytes.append(s[i])
            i += 1
        }
        guard i + 2 < s.count, s[i + 2] == UInt8(ascii: "?") else { return nil }
        let encoding = s[i + 1]
        i += 3
        guard i <= s.count else { return nil }
        let terminator = bounds.nextTerminator[i]
        guard terminator < s.count, bounds.nextBreak[i] >= terminator, !charsetBytes.isEmpty else { return nil }
        let text = UnsafeBufferPointer(rebasing: s[i..<terminator])
        i = terminator
        if let star = charsetBytes.firstIndex(of: UInt8(ascii: "*")) { charsetBytes.removeSubrange(star...) }
        let bytes: [UInt8]
        switch encoding {
        case UInt8(ascii: "B"), UInt8(ascii: "b"): bytes = TransferEncoding.decodeBase64(text)
        case UInt8(ascii: "Q"), UInt8(ascii: "q"): bytes = TransferEncoding.decodeQuotedPrintable(text, underscoreIsSpace: true)
        default: return nil
        }
        return Word(charset: String(decoding: charsetBytes, as: UTF8.self), bytes: bytes, end: i + 2)
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
