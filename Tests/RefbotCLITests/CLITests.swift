import Foundation
import RefbotTestSupport
import Testing

/// The built binary's command line: help text, exit codes, check-config, parse.
@Suite("refbot command line")
struct CLITests {
    static let validConfig = """
        [bot]
        address = "referrals@example.org"
        admins = ["admin@example.org"]
        database = "@DIR@/refbot.sqlite"
        templates = "@ROOT@/mail-templates"
        [imap]
        url = "imaps://127.0.0.1:1/INBOX"
        username = "referrals@example.org"
        [smtp]
        url = "smtps://127.0.0.1:1"
        """

    /// Holds every test's configuration folders; removed when the test's suite value goes.
    let scratch: TemporaryDirectory

    init() throws { scratch = try TemporaryDirectory() }

    func writeConfig(_ text: String) throws -> (String, String) {
        let dir = scratch.path + "/config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/refbot.toml"
        try text.replacingOccurrences(of: "@DIR@", with: dir).replacingOccurrences(of: "@ROOT@", with: RefbotProcess.packageRoot)
            .write(toFile: path, atomically: true, encoding: .utf8)
        return (dir, path)
    }

    @Test("refbot --help names every subcommand and the exit codes")
    func topLevelHelp() async throws {
        let result = try await RefbotProcess.run(["--help"])
        #expect(result.status == 0)
        for word in ["run", "check-config", "parse", "admin", "78 configuration error"] {
            #expect(result.stdout.contains(word), "missing \(word)")
        }
    }

