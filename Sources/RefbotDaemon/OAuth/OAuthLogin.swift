import Crypto
import Foundation
import RefbotCurl
import RefbotTransport

/// `refbot auth login`: gets the first refresh token for the delegated grant and writes it to
/// `oauth.refresh_token_file` (0600).
///
/// - Device code (RFC 8628), where the provider allows it for mail scopes (Microsoft): prints the
///   page to open and the code to type there, then polls the token endpoint.
/// - Authorization code with PKCE (RFC 7636) and a loopback redirect (Google): prints the page to
///   open; after consent the browser is sent to `redirect_uri` on 127.0.0.1, which need not load
///   (the browser may run on another machine): the admin pastes that address back.
public struct OAuthLogin: Sendable {
    public var settings: Configuration.OAuth
    public var pool: CurlThreadPool
    /// Shows a line to the admin.
    public var say: @Sendable (String) -> Void
    /// Reads the line the admin pastes (nil at end of input).
    public var readLine: @Sendable () -> String?
    /// Waits between device-code polls.
    public var sleep: @Sendable (Int) async throws -> Void = { seconds in try await Task.sleep(for: .seconds(seconds)) }

    public init(
        settings: Configuration.OAuth, pool: CurlThreadPool, say: @escaping @Sendable (String) -> Void,
        readLine: @escaping @Sendable () -> String?
    ) {
        self.settings = settings
        self.pool = pool
        self.say = say
        self.readLine = readLine
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// Runs the device-code flow and returns the refresh token (also written to the file).
    public func deviceCode() async throws -> String {
        guard !settings.deviceCodeURL.isEmpty else {
            throw Failure("oauth.device_code_url is not set; set it, set bot.provider = \"microsoft365\", or use --flow pkce")
        }
        var fields = [("client_id", settings.clientID)]
        if !settings.scope.isEmpty { fields.append(("scope", settings.scope)) }
        let answer = try await CurlHTTPForm.post(settings.deviceCodeURL, fields: fields, pool: pool)
        let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any] ?? [:]
        guard answer.status == 200, let deviceCode = object["device_code"] as? String,
            let userCode = object["user_code"] as? String,
            let page = (object["verification_uri"] as? String) ?? (object["verification_url"] as? String)
        else {
            throw Failure("\(settings.deviceCodeURL) refused to start a sign-in: \(Self.errorText(answer))")
        }
        var interval = max(1, (object["interval"] as? Int) ?? 5)
        let expiresIn = (object["expires_in"] as? Int) ?? 900
        say("To let refbot use the mailbox, open")
        say("")
        say("    \(page)")
        say("")
        say("in a browser, sign in as the bot's mailbox user and enter the code  \(userCode)")
        say("Waiting for you to finish (up to \(expiresIn / 60) minutes)...")
        let deadline = Date().addingTimeInterval(TimeInterval(expiresIn))
        while Date() < deadline {
            try await sleep(interval)
            var poll = [
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("client_id", settings.clientID),
                ("device_code", deviceCode),
            ]
            if !settings.clientSecret.isEmpty { poll.append(("client_secret", settings.clientSecret)) }
            let reply = try await CurlHTTPForm.post(settings.tokenURL, fields: poll, pool: pool)
            if reply.status == 200 { return try save(reply) }
            let error = ((try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any])?["error"] as? String
            switch error {
            case "authorization_pending": continue
            case "slow_down": interval += 5
            case "access_denied", "authorization_declined":
                throw Failure("the sign-in was declined in the browser; run refbot auth login again to retry")
            case "expired_token":
                throw Failure("the code expired before the sign-in finished; run refbot auth login again")
            default:
                throw Failure("\(settings.tokenURL) refused: \(Self.errorText(reply))")
            }
        }
        throw Failure("the code expired before the sign-in finished; run refbot auth login again")
    }

