import Foundation
import RefbotCore
import RefbotDaemon
import RefbotTransport
import Testing

/// `bot.provider`, `imap.auth`/`smtp.auth` and `[oauth]` as the configuration reads them.
@Suite("Provider presets and OAuth2 settings")
struct ProviderPresetTests {
    static func parse(_ text: String, environment: [String: String] = [:]) throws(ConfigError) -> Configuration {
        try Configuration.parse(text, environment: environment)
    }

    /// The problems a configuration is refused with (empty when it is taken).
    static func problems(_ text: String, environment: [String: String] = [:]) -> [ConfigError.Problem] {
        do {
            _ = try parse(text, environment: environment)
            return []
        } catch {
            return error.problems
        }
    }

    @Test("provider = \"microsoft365\" fills in Exchange Online's servers, XOAUTH2, the token and device-code URLs and the delegated scopes")
    func microsoft365Preset() throws {
        let c = try Self.parse(
            """
            [bot]
            address = "referrals@contoso.example"
            provider = "microsoft365"
            [imap]
            username = "referrals@contoso.example"
            [oauth]
            client_id = "11111111-2222-3333-4444-555555555555"
            """)
        #expect(c.imap.url == "imaps://outlook.office365.com:993/INBOX")
        #expect(c.smtp.url == "smtp://smtp.office365.com:587")
        #expect(c.imap.auth == .xoauth2 && c.smtp.auth == .xoauth2)
        #expect(c.smtp.username == "referrals@contoso.example", "SMTP logs in as the mailbox")
        #expect(c.imap.password.isEmpty, "no password is asked for")
        #expect(c.oauth.tokenURL == "https://login.microsoftonline.com/organizations/oauth2/v2.0/token")
        #expect(c.oauth.deviceCodeURL == "https://login.microsoftonline.com/organizations/oauth2/v2.0/devicecode")
        #expect(c.oauth.scope.contains("offline_access"))
        #expect(c.oauth.scope.contains("https://outlook.office.com/IMAP.AccessAsUser.All"))
        #expect(c.oauth.scope.contains("https://outlook.office.com/SMTP.Send"))
        #expect(c.imapServer.auth == .xoauth2 && c.smtpServer.auth == .xoauth2)
        #expect(c.providerPreset?.maxPerMinute == 30)
        #expect(c.smtp.maxPerMinute == 30 && c.smtp.maxPerDay == 10_000, "the preset's sending limits are the defaults")
    }

    @Test("provider = \"google\" fills in Gmail's servers and scope, and no device-code URL (Google does not allow it for mail)")
    func googlePreset() throws {
        let c = try Self.parse(
            """
            [bot]
            address = "referrals@example.org"
            provider = "google"
            [imap]
            username = "referrals@example.org"
            [oauth]
            client_id = "1234-abc.apps.googleusercontent.com"
            """,
            environment: ["REFBOT_OAUTH_CLIENT_SECRET": "GOCSPX-secret"])
        #expect(c.imap.url == "imaps://imap.gmail.com:993/INBOX")
        #expect(c.smtp.url == "smtps://smtp.gmail.com:465")
        #expect(c.oauth.tokenURL == "https://oauth2.googleapis.com/token")
        #expect(c.oauth.authorizeURL == "https://accounts.google.com/o/oauth2/v2/auth")
        #expect(c.oauth.deviceCodeURL.isEmpty)
        #expect(c.oauth.scope == "https://mail.google.com/")
        #expect(c.oauth.clientSecret == "GOCSPX-secret")
    }

    @Test("provider = \"fastmail\" fills in the servers and keeps the password login (app passwords)")
    func fastmailPreset() throws {
        let c = try Self.parse(
            """
            [bot]
            address = "referrals@example.org"
            provider = "fastmail"
            [imap]
            username = "referrals@example.org"
            """,
            environment: ["REFBOT_IMAP_PASSWORD": "app-password", "REFBOT_SMTP_PASSWORD": "app-password"])
        #expect(c.imap.url == "imaps://imap.fastmail.com:993/INBOX")
        #expect(c.imap.auth == .password)
        #expect(c.smtp.password == "app-password")
        #expect(!c.usesOAuth)
    }

    @Test("keys set in the file win over the preset")
    func explicitKeysWin() throws {
        let c = try Self.parse(
            """
            [bot]
            address = "referrals@contoso.example"
            provider = "microsoft365"
            [imap]
            url = "imaps://imap.contoso.example/Referrals"
            username = "referrals@contoso.example"
            auth = "oauthbearer"
            [oauth]
            client_id = "app"
            tenant = "contoso.onmicrosoft.com"
            scope = "custom"
            """)
        #expect(c.imap.url == "imaps://imap.contoso.example/Referrals")
        #expect(c.imap.auth == .oauthbearer)
        #expect(c.smtp.auth == .xoauth2)
        #expect(c.oauth.tokenURL == "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token")
        #expect(c.oauth.scope == "custom")
        #expect(c.smtp.maxPerMinute == 30, "unset: the preset's")

        let limited = try Self.parse(
            """
            [bot]
            address = "referrals@contoso.example"
            provider = "microsoft365"
            [imap]
            username = "referrals@contoso.example"
            [smtp]
            max_per_minute = 10
            max_per_day = 0
            [oauth]
            client_id = "app"
            """)
        #expect(limited.smtp.maxPerMinute == 10 && limited.smtp.maxPerDay == 0, "limits set in the file win, 0 included")
    }