    @Test("Each subcommand's --help explains its options",
          arguments: [
            (["run", "--help"], ["--once", "--config", "--log-level", "SIGTERM"]),
            (["check-config", "--help"], ["--offline", "every problem"]),
            (["parse", "--help"], ["--body-only", "--new-text", "standard input"]),
            (["admin", "--help"], ["outbox", "stats", "backup"]),
            (["admin", "outbox", "--help"], ["--failed", "--retry"]),
            (["admin", "backup", "--help"], ["online backup"]),
          ])
    func subcommandHelp(arguments: [String], words: [String]) async throws {
        let result = try await RefbotProcess.run(arguments)
        #expect(result.status == 0)
        for word in words { #expect(result.stdout.contains(word), "\(arguments) help lacks \(word)") }
    }

    @Test("A usage error exits 64 and says what is wrong")
    func usageError() async throws {
        let result = try await RefbotProcess.run(["run", "--no-such-flag"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--no-such-flag"))
        let retry = try await RefbotProcess.run(["admin", "outbox", "--retry", "--config", "/nonexistent"])
        #expect(retry.status == 64)
        #expect(retry.stderr.contains("--failed"))
    }

    @Test("A missing or broken configuration exits 78 and lists every problem")
    func configErrors() async throws {
        let missing = try await RefbotProcess.run(["run", "--once", "--config", "/nonexistent/refbot.toml"])
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("error: /nonexistent/refbot.toml: cannot read the configuration file"))

        let (_, path) = try writeConfig("[bot]\naddress = \"nope\"\n[imap]\npoll_seconds = 0\n")
        let broken = try await RefbotProcess.run(["check-config", "--config", path])
        #expect(broken.status == 78)
        for key in ["bot.address", "imap.url", "imap.username", "imap.poll_seconds", "smtp.url"] {
            #expect(broken.stderr.contains("error: \(key):"), "missing \(key) in \(broken.stderr)")
        }
    }

    @Test("check-config --offline passes a valid file; a missing templates folder fails it")
    func checkConfigOffline() async throws {
        let (_, path) = try writeConfig(Self.validConfig)
        let env = ["REFBOT_IMAP_PASSWORD": "x"]
        let good = try await RefbotProcess.run(["check-config", "--offline", "--config", path], environment: env)
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        #expect(good.stdout.contains("All checks passed."))

        let (_, badPath) = try writeConfig(Self.validConfig.replacingOccurrences(of: "@ROOT@/mail-templates", with: "/nonexistent"))
        let bad = try await RefbotProcess.run(["check-config", "--offline", "--config", badPath], environment: env)
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("error: bot.templates:"))
    }

    @Test("check-config reports a failed IMAP and SMTP login as problems")
    func checkConfigLogins() async throws {
        let (_, path) = try writeConfig(Self.validConfig)
        let result = try await RefbotProcess.run(["check-config", "--config", path], environment: ["REFBOT_IMAP_PASSWORD": "x"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("error: imap:"))
        #expect(result.stderr.contains("error: smtp:"))
    }

    @Test("refbot parse shows the command in a quoted reply, and --new-text only the new text")
    func parse() async throws {
        let raw = """
            From: Bob <bob@example.org>\r
            To: referrals+R-12@example.org\r
            Subject: Re: [R-12] New referral\r
            Message-ID: <r1@example.org>\r
            \r
            ACCEPT\r
            \r
            On Mon, 23 Nov 2026 at 10:00, Referrals <referrals@example.org> wrote:\r
            > Reply ACCEPT to take this referral or REJECT with a reason.\r

            """
        let full = try await RefbotProcess.run(["parse", "-"], stdin: Data(raw.utf8))
        #expect(full.status == 0, "\(full.stderr)")
        #expect(full.stdout.contains("ACCEPT (from the body)"))
        #expect(full.stdout.contains("ordinary mail from bob@example.org"))
        let newText = try await RefbotProcess.run(["parse", "--new-text", "-"], stdin: Data(raw.utf8))
        #expect(newText.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ACCEPT")
    }

    @Test("refbot parse shows a form's fields, or what is missing from it")
    func parseForm() async throws {
        let good = "From: a@example.org\r\nSubject: REFER L-3\r\n\r\nCustomer: Carol Diaz\r\nNeed: A new kitchen\r\nConsent: yes\r\n"
        let result = try await RefbotProcess.run(["parse", "-"], stdin: Data(good.utf8))
        #expect(result.stdout.contains("REFER (from the subject)"))
        #expect(result.stdout.contains("form fields:"))
        #expect(result.stdout.contains("Carol Diaz"))
        let bad = "From: a@example.org\r\nSubject: REFER L-3\r\n\r\nCustomer: Carol Diaz\r\n"
        let missing = try await RefbotProcess.run(["parse", "-"], stdin: Data(bad.utf8))
        #expect(missing.stdout.contains("form not usable"))
        #expect(missing.stdout.contains("Need"))
    }

    @Test("refbot parse --body-only reads a bare reply body")
    func parseBodyOnly() async throws {
        let body = "WON $5,000\n\nOn Mon, 23 Nov 2026, Referrals <r@example.org> wrote:\n> Reply ACCEPT or REJECT\n"
        let result = try await RefbotProcess.run(["parse", "--body-only", "-"], stdin: Data(body.utf8))
        #expect(result.status == 0)
        #expect(result.stdout.contains("WON (from the body)"))
        #expect(result.stdout.contains("arguments: $5,000"))
        #expect(result.stdout.contains("Cut away"))
    }

    @Test("refbot parse names an auto-reply as such")
    func parseAutoReply() async throws {
        let raw = "From: a@example.org\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway\r\n"
        let result = try await RefbotProcess.run(["parse", "-"], stdin: Data(raw.utf8))
        #expect(result.stdout.contains("automated mail (rule: auto-submitted)"))
    }

    @Test("admin backup copies the database; admin stats and outbox read it")
    func adminTools() async throws {
        let (dir, path) = try writeConfig(Self.validConfig)
        let env = ["REFBOT_IMAP_PASSWORD": "x"]
        try await RefbotProcess.createDatabase(configPath: path, environment: env)
        let stats = try await RefbotProcess.run(["admin", "stats", "--config", path], environment: env)
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(stats.stdout.contains("quarantined"))
        let outbox = try await RefbotProcess.run(["admin", "outbox", "--config", path], environment: env)
        #expect(outbox.stdout.contains("The outbox is empty"))
        let backup = try await RefbotProcess.run(["admin", "backup", "--config", path, dir + "/copy.sqlite"], environment: env)
        #expect(backup.status == 0, "\(backup.stderr)")
        #expect(FileManager.default.fileExists(atPath: dir + "/copy.sqlite"))
        let again = try await RefbotProcess.run(["admin", "backup", "--config", path, dir + "/copy.sqlite"], environment: env)
        #expect(again.status == 64)
    }

    @Test("systemd-analyze verify accepts the unit (where systemd is installed)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func systemdUnitVerifies() async throws {
        let dir = scratch.path + "/unit"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // The unit names /usr/local/bin/refbot; point it at the built binary for the check.
        let unit = try String(contentsOfFile: RefbotProcess.packageRoot + "/systemd/refbot.service", encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/refbot", with: try RefbotProcess.binaryPath())
        try unit.write(toFile: dir + "/refbot.service", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", "--man=no", dir + "/refbot.service"]
        let errPath = dir + "/err"
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardOutput = FileHandle(forWritingAtPath: errPath)
        try process.run()
        process.waitUntilExit()
        let output = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(!output.contains("refbot.service:"), "\(output)")
    }
}
