import Foundation
import RefbotCurl
import RefbotDaemon
import RefbotTransport
import Testing

/// A configuration printed whole (in a log line, an error, a service's name) never prints a secret.
@Suite("Secrets never print")
struct SecretRedactionTests {
    static let secrets = ["imap-Pa55-word", "smtp-Pa55-word", "oauth-client-S3cret", "webhook-S3cret-0123456789"]

    static func configuration() -> Configuration {
        var c = Configuration()
        c.imap.url = "imaps://mail.example.org/INBOX"
        c.imap.password = secrets[0]
        c.smtp.url = "smtps://mail.example.org"
        c.smtp.password = secrets[1]
        c.oauth.clientSecret = secrets[2]
        c.webhooks = [Configuration.Webhook(url: "https://hooks.example.org/refbot", secret: secrets[3])]
        return c
    }

    @Test("String(describing:), String(reflecting:) and interpolation of a configuration show every setting but no secret")
    func configurationPrints() {
        let c = Self.configuration()
        for text in [String(describing: c), String(reflecting: c), "\(c)", "\([c])"] {
            for secret in Self.secrets { #expect(!text.contains(secret), "\(secret) printed in \(text)") }
            #expect(text.contains("imaps://mail.example.org/INBOX"))
            #expect(text.contains("https://hooks.example.org/refbot"))
            #expect(text.contains("password: <redacted>"))
            #expect(text.contains("clientSecret: <redacted>"))
            #expect(text.contains("secret: <redacted>"))
            #expect(text.contains("pollSeconds: 30"))
        }
    }

    @Test("An empty password prints as empty, so a missing one still shows")
    func emptyPrintsEmpty() {
        let text = "\(Configuration().smtp)"
        #expect(text.contains("password: \"\""), "\(text)")
        #expect(!text.contains("<redacted>"))
    }

    @Test("The transports' server settings and a token endpoint's answer print without the password or the tokens")
    func transportSettingsPrint() {
        let imap = IMAPServerSettings(url: "imaps://mail.example.org/INBOX", username: "bot", password: Self.secrets[0])
        let smtp = SMTPServerSettings(url: "smtps://mail.example.org", username: "bot", password: Self.secrets[1])
        let body = #"{"access_token": "ya29.access-T0ken", "expires_in": 3600, "refresh_token": "1//refresh-T0ken"}"#
        guard let reply = try? TokenReply(HTTPFormAnswer(status: 200, body: Array(body.utf8)), endpoint: "https://id.example.org/token")
        else { Issue.record("the token answer did not read"); return }
        for text in ["\(imap)", "\(smtp)", "\(reply)", String(reflecting: [imap])] {
            #expect(!text.contains(Self.secrets[0]) && !text.contains(Self.secrets[1]), "\(text)")
            #expect(!text.contains("T0ken"), "\(text)")
        }
        #expect("\(smtp)".contains("username: \"bot\""))
        #expect("\(reply)".contains("expiresIn: 3600"))
        #expect("\(reply)".contains("refreshToken: <redacted>"))
        let withoutRefresh = #"{"access_token": "ya29.access-T0ken", "expires_in": 60}"#
        let short = try? TokenReply(HTTPFormAnswer(status: 200, body: Array(withoutRefresh.utf8)), endpoint: "https://id.example.org/token")
        let shortText = short.map { "\($0)" } ?? "(the answer did not read)"
        #expect(shortText.hasSuffix("refreshToken: nil)"), "an absent refresh token reads as absent: \(shortText)")
    }
}
