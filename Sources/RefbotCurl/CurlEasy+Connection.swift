import CCurl

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
}

extension CurlEasy {
    /// Sets login, TLS and timeouts; they stay for every transfer on this handle.
    ///
    /// `imap://`/`smtp://` use STARTTLS: required when `requireTLS`, else used when offered.
    func applyConnection(_ options: CurlConnectionOptions) throws(CurlCode) {
        if !options.username.isEmpty {
            try set(CURLOPT_USERNAME, options.username)
            try set(CURLOPT_PASSWORD, options.password)
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
