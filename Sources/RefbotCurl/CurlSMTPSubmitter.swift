import CCurl
import RefbotTransport
import Synchronization

/// ``MailSubmitter`` over libcurl: one SMTP session kept open across batches (an ``SMTPConnection``:
/// libcurl connects, starts TLS and logs in; refbot then sends each mail's `MAIL FROM`/`RCPT TO`/`DATA`,
/// pipelined where the server offers PIPELINING), so a steady trickle of answers pays for TLS and the
/// login once, not once per batch, and each mail costs two round trips.
///
/// ```swift
/// let submitter = CurlSMTPSubmitter(settings: configuration.smtpSettings, pool: pool)
/// let results = await submitter.submit([OutgoingMail(envelopeFrom: "bot+bounce-7@example.org",
///                                                    recipients: ["alice@example.org"], data: bytes)])
/// ```
///
/// `smtps://` starts TLS at connect; `smtp://` uses STARTTLS, required when `requireTLS` is on.
/// It logs in when `username` is not empty. The EHLO name is `heloName`. An empty `envelopeFrom`
/// is the null sender `<>`.
///
/// The kept connection: a new one is opened when it sat unused for two minutes
/// (``idleLimitMilliseconds``) or broke. When the server closed it just as a mail began (its idle
/// timeout, a `421`), so that the server never said `354` to the mail's `DATA`, the mail cannot
/// have been accepted: it goes once more over a new connection, once. After `354` a broken
/// connection is reported as usual (temporary), never retried here. ``close()`` says `QUIT`.
///
/// Failure modes (all ``TransportError``, one per message, in input order):
/// - a 4xx reply: temporary `rejected`; a 5xx reply: permanent `rejected` (552: `tooLarge`);
/// - a provider's quota or rate-limit reply (``ProviderReply/isQuota(code:text:)``, 4xx or 5xx):
///   temporary `quota`, and the rest of the batch gets the same error without further attempts;
/// - connection refused or broken, DNS, timeouts, TLS trouble: temporary; a refused login: permanent
///   `authentication`. When the server cannot be reached or logged in to, the rest of the batch
///   gets the same error without further attempts.
public final class CurlSMTPSubmitter: MailSubmitter {
    private let settings: SMTPServerSettings
    private let pool: CurlThreadPool
    private let tokens: (any AccessTokenSource)?
    private let connection = SMTPConnectionSlot()

    /// A submitter for `settings`; nothing connects until ``submit(_:)`` or ``checkLogin()``.
    /// `tokens` gives OAuth2 access tokens when `settings.auth` is not `.password`; a refused login
    /// asks it once for a new token and the batch is tried once more.
    public init(settings: SMTPServerSettings, pool: CurlThreadPool, tokens: (any AccessTokenSource)? = nil) {
        self.settings = settings
        self.pool = pool
        self.tokens = tokens
    }

    deinit {
        // Closing the connection sends QUIT and waits for the answer: do it on a pool thread.
        let connection = self.connection
        pool.runDetached { connection.session.withLock { $0 = nil } }
    }

    /// Ends the kept SMTP session (`QUIT`); the next submission connects again.
    public func close() async {
        let connection = self.connection
        _ = try? await pool.run { connection.session.withLock { $0 = nil } }
    }

    /// The access token to log in with (empty for password logins), or why there is none.
    private func bearer(replacing refused: String?) async throws(TransportError) -> String {
        guard settings.auth.usesToken, !settings.username.isEmpty else { return "" }
        guard let tokens else {
            throw .permanent(
                .authentication, "SMTP login with \(settings.auth.rawValue) needs an access token, and none is configured")
        }
        return try await tokens.accessToken(replacing: refused)
    }

    /// Whether a result is a refused login, which a new token may cure.
    private static func refusedLogin(_ result: Result<Void, TransportError>) -> Bool {
        if case .failure(let error) = result { return error.code == .authentication && !error.isTemporary }
        return false
    }

