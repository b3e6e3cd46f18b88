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
        var output = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in untrusted.unicodeScalars {
            let isControl = scalar.value < 32 || scalar.value == 127 || (scalar.value >= 0x80 && scalar.value < 0xA0)
                || scalar == "\u{2028}" || scalar == "\u{2029}" || scalar == "\u{85}"
            if isControl || scalar == " " {
                pendingSpace = !output.isEmpty
                continue
            }
            if pendingSpace {
                output.append(" ")
                pendingSpace = false
            }
            output.append(scalar)
        }
        value = String(output)
    }

    /// A literal header value, cleaned like any other.
    public init(stringLiteral value: String) {
        self.init(value)
    }
}
