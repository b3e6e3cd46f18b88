/// How to reach and log in to an IMAP server.
public struct IMAPServerSettings: Sendable, Equatable {
    /// `imaps://host[:port]/FOLDER` (implicit TLS) or `imap://host[:port]/FOLDER` (STARTTLS).
    /// The path names the folder refbot reads, usually `INBOX`.
    public var url: String
    public var username: String
    public var password: String
    /// Require STARTTLS on `imap://` URLs (default). Turn off only for a loopback server.
    public var requireTLS: Bool
    /// An extra CA certificate file (PEM) to trust, for self-signed servers; empty for none.
    public var caFile: String
    /// Verify the server's certificate and host name.
    public var tlsVerify: Bool
    /// Seconds allowed to connect; a transfer in progress may take up to ``timeoutSeconds``.
    public var connectTimeoutSeconds: Int
    public var timeoutSeconds: Int
    /// How to log in: with the password, or with an OAuth2 access token (the password is then unused).
    public var auth: MailAuthMechanism = .password

    public init(
        url: String, username: String, password: String, requireTLS: Bool = true, caFile: String = "",
        tlsVerify: Bool = true, connectTimeoutSeconds: Int = 15, timeoutSeconds: Int = 120,
        auth: MailAuthMechanism = .password
    ) {
        self.url = url
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
        self.caFile = caFile
        self.tlsVerify = tlsVerify
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.timeoutSeconds = timeoutSeconds
        self.auth = auth
    }
}

/// How to reach and log in to an SMTP server.
public struct SMTPServerSettings: Sendable, Equatable {
    /// `smtps://host[:port]` (implicit TLS) or `smtp://host[:port]` (STARTTLS, required unless
    /// ``requireTLS`` is off).
    public var url: String
    /// Empty for no AUTH (a relay that trusts the client's address).
    public var username: String
    public var password: String
    public var requireTLS: Bool
    public var caFile: String
    public var tlsVerify: Bool
    /// The name refbot gives in EHLO.
    public var heloName: String
    public var connectTimeoutSeconds: Int
    public var timeoutSeconds: Int
    /// How to log in: with the password, or with an OAuth2 access token (the password is then unused).
    public var auth: MailAuthMechanism = .password

    public init(
        url: String, username: String = "", password: String = "", requireTLS: Bool = true, caFile: String = "",
        tlsVerify: Bool = true, heloName: String = "localhost", connectTimeoutSeconds: Int = 15,
        timeoutSeconds: Int = 120, auth: MailAuthMechanism = .password
    ) {
        self.url = url
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
        self.caFile = caFile
        self.tlsVerify = tlsVerify
        self.heloName = heloName
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.timeoutSeconds = timeoutSeconds
        self.auth = auth
    }
}

extension IMAPServerSettings: RedactsSecrets {
    public static let secretLabels: Set<String> = ["password"]
}

extension SMTPServerSettings: RedactsSecrets {
    public static let secretLabels: Set<String> = ["password"]
}