    /// Runs the authorization-code flow with PKCE and returns the refresh token (also written).
    public func pkce(redirectURI: String) async throws -> String {
        guard !settings.authorizeURL.isEmpty else {
            throw Failure("oauth.authorize_url is not set; set it, or set bot.provider = \"google\"")
        }
        let verifier = Self.randomURLSafe(bytes: 48)
        let challenge = Self.challenge(for: verifier)
        let state = Self.randomURLSafe(bytes: 16)
        var query = [
            ("response_type", "code"), ("client_id", settings.clientID), ("redirect_uri", redirectURI),
            ("code_challenge", challenge), ("code_challenge_method", "S256"), ("state", state),
            // Google sends a refresh token only with offline access, and again only after consent
            ("access_type", "offline"), ("prompt", "consent"),
        ]
        if !settings.scope.isEmpty { query.append(("scope", settings.scope)) }
        let separator = settings.authorizeURL.contains("?") ? "&" : "?"
        say("To let refbot use the mailbox, open this address in a browser and sign in as the bot's mailbox user:")
        say("")
        say("    \(settings.authorizeURL)\(separator)\(CurlHTTPForm.formEncoded(query))")
        say("")
        say("After you allow access, the browser goes to \(redirectURI)… and shows that the page cannot be")
        say("reached. That is expected: copy the whole address from the browser's address bar and paste it here.")
        say("Address:")
        guard let pasted = readLine()?.trimmingCharacters(in: .whitespacesAndNewlines), !pasted.isEmpty else {
            throw Failure("no address was pasted; run refbot auth login again")
        }
        let parameters = Self.queryParameters(pasted)
        if let error = parameters["error"] {
            throw Failure("the provider refused the sign-in: \(error) \(parameters["error_description"] ?? "")")
        }
        guard parameters["state"] == state else {
            throw Failure(
                "the pasted address does not belong to this sign-in (its state differs); paste the address from this run's browser window")
        }
        guard let code = parameters["code"], !code.isEmpty else {
            throw Failure("the pasted address has no code= in it; paste the whole address from the address bar")
        }
        var fields = [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("client_id", settings.clientID), ("code_verifier", verifier),
        ]
        if !settings.clientSecret.isEmpty { fields.append(("client_secret", settings.clientSecret)) }
        let reply = try await CurlHTTPForm.post(settings.tokenURL, fields: fields, pool: pool)
        guard reply.status == 200 else { throw Failure("\(settings.tokenURL) refused the code: \(Self.errorText(reply))") }
        return try save(reply)
    }

    private func save(_ reply: HTTPFormAnswer) throws -> String {
        let object = (try? JSONSerialization.jsonObject(with: Data(reply.body))) as? [String: Any] ?? [:]
        guard let refresh = object["refresh_token"] as? String, !refresh.isEmpty else {
            throw Failure(
                "the token endpoint gave no refresh token; ask for offline access (Microsoft: the offline_access scope in oauth.scope)")
        }
        guard refresh.utf8.count <= 16384, !refresh.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7f }) else {
            throw Failure("the token endpoint gave a refresh token refbot cannot store")
        }
        do {
            try RefreshTokenFile.write(refresh, to: settings.refreshTokenFile)
        } catch {
            throw Failure("cannot write oauth.refresh_token_file: \(error)")
        }
        say("Wrote the refresh token to \(settings.refreshTokenFile) (readable by its owner only).")
        return refresh
    }

    /// The S256 code challenge: BASE64URL(SHA256(verifier)) without padding.
    public static func challenge(for verifier: String) -> String {
        base64URL(Array(SHA256.hash(data: Array(verifier.utf8))))
    }

    static func randomURLSafe(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return base64URL((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// The query (or fragment) parameters of a pasted address, percent-decoded.
    static func queryParameters(_ address: String) -> [String: String] {
        guard let start = address.firstIndex(where: { $0 == "?" || $0 == "#" }) else { return [:] }
        var result: [String: String] = [:]
        for pair in address[address.index(after: start)...].split(whereSeparator: { $0 == "&" || $0 == "#" }) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = String(parts[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            let value = parts.count > 1 ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            if result[key] == nil { result[key] = value }
        }
        return result
    }

    static func errorText(_ answer: HTTPFormAnswer) -> String {
        if let object = (try? JSONSerialization.jsonObject(with: Data(answer.body))) as? [String: Any],
            let error = object["error"] as? String
        {
            let detail = (object["error_description"] as? String).map { " (\($0.prefix(300)))" } ?? ""
            return "\(error)\(detail)"
        }
        return "HTTP \(answer.status)"
    }
}
