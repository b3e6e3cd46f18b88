import CCurl
import RefbotTransport

/// The connection settings IMAP and SMTP share.
struct CurlConnectionOptions: Sendable {
    var url: MailURL
    var username: String
    var password: String
    var requireTLS: Bool
    var caFile: String
    var tlsVerify: Bool
    var connectTimeoutSeconds: Int
    var timeoutSeconds: Int
    /// `.password` logs in with ``password``; the OAuth2 mechanisms with ``bearer``.
    var auth: MailAuthMechanism = .password
    /// The OAuth2 access token for `.xoauth2` and `.oauthbearer`.
    var bearer = ""
}

extension CurlEasy {
    /// Sets login, TLS and timeouts; they stay for every transfer on this handle.
    ///
    /// `imap://`/`smtp://` use STARTTLS: required when `requireTLS`, else used when offered.
    func applyConnection(_ options: CurlConnectionOptions) throws(CurlCode) {
        if !options.username.isEmpty {
            try set(CURLOPT_USERNAME, options.username)
            switch options.auth {
            case .password:
                try set(CURLOPT_PASSWORD, options.password)
            case .xoauth2, .oauthbearer:
                // libcurl sends the SASL message itself; AUTH= keeps it from falling back to another mechanism
                try set(CURLOPT_XOAUTH2_BEARER, options.bearer)
                try set(CURLOPT_LOGIN_OPTIONS, options.auth == .xoauth2 ? "AUTH=XOAUTH2" : "AUTH=OAUTHBEARER")
            }
        }
        if !options.url.implicitTLS {
            let level = options.requireTLS ? CURLUSESSL_ALL : CURLUSESSL_TRY
            try set(CURLOPT_USE_SSL, Int(level.rawValue))
        }
        if !options.caFile.isEmpty { try set(CURLOPT_CAINFO, options.caFile) }
        if !options.tlsVerify {
            try set(CURLOPT_SSL_VERIFYPEER, 0)
            try set(CURLOPT_SSL_VERIFYHOST, 0)
        }
        try set(CURLOPT_CONNECTTIMEOUT, max(1, options.connectTimeoutSeconds))
        try set(CURLOPT_TIMEOUT, max(1, options.timeoutSeconds))
        try set(CURLOPT_TCP_KEEPALIVE, 1)
    }
}
