/// A failure of refbot's database, with what to do about it.
public struct StoreError: Error, Sendable, CustomStringConvertible, Equatable {
    /// The kind of failure; cases may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable { case open, migrate, notFound, invalidState, newerDatabase }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }
        /// The database file could not be opened or created.
        public static let open = Code(.open)
        /// The schema could not be brought up to date.
        public static let migrate = Code(.migrate)
        /// A row that was asked for does not exist.
        public static let notFound = Code(.notFound)
        /// A row is not in a state that allows the operation.
        public static let invalidState = Code(.invalidState)
        /// The database was migrated by a newer refbot than this one; it was left untouched.
        public static let newerDatabase = Code(.newerDatabase)
        public var description: String { kind.rawValue }
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(code: Code, message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(message) (\($0))" } ?? message
    }

    public static func == (lhs: StoreError, rhs: StoreError) -> Bool { lhs.code == rhs.code }
}