    public func submit(_ mails: [OutgoingMail]) async -> [Result<Void, TransportError>] {
        guard !mails.isEmpty else { return [] }
        let token: String
        do {
            token = try await bearer(replacing: nil)
        } catch {
            return Array(repeating: .failure(error), count: mails.count)
        }
        let results = await submitOnce(mails, bearer: token)
        // A login refused with an OAuth2 token: one new token, one more try. The login failed before
        // any message was sent, so every mail of the batch failed the same way.
        guard !token.isEmpty, let first = results.first, Self.refusedLogin(first) else {
            await acceptedIfSent(results, token: token)
            return results
        }
        guard let fresh = try? await bearer(replacing: token), fresh != token else { return results }
        let retried = await submitOnce(mails, bearer: fresh)
        await acceptedIfSent(retried, token: fresh)
        return retried
    }

    /// Tells the token source its token worked when some mail went through with it.
    private func acceptedIfSent(_ results: [Result<Void, TransportError>], token: String) async {
        guard !token.isEmpty, let tokens else { return }
        if results.contains(where: { if case .success = $0 { true } else { false } }) { await tokens.accepted(token) }
    }

    private func submitOnce(_ mails: [OutgoingMail], bearer: String) async -> [Result<Void, TransportError>] {
        let options: CurlConnectionOptions
        do {
            options = try connectionOptions(bearer: bearer)
        } catch {
            return Array(repeating: .failure(error), count: mails.count)
        }
        let heloName = settings.heloName
        let connection = self.connection
        do {
            return try await pool.run {
                Self.submitBlocking(mails, options: options, heloName: heloName, connection: connection)
            }
        } catch {
            let failure = TransportError.temporary(.other, "SMTP submission did not run: \(error)")
            return Array(repeating: .failure(failure), count: mails.count)
        }
    }

    public func submit(
        _ mails: [OutgoingMail], onResult: @escaping @Sendable (Int, Result<Void, TransportError>) -> Void
    ) async {
        guard !mails.isEmpty else { return }
        let token: String
        do {
            token = try await bearer(replacing: nil)
        } catch {
            for index in mails.indices { onResult(index, .failure(error)) }
            return
        }
        guard !token.isEmpty else {
            await submitOnce(mails, bearer: token, onResult: onResult)
            return
        }
        // With a token, hold back the results of a refused login (they come first, and all alike)
        // until a new token has been tried once.
        let refused = Mutex<[Result<Void, TransportError>]>([])
        let sent = Mutex(false)
        await submitOnce(mails, bearer: token) { index, result in
            let holding = refused.withLock { held -> Bool in
                if index == 0 && Self.refusedLogin(result) || !held.isEmpty {
                    held.append(result)
                    return true
                }
                return false
            }
            if case .success = result { sent.withLock { $0 = true } }
            if !holding { onResult(index, result) }
        }
        let held = refused.withLock { $0 }
        guard !held.isEmpty else {
            if sent.withLock({ $0 }) { await tokens?.accepted(token) }
            return
        }
        if let fresh = try? await bearer(replacing: token), fresh != token {
            let sentFresh = Mutex(false)
            await submitOnce(mails, bearer: fresh) { index, result in
                if case .success = result { sentFresh.withLock { $0 = true } }
                onResult(index, result)
            }
            if sentFresh.withLock({ $0 }) { await tokens?.accepted(fresh) }
        } else {
            for (index, result) in held.enumerated() { onResult(index, result) }
        }
    }

