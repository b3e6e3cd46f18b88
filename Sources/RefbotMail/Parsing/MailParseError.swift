import Foundation

/// An error from ``MessageParser``: a machine-readable code plus a message that says what was wrong.
///
/// Failure modes: `tooLarge` (the raw message exceeds ``ParseLimits/maxBytes``), `tooDeep` (multipart nesting
/// exceeds ``ParseLimits/maxDepth``), `tooManyParts` (more than ``ParseLimits/maxParts`` entities) and
/// `malformed` (NUL bytes in the header section, a multipart without a boundary, no header section at all).
/// Equality compares `code` only, so tests can match on it.
public struct MailParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure; a struct wrapping a private enum so cases can be added.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case tooLarge, tooDeep, tooManyParts, malformed
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The message is larger than the configured byte limit.
        public static let tooLarge = Code(.tooLarge)
        /// Multiparts are nested deeper than the configured limit.
        public static let tooDeep = Code(.tooDeep)
        /// The message has more MIME entities than the configured limit.
        public static let tooManyParts = Code(.tooManyParts)
        /// The message is not a usable RFC 5322 message.
        public static let malformed = Code(.malformed)

        /// The code's name, e.g. `tooLarge`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// What went wrong and, where it helps, what would work.
    public var message: String
    /// Where the error was raised (`#fileID`).
    public var file: String
    /// Where the error was raised (`#line`).
    public var line: Int

    /// Creates an error with a code and a message.
    public init(code: Code, message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    /// A message that exceeds the byte limit.
    static func tooLarge(_ size: Int, limit: Int, file: String = #fileID, line: Int = #line) -> MailParseError {
        MailParseError(
            code: .tooLarge, message: "message is \(size) bytes, over the limit of \(limit) bytes", file: file,
            line: line)
    }

    /// A multipart nested past the depth limit.
    static func tooDeep(limit: Int, file: String = #fileID, line: Int = #line) -> MailParseError {
        MailParseError(
            code: .tooDeep, message: "multipart nesting is deeper than the limit of \(limit)", file: file,
            line: line)
    }

    /// A message with more entities than the part limit.
    static func tooManyParts(limit: Int, file: String = #fileID, line: Int = #line) -> MailParseError {
        MailParseError(
            code: .tooManyParts, message: "message has more than \(limit) MIME parts", file: file, line: line)
    }

    /// A message that cannot be read as RFC 5322.
    static func malformed(_ why: String, file: String = #fileID, line: Int = #line) -> MailParseError {
        MailParseError(code: .malformed, message: why, file: file, line: line)
    }

    /// Compares codes only.
    public static func == (lhs: MailParseError, rhs: MailParseError) -> Bool { lhs.code == rhs.code }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
