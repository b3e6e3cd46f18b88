import Foundation

/// Splits an entity into its header section and body, and reads the header fields (RFC 5322 §2.2).
enum HeaderSection {
    /// The header bytes and body bytes of an entity: the header section ends at the first empty line.
    static func split(_ bytes: ArraySlice<UInt8>) -> (header: ArraySlice<UInt8>, body: ArraySlice<UInt8>) {
        var index = bytes.startIndex
        // an entity that starts with an empty line has no header fields
        if index < bytes.endIndex, bytes[index] == 10 {
            return (bytes[index..<index], bytes[(index + 1)...])
        }
        if index + 1 < bytes.endIndex, bytes[index] == 13, bytes[index + 1] == 10 {
            return (bytes[index..<index], bytes[(index + 2)...])
        }
        while index < bytes.endIndex {
            if bytes[index] == 10 {
                let next = index + 1
                if next < bytes.endIndex, bytes[next] == 10 {
                    return (bytes[bytes.startIndex..<next], bytes[(next + 1)...])
                }
                if next + 1 < bytes.endIndex, bytes[next] == 13, bytes[next + 1] == 10 {
                    return (bytes[bytes.startIndex..<next], bytes[(next + 2)...])
                }
            }
            index += 1
        }
        return (bytes, bytes[bytes.endIndex...])
    }

    /// Reads header fields, unfolding continuation lines; lines that are not fields are skipped.
    static func fields(_ header: ArraySlice<UInt8>) -> [HeaderField] {
        var fields: [HeaderField] = []
        var name: [UInt8] = []
        var value: [UInt8] = []
        var inField = false

        func finish() {
            guard inField else { return }
            // ASCII whitespace is trimmed from the bytes (the same in UTF-8 and Windows-1252), the rest from the text
            let nameText = TextLines.trim(String(decoding: trimmingASCIIWhitespace(name[...]), as: UTF8.self))
            let valueText = TextLines.trim(text(trimmingASCIIWhitespace(value[...])), TextLines.whitespaceAndNewlines)
            if !nameText.isEmpty { fields.append(HeaderField(name: nameText, rawValue: valueText)) }
            name = []
            value = []
            inField = false
        }

        var lineStart = header.startIndex
        while lineStart < header.endIndex {
            var lineEnd = lineStart
            while lineEnd < header.endIndex, header[lineEnd] != 10 { lineEnd += 1 }
            var contentEnd = lineEnd
            if contentEnd > lineStart, header[contentEnd - 1] == 13 { contentEnd -= 1 }
            let line = header[lineStart..<contentEnd]
            lineStart = lineEnd + 1
            guard let first = line.first else { continue }
            if first == 32 || first == 9 {
                // folded continuation: unfolding removes only the line break
                if inField { value += line }
                continue
            }
            finish()
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let candidate = line[line.startIndex..<colon]
            // field-name = 1*ftext (printable ASCII except ":"); tolerate whitespace before the colon
            let trimmed = candidate.reversed().drop { $0 == 32 || $0 == 9 }
            guard !trimmed.isEmpty, trimmed.allSatisfy({ $0 > 32 && $0 < 127 }) else { continue }
            name = Array(candidate)
            value = Array(line[(colon + 1)...])
            inField = true
        }
        finish()
        return fields
    }

    /// Header bytes as text: UTF-8 when valid (RFC 6532), otherwise Windows-1252.
    static func text(_ bytes: ArraySlice<UInt8>) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return Charset.decode(bytes, charset: "windows-1252")
    }

    /// The bytes without leading and trailing spaces, tabs, CRs and LFs.
    private static func trimmingASCIIWhitespace(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, bytes[start] == 32 || bytes[start] == 9 || bytes[start] == 13 || bytes[start] == 10 { start += 1 }
        while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 || bytes[end - 1] == 13 || bytes[end - 1] == 10 { end -= 1 }
        return bytes[start..<end]
    }
}