    private func submitOnce(
        _ mails: [OutgoingMail], bearer: String, onResult: @escaping @Sendable (Int, Result<Void, TransportError>) -> Void
    ) async {
        let options: CurlConnectionOptions
        do {
            options = try connectionOptions(bearer: bearer)
        } catch {
            for index in mails.indices { onResult(index, .failure(error)) }
            return
        }
        let heloName = settings.heloName
        let reported = Mutex(0)
        let connection = self.connection
        do {
            _ = try await pool.run {
                Self.submitBlocking(mails, options: options, heloName: heloName, connection: connection) { index, result in
                    reported.withLock { $0 = index + 1 }
                    onResult(index, result)
                }
            }
        } catch {
            // The pool is shutting down: whatever was not submitted is reported as temporary.
            let failure = TransportError.temporary(.other, "SMTP submission did not run: \(error)")
            for index in reported.withLock({ $0 })..<mails.count { onResult(index, .failure(failure)) }
        }
    }

    public func checkLogin() async throws {
        let token = try await bearer(replacing: nil)
        do {
            try await checkLogin(bearer: token)
            if !token.isEmpty { await tokens?.accepted(token) }
        } catch let error as TransportError where !token.isEmpty && error.code == .authentication && !error.isTemporary {
            let fresh = try await bearer(replacing: token)
            guard fresh != token else { throw error }
            try await checkLogin(bearer: fresh)
            await tokens?.accepted(fresh)
        }
    }

    private func checkLogin(bearer: String) async throws {
        let options = try connectionOptions(bearer: bearer)
        let heloName = settings.heloName
        try await pool.run { () throws in
            let easy = try Self.makeHandle(options: options, heloName: heloName)
            do {
                try easy.set(CURLOPT_CUSTOMREQUEST, "NOOP")
            } catch {
                throw TransportError.permanent(.other, "SMTP settings cannot be applied: \(error)")
            }
            let transfer = easy.perform(bodyLimit: 1 << 20)
            if transfer.code != .ok {
                throw TransportError.classify(
                    transfer, service: .smtp, server: options.url.authority, doing: "the login check")
            }
        }
    }

    // MARK: - Blocking part (pool thread)

    private func connectionOptions(bearer: String) throws(TransportError) -> CurlConnectionOptions {
        let url = try MailURL(settings.url, schemes: ["smtps", "smtp"], service: .smtp)
        var options = CurlConnectionOptions(
            url: url, username: settings.username, password: settings.password, requireTLS: settings.requireTLS,
            caFile: settings.caFile, tlsVerify: settings.tlsVerify,
            connectTimeoutSeconds: settings.connectTimeoutSeconds, timeoutSeconds: settings.timeoutSeconds)
        options.auth = settings.auth
        options.bearer = bearer
        return options
    }

    private static func makeHandle(options: CurlConnectionOptions, heloName: String) throws(TransportError)
        -> CurlEasy
    {
        let helo = heloName.isEmpty ? "localhost" : heloName
        do {
            let easy = try CurlEasy()
            try easy.applyConnection(options)
            // libcurl's EHLO name is the URL's path.
            try easy.set(CURLOPT_URL, options.url.base + "/" + IMAPSyntax.percentEncoded(helo))
            return easy
        } catch {
            throw .permanent(.other, "SMTP settings cannot be applied: \(error)")
        }
    }

    private static func submitBlocking(
        _ mails: [OutgoingMail], options: CurlConnectionOptions, heloName: String, connection: SMTPConnectionSlot,
        onResult: (Int, Result<Void, TransportError>) -> Void = { _, _ in }
    ) -> [Result<Void, TransportError>] {
        var results: [Result<Void, TransportError>] = []
        results.reserveCapacity(mails.count)
        connection.session.withLock { slot in
            // The kept session serves only the login it was made with (a new OAuth2 token makes a new one).
            if let kept = slot, kept.bearer != options.bearer {
                kept.connection?.quit()
                slot = nil
            }
            let session = slot ?? SMTPSession(bearer: options.bearer)
            slot = session
            submitEach(mails, session: session, options: options, heloName: heloName) { index, result in
                results.append(result)
                onResult(index, result)
            }
        }
        return results
    }