    @Test("the app-only grant on Microsoft 365 asks for the tenant and the client secret in the Entra admin center's words")
    func clientCredentialsNeedsTenantAndSecret() throws {
        let text = """
            [bot]
            address = "referrals@contoso.example"
            provider = "microsoft365"
            [imap]
            username = "referrals@contoso.example"
            [oauth]
            grant = "client_credentials"
            client_id = "app"
            """
        let problems = Self.problems(text)
        let tenant = problems.first { $0.key == "oauth.tenant" }
        #expect(tenant?.remedy.contains("Directory (tenant) ID") == true)
        let secret = problems.first { $0.key == "oauth.client_secret_file" }
        #expect(secret?.remedy.contains("Certificates & secrets") == true)

        let c = try Self.parse(
            text + "\ntenant = \"9188040d-6c67-4c5b-b112-36a304b66dad\"",
            environment: ["REFBOT_OAUTH_CLIENT_SECRET": "s3cret"])
        #expect(c.oauth.tokenURL == "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/oauth2/v2.0/token")
        #expect(c.oauth.scope == "https://outlook.office365.com/.default")
    }

    @Test("a certificate credential needs both its certificate and its key file")
    func certificateNeedsBothFiles() throws {
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-key-\(UUID().uuidString).pem").path
        try "key".write(toFile: key, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: key) }
        let problems = Self.problems(
            """
            [bot]
            address = "referrals@contoso.example"
            provider = "microsoft365"
            [imap]
            username = "referrals@contoso.example"
            [oauth]
            grant = "client_credentials"
            tenant = "contoso.onmicrosoft.com"
            client_id = "app"
            client_key_file = "\(key)"
            """)
        #expect(problems.contains { $0.key == "oauth.client_certificate_file" && $0.problem.contains("needs both files") })
    }

    @Test("XOAUTH2 without [oauth] says which keys are missing and where to find them")
    func oauthWithoutSettings() {
        let problems = Self.problems(
            """
            [bot]
            address = "bot@example.org"
            [imap]
            url = "imaps://mail.example.org/INBOX"
            username = "bot@example.org"
            auth = "xoauth2"
            [smtp]
            url = "smtps://mail.example.org"
            """)
        #expect(Set(problems.map(\.key)) == ["oauth.token_url", "oauth.client_id"])
        #expect(problems.allSatisfy { !$0.remedy.isEmpty })
    }

    @Test("a token endpoint over plain http to another host is refused: the refresh token would cross the network in clear")
    func plainHTTPTokenURLRefused() {
        let problems = Self.problems(
            """
            [bot]
            address = "bot@example.org"
            [imap]
            url = "imaps://mail.example.org/INBOX"
            username = "bot@example.org"
            auth = "xoauth2"
            [smtp]
            url = "smtps://mail.example.org"
            [oauth]
            token_url = "http://login.example.org/token"
            client_id = "app"
            """)
        #expect(problems.map(\.key) == ["oauth.token_url"])
    }

    @Test("an unknown provider, login mechanism, grant or relative token_command is refused with what would work")
    func badValuesNamed() {
        let problems = Self.problems(
            """
            [bot]
            address = "bot@example.org"
            provider = "yahoo"
            [imap]
            url = "imaps://mail.example.org/INBOX"
            username = "bot@example.org"
            auth = "kerberos"
            [smtp]
            url = "smtps://mail.example.org"
            [oauth]
            grant = "password"
            token_command = ["get-token"]
            """,
            environment: ["REFBOT_IMAP_PASSWORD": "x"])
        let byKey = Dictionary(problems.map { ($0.key, $0.remedy) }) { first, _ in first }
        #expect(byKey["bot.provider"]?.contains("\"microsoft365\"") == true)
        #expect(byKey["imap.auth"]?.contains("\"xoauth2\"") == true)
        #expect(byKey["oauth.grant"]?.contains("\"client_credentials\"") == true)
        #expect(byKey["oauth.token_command"]?.contains("absolute") == true || byKey["oauth.token_command"]?.contains("/usr/local/bin") == true)
    }

    @Test("a refresh token or client secret file others may read is warned about, like a password file")
    func looseTokenFilesWarned() throws {
        let c = try Self.parse(
            """
            [bot]
            address = "referrals@contoso.example"
            provider = "microsoft365"
            [imap]
            username = "referrals@contoso.example"
            [oauth]
            client_id = "app"
            refresh_token_file = "/state/oauth-refresh-token"
            """)
        let warnings = c.securityWarnings { path in path == "/state/oauth-refresh-token" ? 0o644 : 0o600 }
        #expect(warnings.map(\.key) == ["oauth.refresh_token_file"])
        #expect(warnings.first?.remedy.contains("chmod 600 /state/oauth-refresh-token") == true)
    }

    @Test("only RFC 6750 bearer tokens go into a SASL exchange: no spaces, control characters or ^A field breaks")
    func usableTokens() {
        #expect(isUsableAccessToken("eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"))
        #expect(isUsableAccessToken("ya29.a0AfH6SMB-x_y~z+/w=="))
        #expect(!isUsableAccessToken(""))
        #expect(!isUsableAccessToken("abc def"))
        #expect(!isUsableAccessToken("abc\u{1}auth=Bearer x"))
        #expect(!isUsableAccessToken("abc\r\nA1 LOGOUT"))
        #expect(!isUsableAccessToken("=abc"))
        #expect(!isUsableAccessToken("ab=c"))
        #expect(!isUsableAccessToken(String(repeating: "a", count: 16385)))
    }
}
