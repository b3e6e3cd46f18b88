/// An error from a mail server or the connection to it, classed once as temporary or permanent.
///
/// Code above the transport switches on ``isTemporary`` and never on library-specific codes:
/// a temporary error is retried later (SMTP 4xx, refused connections, timeouts, TLS trouble),
/// a permanent one is not (SMTP 5xx, a rejected login).
public struct TransportError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of failure this is; cases may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Kind: String, Sendable {
            case connection, tls, authentication, rejected, notFound, protocolError, timeout, tooLarge, other, quota
        }
        private let kind: Kind
        private init(_ kind: Kind) { self.kind = kind }
        /// The server could not be reached, or the connection broke.
        public static let connection = Code(.connection)
        /// TLS could not be set up or the certificate was not trusted.
        public static let tls = Code(.tls)
        /// The login was refused.
        public static let authentication = Code(.authentication)
        /// The server refused a command or a message (SMTP 4xx/5xx, IMAP NO/BAD).
        public static let rejected = Code(.rejected)
        /// A folder or message does not exist.
        public static let notFound = Code(.notFound)
        /// The server answered something that could not be understood.
        public static let protocolError = Code(.protocolError)
        /// The operation took too long.
        public static let timeout = Code(.timeout)
        /// A message was larger than allowed.
        public static let tooLarge = Code(.tooLarge)
        /// Anything else.
        public static let other = Code(.other)
        /// The provider refused for volume (a sending quota or rate limit, ``ProviderReply/isQuota(code:text:)``):
        /// always temporary; the sender slows down rather than failing the mail.
        public static let quota = Code(.quota)
        public var description: String { kind.rawValue }
    }

    /// The class of failure.
    public var code: Code
    /// What went wrong and, where it helps, which setting to look at.
    public var message: String
    /// Whether trying again later may succeed.
    public var isTemporary: Bool
    /// The server's reply code where there is one (SMTP 550, …).
    public var serverCode: Int?

    public init(code: Code, message: String, isTemporary: Bool, serverCode: Int? = nil) {
        self.code = code
        self.message = message
        self.isTemporary = isTemporary
        self.serverCode = serverCode
    }

    /// A failure worth retrying later.
    public static func temporary(_ code: Code, _ message: String, serverCode: Int? = nil) -> TransportError {
        TransportError(code: code, message: message, isTemporary: true, serverCode: serverCode)
    }

    /// A failure that will not go away by retrying.
    public static func permanent(_ code: Code, _ message: String, serverCode: Int? = nil) -> TransportError {
        TransportError(code: code, message: message, isTemporary: false, serverCode: serverCode)
    }

    public var description: String {
        "\(isTemporary ? "temporary" : "permanent") \(code) error: \(message)"
    }

    /// Errors compare by code and temporariness only, so tests can match on them.
    public static func == (lhs: TransportError, rhs: TransportError) -> Bool {
        lhs.code == rhs.code && lhs.isTemporary == rhs.isTemporary
    }
}