    /// How long a kept connection may sit unused before the next mail opens a new one (servers
    /// close idle sessions after a few minutes; Postfix after 300 s).
    static let idleLimitMilliseconds = 120_000

    /// Submits each mail in turn on the session's connection, reporting each result as soon as it is known.
    private static func submitEach(
        _ mails: [OutgoingMail], session: SMTPSession, options: CurlConnectionOptions, heloName: String,
        report: (Int, Result<Void, TransportError>) -> Void
    ) {
        var stopAll: TransportError?
        // The connection that has answered during this batch. A kept connection's first mail of a
        // batch goes by DATA, whose first round trip shows the connection alive before any of the
        // mail is sent; from then on (or on a new connection) a mail may go as one BDAT chunk.
        var answering: SMTPConnection?
        for (index, mail) in mails.enumerated() {
            if let stopAll {
                report(index, .failure(stopAll))
                continue
            }
            if let problem = envelopeProblem(mail) {
                report(index, .failure(problem))
                continue
            }
            var retried = false
            while true {
                if let kept = session.connection,
                    kept.isClosed || SMTPConnection.monotonicMilliseconds() - kept.lastAnswered > idleLimitMilliseconds
                {
                    kept.quit()
                    session.connection = nil
                }
                let fresh = session.connection == nil
                let connection: SMTPConnection
                do throws(TransportError) {
                    if let kept = session.connection {
                        connection = kept
                    } else {
                        connection = try SMTPConnection(options: options, heloName: heloName)
                    }
                } catch {
                    // The server cannot be reached or logged in to: the next mail would meet the same.
                    report(index, .failure(error))
                    stopAll = error
                    break
                }
                session.connection = connection
                do throws(SMTPMailFailure) {
                    try connection.submit(mail, mayChunk: fresh || answering === connection)
                    answering = connection
                    report(index, .success(()))
                } catch {
                    if error.connectionLost { session.connection = nil } else { answering = connection }
                    // A kept connection the server had closed before this mail's DATA: none of it can
                    // have been accepted, so it goes once more, over a new connection.
                    if error.connectionLost, error.beforeData, !fresh, !retried {
                        retried = true
                        continue
                    }
                    report(index, .failure(error.error))
                    // A quota reply ends the batch too: the next mail would only spend more of the quota.
                    if error.error.code == .quota || error.error.code == .authentication { stopAll = error.error }
                }
                break
            }
        }
    }

    /// Envelope addresses must not carry line breaks, angle brackets or spaces (they would break or
    /// extend the SMTP command).
    private static func envelopeProblem(_ mail: OutgoingMail) -> TransportError? {
        func bad(_ address: String) -> Bool {
            address.unicodeScalars.contains { $0.value <= 0x20 || $0.value == 0x7f || $0 == "<" || $0 == ">" }
        }
        if mail.recipients.isEmpty {
            return .permanent(.rejected, "the message has no recipients")
        }
        if bad(mail.envelopeFrom) {
            return .permanent(.rejected, "the envelope sender \"\(mail.envelopeFrom)\" is not a usable address")
        }
        if let recipient = mail.recipients.first(where: { $0.isEmpty || bad($0) }) {
            return .permanent(.rejected, "the recipient \"\(recipient)\" is not a usable address")
        }
        return nil
    }
}

/// Holds the submitter's SMTP session, at most one; the lock keeps it to one batch at a time.
final class SMTPConnectionSlot: Sendable {
    let session = Mutex<SMTPSession?>(nil)
}

/// The kept SMTP connection, if there is one, and the OAuth2 token it logs in with (empty for
/// passwords). Used by one thread at a time, under ``SMTPConnectionSlot``'s lock (hence unchecked:
/// nothing reaches its connection but through that lock).
final class SMTPSession: @unchecked Sendable {
    var connection: SMTPConnection?
    let bearer: String

    init(bearer: String) {
        self.bearer = bearer
    }

    deinit { connection?.quit() }
}
