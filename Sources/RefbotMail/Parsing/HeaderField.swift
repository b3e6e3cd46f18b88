import Foundation

/// One header field of a message, in the order it appeared.
public struct HeaderField: Sendable, Hashable {
    /// The field name as written, e.g. `Subject`.
    public var name: String
    /// The unfolded value, not decoded, with leading and trailing whitespace trimmed.
    public var rawValue: String
    /// The value with RFC 2047 encoded words decoded.
    public var value: String

    /// Creates a field; `value` is decoded from `rawValue`.
    public init(name: String, rawValue: String) {
        self.name = name
        self.rawValue = rawValue
        self.value = EncodedWord.decode(rawValue)
    }
}

extension Array where Element == HeaderField {
    /// The first field called `name` (case-insensitive).
    func first(named name: String) -> HeaderField? {
        first { TextLines.equalsIgnoringASCIICase($0.name, name) }
    }

    /// Every field called `name` (case-insensitive).
    func all(named name: String) -> [HeaderField] {
        filter { TextLines.equalsIgnoringASCIICase($0.name, name) }
    }
}
