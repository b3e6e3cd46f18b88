import RefbotDaemon
import Testing

@Suite("Security warnings")
struct SecurityWarningTests {
    @Test("Towards this machine, tls_verify and starttls off are no warning; file modes still are")
    func loopbackIsFine() throws {
        var c = Configuration()
        c.imap.url = "imap://127.0.0.1:143/INBOX"
        c.imap.tlsVerify = false
        c.imap.starttls = false
        c.smtp.url = "smtp://[::1]:25"
        c.smtp.tlsVerify = false
        c.smtp.starttls = false
        c.bot.secretFile = "/state/secret"
        c.imap.passwordFile = "/etc/refbot/imap-password"
        let modes = ["/state/secret": 0o600, "/etc/refbot/imap-password": 0o604]
        let warnings = c.securityWarnings { modes[$0] }
        #expect(warnings.map(\.key) == ["imap.password_file"])
        c.smtp.url = "smtp://mail.example.org:587"
        #expect(c.securityWarnings { modes[$0] }.map(\.key) == ["smtp.tls_verify", "smtp.starttls", "imap.password_file"])
    }

}
