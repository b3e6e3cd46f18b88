import Foundation

/// Line splitting and trimming in native Swift; Foundation's NSString-backed equivalents are much slower
/// on Linux, and these run on every line of every message.
enum TextLines {
    /// Splits text into lines at LF, CRLF and lone CR; a final line break yields a final empty line.
    static func split(_ text: String) -> [String] {
        var text = text
        return text.withUTF8 { bytes in
            var lines: [String] = []
            var start = 0
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 10 || byte == 13 {
                    lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                    if byte == 13, index + 1 < bytes.count, bytes[index + 1] == 10 { index += 1 }
                    start = index + 1
                }
                index += 1
            }
            lines.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<bytes.count]), as: UTF8.self))
            return lines
        }
    }

    /// Whether `text` ends with any of `suffixes` (compared as UTF-8 bytes).
    static func hasSuffix(_ text: String, anyOf suffixes: [[UInt8]]) -> Bool {
        let bytes = Array(text.utf8)
        return suffixes.contains { suffix in
            suffix.count <= bytes.count && bytes[(bytes.count - suffix.count)...].elementsEqual(suffix)
        }
    }

    /// Whether `text` starts with any of `prefixes` (compared as UTF-8 bytes).
    static func hasPrefix(_ text: String, anyOf prefixes: [[UInt8]]) -> Bool {
        let bytes = Array(text.utf8)
        return prefixes.contains { prefix in prefix.count <= bytes.count && bytes[..<prefix.count].elementsEqual(prefix) }
    }

    /// Whether two ASCII field names are equal, ignoring case (non-ASCII bytes must match exactly).
    static func equalsIgnoringASCIICase(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        var left = lhs.utf8.makeIterator()
        var right = rhs.utf8.makeIterator()
        while let a = left.next(), let b = right.next() {
            if a != b, !(a | 0x20 == b | 0x20 && (a | 0x20) >= 0x61 && (a | 0x20) <= 0x7A) { return false }
        }
        return true
    }

    /// Whitespace including line breaks, for trimming header values.
    static let whitespaceAndNewlines: Set<Unicode.Scalar> = [" ", "\t", "\r", "\n", "\u{A0}"]

    /// Joins lines split at LF, CRLF or CR with LF.
    static func normalizingLineEnds(_ text: String) -> String {
        guard text.utf8.contains(13) else { return text }
        var text = text
        return text.withUTF8 { bytes in
            String(unsafeUninitializedCapacity: bytes.count) { output in
                var count = 0
                var index = 0
                while index < bytes.count {
                    let byte = bytes[index]
                    if byte == 13 {
                        output[count] = 10
                        if index + 1 < bytes.count, bytes[index + 1] == 10 { index += 1 }
                    } else {
                        output[count] = byte
                    }
                    count += 1
                    index += 1
                }
                return count
            }
        }
    }

    /// Whether a scalar is a space, tab or no-break space.
    static func isBlank(_ scalar: Unicode.Scalar) -> Bool {
        scalar == " " || scalar == "\t" || scalar == "\u{A0}" || scalar == "\u{3000}"
    }

    /// The text without leading and trailing scalars in `set` (blanks by default).
    static func trim(_ text: String, _ set: Set<Unicode.Scalar>? = nil) -> String {
        // nothing to trim when both ends are ASCII characters outside the set (most header values)
        guard let firstByte = text.utf8.first, let lastByte = text.utf8.last else { return text }
        if firstByte < 0x80, lastByte < 0x80 {
            let first = Unicode.Scalar(firstByte)
            let last = Unicode.Scalar(lastByte)
            if !(set?.contains(first) ?? isBlank(first)), !(set?.contains(last) ?? isBlank(last)) { return text }
        }
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        func drop(_ scalar: Unicode.Scalar) -> Bool { set?.contains(scalar) ?? isBlank(scalar) }
        while start < end, drop(scalars[start]) { start = scalars.index(after: start) }
        while end > start {
            let before = scalars.index(before: end)
            guard drop(scalars[before]) else { break }
            end = before
        }
        if start == scalars.startIndex, end == scalars.endIndex { return text }
        return String(Substring(scalars[start..<end]))
    }

    /// Whether the text holds nothing but blanks.
    static func isBlank(_ text: some StringProtocol) -> Bool {
        text.unicodeScalars.allSatisfy { isBlank($0) || $0 == "\r" || $0 == "\n" }
    }
}
