import Foundation

/// The test OAuth2 server of a ``MailStack`` started with `oauthMechanisms`
/// (`scripts/mailstack/oauth-server.py`): its endpoints, and its state file, which tests set up,
/// change and read while it runs (it re-reads the file on every request).
public struct OAuthTestServer: Sendable {
    public let port: Int
    public let statePath: String

    public init(stack: MailStack) {
        port = stack.oauthPort
        statePath = stack.directory + "/oauth.json"
    }

    public var tokenURL: String { "http://127.0.0.1:\(port)/token" }
    public var deviceCodeURL: String { "http://127.0.0.1:\(port)/devicecode" }
    public var authorizeURL: String { "http://127.0.0.1:\(port)/authorize" }

    /// The server's state as JSON objects.
    public func state() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: statePath))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Changes the state (write it back atomically, as the server does).
    public func update(_ change: (inout [String: Any]) -> Void) throws {
        var current = try state()
        change(&current)
        let data = try JSONSerialization.data(withJSONObject: current, options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: statePath), options: .atomic)
    }

    /// How many requests of a kind the server answered (`refresh_token`, `client_credentials`,
    /// `introspect`, `devicecode`, `urn:ietf:params:oauth:grant-type:device_code`, …).
    public func count(_ what: String) throws -> Int {
        ((try state()["counts"] as? [String: Any])?[what] as? Int) ?? 0
    }

    /// Registers a client (`secret` empty for a public one) and a refresh token for `user`;
    /// returns the refresh token.
    @discardableResult
    public func setUp(clientID: String = "refbot-test", secret: String = "", user: String = "bot@example.test",
                      refreshToken: String = "rt-initial") throws -> String {
        try update { state in
            var clients = state["clients"] as? [String: Any] ?? [:]
            clients[clientID] = secret
            state["clients"] = clients
            var refresh = state["refresh_tokens"] as? [String: Any] ?? [:]
            refresh[refreshToken] = user
            state["refresh_tokens"] = refresh
            state["user"] = user
        }
        return refreshToken
    }

    /// Makes every access token issued so far expired, as the provider sees it.
    public func expireAccessTokens() throws {
        try update { state in
            var tokens = state["access_tokens"] as? [String: Any] ?? [:]
            for (key, value) in tokens {
                var entry = value as? [String: Any] ?? [:]
                entry["expires"] = 0
                tokens[key] = entry
            }
            state["access_tokens"] = tokens
        }
    }

    /// Issues an access token for `user` directly (as a helper program would get one).
    public func issueAccessToken(user: String = "bot@example.test", token: String = "at-direct-\(UUID().uuidString)") throws -> String {
        try update { state in
            var tokens = state["access_tokens"] as? [String: Any] ?? [:]
            tokens[token] = ["user": user, "expires": Date().timeIntervalSince1970 + 3600]
            state["access_tokens"] = tokens
        }
        return token
    }

    /// The refresh tokens the server honours.
    public func refreshTokens() throws -> Set<String> {
        Set((try state()["refresh_tokens"] as? [String: Any] ?? [:]).keys)
    }

    /// Plays the browser and the user's consent: opens the printed sign-in `address` and returns the
    /// address the provider redirects to (with `code` and `state`).
    public static func consent(at address: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "--max-time", "10", address]
        let output = Pipe()
        process.standardOutput = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
