import Foundation
import RefbotTransport

extension Configuration {
    /// `[oauth]`: where the access tokens for `imap.auth`/`smtp.auth` = `xoauth2`/`oauthbearer` come from.
    public struct OAuth: Sendable, Equatable {
        /// `refresh_token` (delegated: `refbot auth login` gets the first refresh token) or
        /// `client_credentials` (app-only, Microsoft 365).
        public var grant = "refresh_token"
        public var tokenURL = ""
        public var clientID = ""
        /// Read from `client_secret_file` (or `REFBOT_OAUTH_CLIENT_SECRET`); empty for public clients.
        public var clientSecret = ""
        public var clientSecretFile = ""
        /// Where the refresh token is kept; refbot writes a rotated one back (0600).
        public var refreshTokenFile = "/var/lib/refbot/oauth-refresh-token"
        public var scope = ""
        /// The Microsoft Entra tenant (directory) id, for the preset's URLs.
        public var tenant = ""
        /// A program and its arguments that print an access token; when set, refbot runs it instead of
        /// asking a token endpoint. Run without a shell.
        public var tokenCommand: [String] = []
        public var tokenCommandTimeoutSeconds = 20
        /// The device authorization endpoint for `refbot auth login` (RFC 8628).
        public var deviceCodeURL = ""
        /// The authorization endpoint for `refbot auth login`'s PKCE flow.
        public var authorizeURL = ""
        /// For `client_credentials` with a certificate instead of a secret: the certificate (PEM)
        /// registered with the app, and its RSA private key (PEM).
        public var clientCertificateFile = ""
        public var clientKeyFile = ""

        public init() {}
    }

    /// Whether IMAP or SMTP logs in with an access token.
    public var usesOAuth: Bool { imap.auth.usesToken || (smtp.auth.usesToken && !smtp.username.isEmpty) }

    /// The preset `bot.provider` names, if any.
    public var providerPreset: ProviderPreset? { ProviderPreset.all[bot.provider] }
}

