import Foundation
import Logging
import RefbotCurl
import RefbotTransport

/// Keeps an OAuth2 access token fresh for the IMAP and SMTP logins (`[oauth]`).
///
/// - With `oauth.token_command`, the program prints the token (``TokenCommand``); it is kept five
///   minutes, or until a server refuses it.
/// - Otherwise the token endpoint is asked with the `refresh_token` grant (the token from
///   `oauth.refresh_token_file`; a new one the provider sends back replaces it in the file,
///   atomically and 0600) or the `client_credentials` grant.
///
/// A token is renewed a minute before it expires, and when a server refuses it: once. When the
/// token got that way is refused too before any server took it, no further request is made until
/// it would expire anyway, so a server that refuses every token never makes refbot hammer the
/// token endpoint.
///
/// A refused refresh (an OAuth2 error answer such as `invalid_grant`) is logged once, reported
/// once through `onRefusal` (the daemon mails the admins), and thrown as a temporary
/// `authentication` error: the Fetcher leaves mail in the mailbox and the Sender keeps the outbox
/// pending until a token is had again. The endpoint is not asked again for five minutes, unless
/// the refresh token file is replaced (`refbot auth login`) before that.
public actor OAuthTokenSource: AccessTokenSource {
    public typealias Clock = @Sendable () -> Date

    private let settings: Configuration.OAuth
    private let pool: CurlThreadPool
    private let logger: Logger
    private let now: Clock
    private let caFile: String
    private var onRefusal: (@Sendable (OAuthRefusal) async -> Void)?
    /// Told the outcome of every request to the token endpoint or the token command (metrics).
    private let onRefresh: (@Sendable (Bool) -> Void)?

    private var current: (token: String, expiresAt: Date)?
    /// The token fetched because a server refused the one before it.
    private var fetchedAfterRefusal: String?
    private var inFlight: Task<Result<String, TransportError>, Never>?
    /// A refusal was reported and no token has been had since.
    private var refusalReported = false
    /// After a refusal: no new request before this time unless the refresh token file changes.
    private var quietUntil: Date?
    private var refusedFileStamp: Date?
    private var refusalError: TransportError?
    /// The last failure logged (each different one is logged once).
    private var lastFailureLogged = ""

    /// How long a `token_command` token is used before the program is run again.
    public static let commandTokenLifetime: TimeInterval = 300
    /// How long before its expiry a token is renewed.
    public static let renewBefore: TimeInterval = 60
    /// How long after a refusal the token endpoint is left alone (unless the refresh token file
    /// is replaced, as `refbot auth login` does).
    public static let quietAfterRefusal: TimeInterval = 300

    public init(
        settings: Configuration.OAuth, pool: CurlThreadPool, logger: Logger, caFile: String = "",
        now: @escaping Clock = { Date() }, onRefresh: (@Sendable (Bool) -> Void)? = nil,
        onRefusal: (@Sendable (OAuthRefusal) async -> Void)? = nil
    ) {
        self.onRefusal = onRefusal
        self.onRefresh = onRefresh
        self.settings = settings
        self.pool = pool
        self.logger = logger
        self.now = now
        self.caFile = caFile
    }

    /// Called once when the token endpoint refuses (again after a token was had in between).
    public func setOnRefusal(_ handler: @escaping @Sendable (OAuthRefusal) async -> Void) {
        onRefusal = handler
    }

    public func accessToken(replacing refused: String?) async throws(TransportError) -> String {
        if let current {
            let fresh = now() < current.expiresAt.addingTimeInterval(-Self.renewBefore)
            if fresh && (refused == nil || refused != current.token) { return current.token }
            if fresh, let refused, refused == fetchedAfterRefusal {
                // the token just fetched for a refusal is refused too: no second request for it
                logger.warning(
                    "OAuth2 access token refused again after a refresh; not asking for another until it expires",
                    metadata: ["rule": "oauth-refresh-once"])
                return current.token
            }
        }
        if let quietUntil, let refusalError, now() < quietUntil, refreshTokenFileStamp() == refusedFileStamp {
            throw refusalError
        }
        let task: Task<Result<String, TransportError>, Never>
        if let inFlight {
            task = inFlight
        } else {
            task = Task { await self.fetch() }
            inFlight = task
        }
        let result = await task.value
        if inFlight == task { inFlight = nil }
        switch result {
        case .success(let token):
            if refused != nil { fetchedAfterRefusal = token }
            return token
        case .failure(let error):
            throw error
        }
    }

    public func accepted(_ token: String) {
        // it worked: a later refusal of it is an expiry like any other, worth one refresh
        if token == fetchedAfterRefusal { fetchedAfterRefusal = nil }
    }

    /// Forgets the cached token (tests; `refbot check-config`).
    public func reset() { current = nil }

    private func fetch() async -> Result<String, TransportError> {
        let result = await obtainToken()
        if case .success = result { onRefresh?(true) } else { onRefresh?(false) }
        return result
    }

    private func obtainToken() async -> Result<String, TransportError> {
        do {
            let (token, lifetime) = try await obtain()
            current = (token, now().addingTimeInterval(lifetime))
            if refusalReported {
                logger.notice("OAuth2 token endpoint gives tokens again", metadata: ["token_url": "\(settings.tokenURL)"])
            }
            refusalReported = false
            quietUntil = nil
            refusalError = nil
            lastFailureLogged = ""
            return .success(token)
        } catch let error as OAuthRefusal {
            if !refusalReported {
                refusalReported = true
                logger.error(
                    "OAuth2 token refused; mail waits in the mailbox and the outbox until an admin acts",
                    metadata: [
                        "token_url": "\(settings.tokenURL)", "grant": "\(settings.grant)", "error": "\(error.code)",
                        "description": "\(error.description.prefix(300))",
                    ])
                if let onRefusal { await onRefusal(error) }
            }
            let failure = TransportError.temporary(.authentication, "the OAuth2 token endpoint refused: \(error)")
            quietUntil = now().addingTimeInterval(Self.quietAfterRefusal)
            refusedFileStamp = refreshTokenFileStamp()
            refusalError = failure
            return .failure(failure)
        } catch let error as TransportError {
            if error.message != lastFailureLogged {
                lastFailureLogged = error.message
                logger.warning(
                    "OAuth2 access token could not be had",
                    metadata: ["token_url": "\(settings.tokenURL)", "error": "\(error.message)"])
            }
            return .failure(.temporary(.authentication, "no OAuth2 access token: \(error.message)"))
        } catch {
            return .failure(.temporary(.authentication, "no OAuth2 access token: \(error)"))
        }
    }

    /// A fresh client assertion from the certificate and key files.
    static func assertion(_ settings: Configuration.OAuth, now: Date) throws -> String {
        guard let certificate = FileManager.default.contents(atPath: settings.clientCertificateFile),
            let key = FileManager.default.contents(atPath: settings.clientKeyFile)
        else {
            throw TransportError.permanent(
                .authentication, "cannot read oauth.client_certificate_file or oauth.client_key_file")
        }
        do {
            return try ClientAssertion.make(
                certificatePEM: String(decoding: certificate, as: UTF8.self), privateKeyPEM: String(decoding: key, as: UTF8.self),
                clientID: settings.clientID, audience: settings.tokenURL, now: now)
        } catch {
            throw TransportError.permanent(.authentication, "\(error)")
        }
    }

    /// When the refresh token file was last replaced (nil when there is none).
    private func refreshTokenFileStamp() -> Date? {
        guard settings.grant == "refresh_token", settings.tokenCommand.isEmpty else { return nil }
        return (try? FileManager.default.attributesOfItem(atPath: settings.refreshTokenFile))?[.modificationDate] as? Date
    }

    /// A new token and how many seconds it lasts.
    private func obtain() async throws -> (String, TimeInterval) {
        if !settings.tokenCommand.isEmpty {
            let token = try await TokenCommand.run(
                settings.tokenCommand, timeoutSeconds: settings.tokenCommandTimeoutSeconds, logger: logger)
            return (token, Self.commandTokenLifetime)
        }
        var fields: [(String, String)] = [("client_id", settings.clientID)]
        var refreshToken = ""
        if settings.grant == "client_credentials" {
            fields.insert(("grant_type", "client_credentials"), at: 0)
        } else {
            refreshToken = try RefreshTokenFile.read(settings.refreshTokenFile)
            fields.insert(("grant_type", "refresh_token"), at: 0)
            fields.append(("refresh_token", refreshToken))
        }
        if settings.grant == "client_credentials" && !settings.clientCertificateFile.isEmpty {
            fields.append(("client_assertion_type", ClientAssertion.type))
            fields.append(("client_assertion", try Self.assertion(settings, now: now())))
        } else if !settings.clientSecret.isEmpty {
            fields.append(("client_secret", settings.clientSecret))
        }
        if !settings.scope.isEmpty { fields.append(("scope", settings.scope)) }
        let answer = try await CurlHTTPForm.post(settings.tokenURL, fields: fields, pool: pool, caFile: caFile)
        let reply = try TokenReply(answer, endpoint: settings.tokenURL)
        if let rotated = reply.refreshToken, !rotated.isEmpty, rotated != refreshToken, settings.grant != "client_credentials" {
            do {
                try RefreshTokenFile.write(rotated, to: settings.refreshTokenFile)
                logger.info("OAuth2 refresh token rotated and saved", metadata: ["file": "\(settings.refreshTokenFile)"])
            } catch {
                // the old refresh token may stop working: say so now, not at the next refresh
                logger.error(
                    "OAuth2 refresh token rotated but not saved",
                    metadata: ["file": "\(settings.refreshTokenFile)", "error": "\(error)"])
            }
        }
        return (reply.accessToken, reply.expiresIn)
    }
}

