import Foundation
import RefbotTestSupport
import Testing

/// Weak transport settings and secret files others may read: `check-config` and the daemon's
/// start say so loudly, without refusing to run.
@Suite("Security warnings for weak settings")
struct SecurityWarningCLITests {
    /// Removed when the test's suite value goes.
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory() }

    func folder() throws -> String { scratch.path }

    func write(_ text: String, to path: String, mode: Int) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    func config(_ dir: String, host: String) -> String {
        """
        [bot]
        address = "referrals@example.org"
        admins = ["admin@example.org"]
        database = "\(dir)/refbot.sqlite"
        templates = "\(RefbotProcess.packageRoot)/mail-templates"
        secret_file = "\(dir)/secret"
        [imap]
        url = "imap://\(host):1/INBOX"
        username = "referrals@example.org"
        password_file = "\(dir)/imap-password"
        tls_verify = false
        starttls = false
        [smtp]
        url = "smtps://\(host):1"
        username = "referrals@example.org"
        password_file = "\(dir)/smtp-password"
        tls_verify = false
        """
    }

    @Test("check-config warns about tls_verify and starttls off towards another host and about world-readable secrets, and still passes")
    func checkConfigWarns() async throws {
        let dir = try folder()
        try write("imap-secret\n", to: dir + "/imap-password", mode: 0o644)
        try write("smtp-secret\n", to: dir + "/smtp-password", mode: 0o600)
        try write("# keys\n" + String(repeating: "ab", count: 32) + "\n", to: dir + "/secret", mode: 0o640)
        try config(dir, host: "mail.example.org").write(toFile: dir + "/refbot.toml", atomically: true, encoding: .utf8)
        let result = try await RefbotProcess.run(["check-config", "--offline", "--config", dir + "/refbot.toml"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        for key in ["imap.tls_verify", "imap.starttls", "smtp.tls_verify", "imap.password_file", "bot.secret_file"] {
            #expect(result.stderr.contains("warning: \(key):"), "\(key) in \(result.stderr)")
        }
        #expect(!result.stderr.contains("warning: smtp.password_file"))
        #expect(!result.stderr.contains("warning: smtp.starttls"), "smtps:// has no STARTTLS to turn off")
        #expect(result.stderr.contains("chmod 600 \(dir)/imap-password"))
    }

    @Test("The daemon logs each weak setting as a warning when it starts")
    func daemonWarnsAtStart() async throws {
        let dir = try folder()
        try write("imap-secret\n", to: dir + "/imap-password", mode: 0o644)
        try write("smtp-secret\n", to: dir + "/smtp-password", mode: 0o600)
        // Loopback only (no traffic leaves the machine): the world-readable password file is the finding.
        try config(dir, host: "127.0.0.1").write(toFile: dir + "/refbot.toml", atomically: true, encoding: .utf8)
        let result = try await RefbotProcess.run(["run", "--once", "--config", dir + "/refbot.toml"])
        #expect(result.stderr.contains("Insecure setting"), "\(result.stderr)")
        #expect(result.stderr.contains("imap.password_file"), "\(result.stderr)")
        #expect(!result.stderr.contains("key=imap.tls_verify"), "\(result.stderr)")
    }
}
