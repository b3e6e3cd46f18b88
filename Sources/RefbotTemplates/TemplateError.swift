/// A problem with the mail templates, found when they are loaded.
public struct TemplateError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of problem; cases may be added.
    public struct Code: Hashable, Sendable {
        private enum Kind: Sendable { case missing, unreadable, invalid }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }
        /// An event has no template.
        public static let missing = Code(.missing)
        /// A template file could not be read.
        public static let unreadable = Code(.unreadable)
        /// A template does not parse, or lacks its Subject line.
        public static let invalid = Code(.invalid)
    }

    public var code: Code
    public var message: String

    public init(code: Code, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }

    public static func == (lhs: TemplateError, rhs: TemplateError) -> Bool { lhs.code == rhs.code }
}