/// The token endpoint refused the request with an OAuth2 error (RFC 6749 §5.2).
public struct OAuthRefusal: Error, Sendable, CustomStringConvertible {
    /// `invalid_grant`, `invalid_client`, … (or `http <status>` when the answer had none).
    public var code: String
    public var detail: String
    public var description: String { detail.isEmpty ? code : "\(code): \(detail)" }
}

/// A token endpoint's answer, checked.
public struct TokenReply: Sendable {
    public var accessToken: String
    public var expiresIn: TimeInterval
    public var refreshToken: String?

    /// Reads a 200 answer; an OAuth2 error answer (400/401) throws ``OAuthRefusal``; anything else a
    /// temporary ``TransportError``.
    public init(_ answer: HTTPFormAnswer, endpoint: String) throws {
        let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any]
        guard answer.status == 200 else {
            if let object, let code = object["error"] as? String, (400..<500).contains(answer.status) {
                let detail = (object["error_description"] as? String) ?? ""
                throw OAuthRefusal(code: String(code.prefix(100)), detail: String(detail.prefix(500)))
            }
            if answer.status == 400 || answer.status == 401 {
                throw OAuthRefusal(code: "http \(answer.status)", detail: "")
            }
            throw TransportError.temporary(.rejected, "\(endpoint) answered HTTP \(answer.status)")
        }
        guard let object, let token = object["access_token"] as? String else {
            throw TransportError.temporary(.protocolError, "\(endpoint) answered without an access_token")
        }
        guard isUsableAccessToken(token) else {
            throw TransportError.temporary(
                .protocolError, "\(endpoint) answered with an access_token that is not a bearer token (RFC 6750)")
        }
        accessToken = token
        let seconds: Double
        if let whole = object["expires_in"] as? Int {
            seconds = Double(whole)
        } else if let number = object["expires_in"] as? Double {
            seconds = number
        } else {
            seconds = Double(object["expires_in"] as? String ?? "") ?? 3600
        }
        expiresIn = max(0, min(seconds, 86400))
        refreshToken = object["refresh_token"] as? String
    }
}
