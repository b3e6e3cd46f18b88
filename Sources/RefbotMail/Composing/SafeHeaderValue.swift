import Foundation

/// A header value that cannot carry CR, LF, NUL or other control characters.
///
/// Controls become spaces and runs of whitespace collapse to one space; leading and trailing whitespace is
/// trimmed. Non-ASCII text stays as it is here and is RFC 2047-encoded by ``MessageBuilder``.
public struct SafeHeaderValue: Sendable, Equatable, Hashable, ExpressibleByStringLiteral {
    /// The cleaned value.
    public var value: String

    /// Cleans untrusted text for use in a header.
    public init(_ untrusted: String) {
        var untrusted = untrusted
        value = untrusted.withUTF8 { SafeHeaderValue.clean($0) }
    }

    /// The cleaning on UTF-8 bytes: C0 and C1 controls (C1 are `C2 80`–`C2 9F`), DEL and the line and
    /// paragraph separators (`E2 80 A8`, `E2 80 A9`) become spaces; other scalars are copied whole.
    private static func clean(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var pendingSpace = false
        var index = 0
        let count = bytes.count
        while index < count {
            let byte = bytes[index]
            var length = 1
            var isSpace = false
            if byte < 0x80 {
                isSpace = byte <= 32 || byte == 127
            } else if byte == 0xC2, index + 1 < count, bytes[index + 1] < 0xA0 {
                isSpace = true
                length = 2
            } else if byte == 0xE2, index + 2 < count, bytes[index + 1] == 0x80, bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9 {
                isSpace = true
                length = 3
            } else {
                length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
            }
            if isSpace {
                pendingSpace = !output.isEmpty
                index += length
                continue
            }
            if pendingSpace {
                output.append(32)
                pendingSpace = false
            }
            let end = min(index + length, count)
            while index < end {
                output.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// A literal header value, cleaned like any other.
    public init(stringLiteral value: String) {
        self.init(value)
    }
}