extension Configuration {
    /// `bot.provider`: checks the name; nil when absent or unknown (reported).
    static func readProvider(_ r: inout TableReader) -> ProviderPreset? {
        guard let name = r.string("provider"), !name.isEmpty else { return nil }
        guard let preset = ProviderPreset.all[name] else {
            r.problem(
                "provider", "\"\(name)\" is not a provider refbot has a preset for",
                "use \(ProviderPreset.all.keys.sorted().map { "\"\($0)\"" }.joined(separator: ", ")), or leave it out and set the servers yourself")
            return nil
        }
        return preset
    }

    /// `imap.auth` / `smtp.auth`.
    static func readAuth(_ r: inout TableReader, default preset: MailAuthMechanism) -> MailAuthMechanism {
        guard let value = r.string("auth") else { return preset }
        guard let mechanism = MailAuthMechanism(rawValue: value.lowercased()) else {
            r.problem("auth", "\"\(value)\" is not a login mechanism", "use \"password\", \"xoauth2\" or \"oauthbearer\"")
            return preset
        }
        return mechanism
    }

    /// `[oauth]`, with the preset's endpoints and scopes where the file names none; checks that what
    /// `imap.auth`/`smtp.auth` need is there.
    static func readOAuth(_ r: inout TableReader, into c: inout Configuration, preset: ProviderPreset?) {
        if let grant = r.string("grant") {
            if grant == "refresh_token" || grant == "client_credentials" {
                c.oauth.grant = grant
            } else {
                r.problem("grant", "\"\(grant)\" is not a grant refbot can use", "use \"refresh_token\" or \"client_credentials\"")
            }
        }
        r.string("tenant").map { c.oauth.tenant = $0 }
        r.string("client_id").map { c.oauth.clientID = $0 }
        r.string("scope").map { c.oauth.scope = $0 }
        r.string("refresh_token_file").map { c.oauth.refreshTokenFile = r.statePath($0) }
        c.oauth.clientSecret = r.secret("client_secret_file", env: "REFBOT_OAUTH_CLIENT_SECRET", required: false)
        c.oauth.clientSecretFile = r.secretPath("client_secret_file", env: "REFBOT_OAUTH_CLIENT_SECRET")
        if let command = r.strings("token_command"), !command.isEmpty {
            if command.first.map({ $0.hasPrefix("/") }) == true {
                c.oauth.tokenCommand = command
            } else {
                r.problem(
                    "token_command", "must start with the program's absolute path",
                    "write it as a list, program first: token_command = [\"/usr/local/bin/get-token\", \"--account\", \"bot\"]")
            }
        }
        r.integer("token_command_timeout_seconds", min: 1).map { c.oauth.tokenCommandTimeoutSeconds = $0 }
        r.string("client_certificate_file").map { c.oauth.clientCertificateFile = r.credentialPath($0, key: "client_certificate_file") }
        r.string("client_key_file").map { c.oauth.clientKeyFile = r.credentialPath($0, key: "client_key_file") }
        if c.oauth.clientCertificateFile.isEmpty != c.oauth.clientKeyFile.isEmpty {
            r.problem(
                c.oauth.clientKeyFile.isEmpty ? "client_key_file" : "client_certificate_file", "is missing: a certificate credential needs both files",
                "set client_certificate_file to the certificate uploaded under Certificates & secrets and client_key_file to its private key (PEM)")
        }

        let appOnly = c.oauth.grant == "client_credentials"
        let tenant = c.oauth.tenant.isEmpty ? (appOnly ? "" : preset?.defaultTenant ?? "") : c.oauth.tenant
        for (key, template) in [("token_url", preset?.tokenURL), ("device_code_url", preset?.deviceCodeURL), ("authorize_url", preset?.authorizeURL)] {
            var value = r.string(key) ?? ""
            if value.isEmpty, let template, !template.isEmpty, !(template.contains("{tenant}") && tenant.isEmpty) {
                value = ProviderPreset.fill(template, tenant: tenant)
            }
            if !value.isEmpty && !isAllowedTokenURL(value) {
                r.problem(key, "\"\(value)\" is not an https:// URL", "give the provider's https:// endpoint (http:// only to 127.0.0.1 or localhost)")
            }
            switch key {
            case "token_url": c.oauth.tokenURL = value
            case "device_code_url": c.oauth.deviceCodeURL = value
            default: c.oauth.authorizeURL = value
            }
        }
        if c.oauth.scope.isEmpty, let preset { c.oauth.scope = appOnly ? preset.appScope : preset.delegatedScope }

        guard c.usesOAuth, c.oauth.tokenCommand.isEmpty else { return }
        let who = preset.map { " (\($0.displayName))" } ?? ""
        if c.oauth.tokenURL.isEmpty {
            if appOnly, preset?.tokenURL.contains("{tenant}") == true, c.oauth.tenant.isEmpty {
                r.problem(
                    "tenant", "is missing: the client-credentials grant needs your tenant",
                    "set tenant = \"…\" to the Directory (tenant) ID on the app registration's Overview page in the Microsoft Entra admin center")
            } else {
                r.problem(
                    "token_url", "is missing: imap.auth or smtp.auth asks for OAuth2 tokens",
                    "set token_url to the provider's token endpoint\(who), set bot.provider, or give token_command")
            }
        }
        if c.oauth.clientID.isEmpty {
            r.problem(
                "client_id", "is missing",
                preset?.name == "google"
                    ? "set it to the OAuth client ID of a \"Desktop app\" client (Google Cloud console, APIs & Services, Credentials)"
                    : "set it to the Application (client) ID of the app registration\(who)")
        }
        if appOnly && c.oauth.clientSecret.isEmpty && c.oauth.clientCertificateFile.isEmpty {
            r.problem(
                "client_secret_file", "is missing: the client-credentials grant authenticates the app with its secret",
                "point client_secret_file at a file holding the client secret's Value (Certificates & secrets), or set REFBOT_OAUTH_CLIENT_SECRET, or give client_certificate_file and client_key_file")
        }
        if appOnly && preset?.name == "google" {
            r.problem(
                "grant", "Google has no app-only grant for IMAP and SMTP",
                "use grant = \"refresh_token\" and run refbot auth login (or a service account's token through token_command)")
        }
        if !appOnly && c.oauth.refreshTokenFile.isEmpty {
            r.problem("refresh_token_file", "is empty", "name the file refbot auth login writes and refbot keeps up to date")
        }
    }

    static func isAllowedTokenURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        if lower.hasPrefix("https://") { return lower.count > 8 }
        return ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]:", "http://[::1]/"]
            .contains { lower.hasPrefix($0) }
    }
}

extension TableReader {
    /// A credential file's path (relative: under `$CREDENTIALS_DIRECTORY`), checked to be readable.
    mutating func credentialPath(_ path: String, key: String) -> String {
        guard !path.isEmpty else { return "" }
        let resolved = paths.credential(path)
        if !FileManager.default.isReadableFile(atPath: resolved) {
            problem(key, "cannot read \(resolved)", "check that the file exists and refbot may read it")
        }
        return resolved
    }
}
