import RefbotTransport

/// Which server a failure came from; names the configuration keys in error messages.
enum MailService: Sendable {
    case imap
    case smtp

    var name: String {
        switch self {
        case .imap: "IMAP"
        case .smtp: "SMTP"
        }
    }

    /// The configuration table whose keys the messages point at (`imap.url`, `smtp.ca_file`, …).
    var key: String {
        switch self {
        case .imap: "imap"
        case .smtp: "smtp"
        }
    }
}

extension TransportError {
    /// Classifies a failed transfer once: temporary or permanent, and what to check.
    ///
    /// - SMTP reply codes win when there is one: 4xx temporary, 5xx permanent (552 `tooLarge`).
    /// - Connection trouble (refused, reset, DNS, timeouts) and TLS trouble are temporary.
    /// - A refused login is permanent. IMAP `NO`/`BAD` is `rejected`, permanent unless the server
    ///   says it is passing (`[UNAVAILABLE]`, `[INUSE]`, `[LIMIT]`, `[SERVERBUG]`).
    /// An SMTP server's reply to a mail command that did not go on as it should: refused, deferred,
    /// or (a positive code where another was due) a protocol error.
    static func smtpReply(_ reply: Int, text: String, server: String, doing operation: String) -> TransportError {
        smtpRefusal(reply, text: text, server: server, doing: operation)
            ?? .temporary(.protocolError, "SMTP server \(server) answered \(operation) out of turn: \(text)", serverCode: reply)
    }

    /// A 4xx or 5xx SMTP reply, classed; nil for any other code.
    private static func smtpRefusal(_ reply: Int, text: String, server: String, doing operation: String) -> TransportError? {
        if reply >= 400, ProviderReply.isQuota(code: reply, text: text) {
            return .temporary(
                .quota, "SMTP server \(server) refused \(operation) for volume (a sending quota or rate limit): \(text)",
                serverCode: reply)
        }
        switch SMTPReplyClass(code: reply) {
        case .transient:
            return .temporary(.rejected, "SMTP server \(server) deferred \(operation): \(text)", serverCode: reply)
        case .permanent:
            if reply == 535 || reply == 534 {
                return .permanent(
                    .authentication,
                    "SMTP server \(server) refused the login: \(text) (check smtp.username and smtp.password_file)",
                    serverCode: reply)
            }
            if SMTPReplyClass.isSizeRefusal(reply) {
                return .permanent(
                    .tooLarge, "SMTP server \(server) refused \(operation) as too large: \(text)", serverCode: reply)
            }
            if reply == 530 {
                return .permanent(
                    .rejected,
                    "SMTP server \(server) refused \(operation): \(text) (it wants a login or TLS first: "
                        + "check smtp.username, smtp.password_file, and smtp.url with smtp.starttls)",
                    serverCode: reply)
            }
            return .permanent(.rejected, "SMTP server \(server) refused \(operation): \(text)", serverCode: reply)
        case .positive, .none:
            return nil
        }
    }

    static func classify(_ transfer: CurlTransfer, service: MailService, server: String, doing operation: String)
        -> TransportError
    {
        let name = service.name
        let key = service.key
        let detail = transfer.detail
        let code = transfer.code
        let reply = transfer.responseCode

        if service == .smtp, reply >= 400, code != .operationTimedOut {
            let text = replyText(reply, in: transfer.headers) ?? detail
            if let refusal = smtpRefusal(reply, text: text, server: server, doing: operation) { return refusal }
        }

        switch code {
        case .couldNotResolveHost:
            return .temporary(.connection, "could not resolve the \(name) server's host name in \(key).url: \(detail)")
        case .couldNotConnect:
            return .temporary(
                .connection, "could not connect to the \(name) server \(server): \(detail) (check \(key).url)")
        case .operationTimedOut:
            return .temporary(
                .timeout,
                "\(name) server \(server) took too long during \(operation): \(detail) "
                    + "(check \(key).url and that the server answers there)")
        case .sendError, .receiveError, .gotNothing, .partialFile, .sslShutdownFailed:
            return .temporary(.connection, "the connection to the \(name) server \(server) broke during \(operation): \(detail)")
        case .peerFailedVerification, .sslIssuerError:
            return .temporary(
                .tls,
                "\(name) server certificate not trusted (set \(key).ca_file or \(key).tls_verify): \(detail)")
        case .sslCACertBadFile, .sslCRLBadFile:
            return .temporary(.tls, "could not read the CA file in \(key).ca_file: \(detail)")
        case .sslConnectError, .sslCipher, .sslCertificateProblem, .sslEngineNotFound, .sslClientCertificate:
            return .temporary(.tls, "TLS with the \(name) server \(server) failed: \(detail)")
        case .useSSLFailed:
            return .temporary(
                .tls,
                "\(name) server \(server) does not offer STARTTLS (use an \(name.lowercased())s:// URL in \(key).url, "
                    + "or set \(key).starttls = false for a loopback server)")
        case .loginDenied, .authError, .remoteAccessDenied:
            if service == .imap, detail.reportsFailedSelect {
                return .permanent(.notFound, "\(name) server \(server) could not open the folder for \(operation)")
            }
            return .permanent(
                .authentication,
                "\(name) server \(server) refused the login: \(detail) (check \(key).username and \(key).password_file)",
                serverCode: reply == 0 ? nil : reply)
        case .quoteError:
            // The refusal, not a later OK (libcurl may log out on the same handle after it).
            let tagged = IMAPResponse.taggedStatus(transfer.headers, failuresFirst: true)
            let text = tagged?.text ?? detail
            let upper = text.uppercased()
            let passing = ["[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]"].contains { upper.contains($0) }
            let message = "\(name) server \(server) refused \(operation): \(text)"
            return passing ? .temporary(.rejected, message) : .permanent(.rejected, message)
        case .remoteFileNotFound:
            return .permanent(.notFound, "\(name) server \(server) has no such message for \(operation)")
        case .writeError where transfer.bodyOverflowed:
            return .permanent(.tooLarge, "\(operation) from \(name) server \(server) is larger than allowed")
        case .fileSizeExceeded:
            return .permanent(.tooLarge, "\(operation) on \(name) server \(server) is larger than allowed: \(detail)")
        case .weirdServerReply:
            return .temporary(.protocolError, "\(name) server \(server) answered \(operation) unexpectedly: \(detail)")
        case .unsupportedProtocol, .urlMalformat:
            return .permanent(.other, "\(key).url cannot be used: \(detail)")
        default:
            return .temporary(.other, "\(name) \(operation) with \(server) failed: \(detail) (\(code))")
        }
    }

    /// The last server line with this reply code (`550 5.1.1 <x@y>: Recipient address rejected: …`);
    /// libcurl's QUIT afterwards (`221 Bye`) is not it.
    private static func replyText(_ code: Int, in headers: [UInt8]) -> String? {
        let lines = String(decoding: headers, as: UTF8.self).split(whereSeparator: \.isNewline)
        return lines.last(where: { $0.hasPrefix("\(code) ") || $0.hasPrefix("\(code)-") }).map(String.init)
    }
}

extension String {
    /// libcurl 7.88 reports a failed IMAP SELECT as a login error with the text "Select failed".
    fileprivate var reportsFailedSelect: Bool { contains("Select failed") }
}
