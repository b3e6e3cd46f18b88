import Foundation
import RefbotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A configuration the way an admin writes one: relative paths, password files beside it, and a
/// database made by `refbot run` as the service's first start makes it.
struct ServiceFixture {
    let directory: String
    var configPath: String { directory + "/refbot.toml" }
    var databasePath: String { directory + "/refbot.sqlite" }

    /// The config text; `@IMAP@`, `@SMTP@` and `@EXTRA@` are filled in by ``init(imap:smtp:extra:)``.
    static func config(imap: String, smtp: String, extra: String) -> String {
        """
        [bot]
        address = "referrals@example.org"
        admins = ["admin@example.org"]
        database = "refbot.sqlite"
        secret_file = "secret"
        templates = "\(RefbotProcess.packageRoot)/mail-templates"
        [imap]
        url = "\(imap)"
        username = "referrals@example.org"
        password_file = "imap-password"
        [http]
        listen = "127.0.0.1:0"
        metrics_listen = ""
        [smtp]
        url = "\(smtp)"
        \(extra)
        """
    }

    init(
        in directory: String? = nil, imap: String = "imaps://127.0.0.1:1/INBOX", smtp: String = "smtps://127.0.0.1:1",
        extra: String = "", imapPassword: String? = "x"
    ) throws {
        self.directory =
            directory
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("refbot-service-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        try Self.config(imap: imap, smtp: smtp, extra: extra).write(toFile: configPath, atomically: true, encoding: .utf8)
        if let imapPassword {
            FileManager.default.createFile(
                atPath: self.directory + "/imap-password", contents: Data((imapPassword + "\n").utf8), attributes: [.posixPermissions: 0o600])
        }
    }

    /// Makes the database as the service's first start does: one `refbot run --once` (the mail
    /// servers need not answer).
    func createDatabase() async throws {
        try await RefbotProcess.createDatabase(configPath: configPath)
    }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

@Suite("refbot admin --config before or after the command")
struct AdminConfigOrderTests {
    @Test(
        "Every order of --config and -c reaches the same database",
        arguments: [
            ["admin", "--config", "@", "stats"], ["admin", "stats", "--config", "@"], ["admin", "-c", "@", "stats"],
            ["admin", "stats", "-c", "@"], ["admin", "--config=@", "outbox"], ["admin", "--config", "/nonexistent.toml", "stats", "--config", "@"],
        ])
    func orders(arguments: [String]) async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        try await fixture.createDatabase()
        let result = try await RefbotProcess.run(arguments.map { $0.replacingOccurrences(of: "@", with: fixture.configPath) })
        #expect(result.status == 0, "\(arguments): \(result.stderr)")
        #expect(result.stdout.contains("Inbound mail") || result.stdout.contains("The outbox is empty"), "\(result.stdout)")
    }

    @Test("Given twice, the command's own --config wins over the one before it")
    func commandsOwnWins() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        try await fixture.createDatabase()
        let result = try await RefbotProcess.run(["admin", "--config", fixture.configPath, "stats", "--config", "/nonexistent/other.toml"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("/nonexistent/other.toml"), "\(result.stderr)")
    }

    @Test("refbot admin --help shows --config, and says where it may go")
    func help() async throws {
        let result = try await RefbotProcess.run(["admin", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("-c, --config <file>"), "\(result.stdout)")
        let words = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("refbot admin --config FILE stats"), "\(result.stdout)")
    }
}

@Suite("Paths from a shell: the service's database and passwords, never the current folder")
struct ShellPathTests {
    @Test("check-config and admin commands resolve relative paths beside the config file, not in the current folder")
    func relativePathsBesideConfig() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        try await fixture.createDatabase()
        let elsewhere = fixture.directory + "/elsewhere"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        let check = try await RefbotProcess.run(["check-config", "--offline", "--config", fixture.configPath], currentDirectory: elsewhere)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("database \(fixture.databasePath)"), "\(check.stdout)")
        #expect(check.stdout.contains("relative state paths resolve against \(fixture.directory) (the configuration file's folder)"))
        let stats = try await RefbotProcess.run(["admin", "stats", "--config", fixture.configPath], currentDirectory: elsewhere)
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: elsewhere).isEmpty, "a file was made in the current folder")
    }

    @Test("Admin commands work without the password files; check-config still needs them and names the file")
    func adminNeedsNoPasswords() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        try await fixture.createDatabase()
        try FileManager.default.removeItem(atPath: fixture.directory + "/imap-password")
        let stats = try await RefbotProcess.run(["admin", "stats", "--config", fixture.configPath])
        #expect(stats.status == 0, "\(stats.stderr)")
        let check = try await RefbotProcess.run(["check-config", "--offline", "--config", fixture.configPath])
        #expect(check.status == 78)
        #expect(check.stderr.contains("error: imap.password_file: cannot read \(fixture.directory)/imap-password"), "\(check.stderr)")
        let run = try await RefbotProcess.run(["run", "--once", "--config", fixture.configPath])
        #expect(run.status == 78)
        #expect(run.stderr.contains("imap.password_file"))
    }

    @Test(
        "An admin command given a config whose database does not exist exits 78 naming the path, and makes no file",
        arguments: [["stats"], ["outbox"], ["members"], ["listings"], ["backup", "@/copy.sqlite"]])
    func missingDatabase(command: [String]) async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let arguments = ["admin"] + command.map { $0.replacingOccurrences(of: "@", with: fixture.directory) } + ["--config", fixture.configPath]
        let result = try await RefbotProcess.run(arguments)
        #expect(result.status == 78, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains("error: bot.database: there is no database at \(fixture.databasePath)"), "\(result.stderr)")
        #expect(result.stderr.contains("refbot run creates it"))
        #expect(!FileManager.default.fileExists(atPath: fixture.databasePath))
    }

    @Test("check-config --offline passes before the first start and says refbot run will make the database")
    func checkConfigBeforeFirstStart() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let check = try await RefbotProcess.run(["check-config", "--offline", "--config", fixture.configPath])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("database \(fixture.databasePath) does not exist yet; refbot run creates it"))
        #expect(!FileManager.default.fileExists(atPath: fixture.databasePath))
    }
}

@Suite("One refbot run per database")
struct SingleInstanceTests {
    /// Waits (up to a minute) until the daemon has written its pid into the lock file.
    func waitForLock(_ fixture: ServiceFixture, pid: Int32, daemon: RefbotProcess) async throws {
        let lockFile = fixture.databasePath + ".run-lock"
        for _ in 0..<600 {
            if let text = try? String(contentsOfFile: lockFile, encoding: .utf8), text.trimmingCharacters(in: .whitespacesAndNewlines) == "\(pid)" {
                return
            }
            guard daemon.isRunning else { throw RefbotProcessError("the first daemon exited: \(daemon.stderr)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw RefbotProcessError("the first daemon never took the lock: \(daemon.stderr)")
    }

    /// Stops `daemon` with SIGTERM: it exits 0 after `Daemon stopped`, and the lock goes with it (the
    /// next start takes it, and then finds IMAP unreachable).
    func expectOrderlyStop(_ daemon: RefbotProcess, _ fixture: ServiceFixture) async throws {
        daemon.signal(SIGTERM)
        let status = await daemon.wait()
        #expect(status == 0, "exit status \(status) (the signal's number when the signal killed it): \(daemon.stderr)")
        #expect(daemon.stderr.contains("Daemon stopped"), "\(daemon.stderr)")
        let after = try await RefbotProcess.run(["run", "--once", "--config", fixture.configPath])
        #expect(!after.stderr.contains("already using the database"), "\(after.stderr)")
    }

    @Test("A second refbot run on the same database is refused naming the database and the first process; admin commands still work")
    func secondDaemonRefused() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let first = try RefbotProcess.start(["run", "--config", fixture.configPath])
        defer { if first.isRunning { first.signal(SIGKILL) } }
        try await waitForLock(fixture, pid: first.pid, daemon: first)

        // Started like the first; were it not refused it would run on, so give it a minute to exit.
        let second = try RefbotProcess.start(["run", "--config", fixture.configPath])
        for _ in 0..<600 where second.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        if second.isRunning {
            Issue.record("the second daemon was not refused: \(second.stderr)")
            second.signal(SIGKILL)
        }
        #expect(await second.wait() == 75, "\(second.stderr)")
        #expect(second.stderr.contains("another refbot run (process \(first.pid)) is already using the database \(fixture.databasePath)"), "\(second.stderr)")
        #expect(second.stderr.contains("Daemon refused"))
        let once = try await RefbotProcess.run(["run", "--once", "--config", fixture.configPath])
        #expect(once.status == 75)
        #expect(once.stderr.contains("already using the database"))

        let stats = try await RefbotProcess.run(["admin", "stats", "--config", fixture.configPath])
        #expect(stats.status == 0, "\(stats.stderr)")
        #expect(first.isRunning)

        try await expectOrderlyStop(first, fixture)
    }

    @Test("SIGTERM while the daemon is still starting (lock taken, services not yet up) is an orderly stop: exit 0, lock released")
    func termDuringStartup() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let first = try RefbotProcess.start(["run", "--config", fixture.configPath])
        defer { if first.isRunning { first.signal(SIGKILL) } }
        // The lock is taken before the store is opened and the services built: signal at once.
        try await waitForLock(fixture, pid: first.pid, daemon: first)
        try await expectOrderlyStop(first, fixture)
    }

    @Test("A daemon killed with SIGKILL leaves no lock behind")
    func killedDaemonReleases() async throws {
        let fixture = try ServiceFixture()
        defer { fixture.remove() }
        let first = try RefbotProcess.start(["run", "--config", fixture.configPath])
        try await waitForLock(fixture, pid: first.pid, daemon: first)
        first.signal(SIGKILL)
        await first.wait()
        let next = try RefbotProcess.start(["run", "--config", fixture.configPath])
        var taken = true
        do { try await waitForLock(fixture, pid: next.pid, daemon: next) } catch { taken = false; Issue.record(error) }
        #expect(taken && next.isRunning)
        next.signal(SIGTERM)
        await next.wait()
    }
}

@Suite("The daemon's own log")
struct DaemonLogTests {
    @Test("At --log-level debug the service group names each service by its short name, and no password reaches the log")
    func debugLogHasNoPassword() async throws {
        let password = "Pa55-\(UUID().uuidString)"
        let fixture = try ServiceFixture(imapPassword: password)
        defer { fixture.remove() }
        let daemon = try RefbotProcess.start(["run", "--log-level", "debug", "--config", fixture.configPath])
        defer { if daemon.isRunning { daemon.signal(SIGKILL) } }
        // The group logs every service as it starts it; the sender is started after the fetcher.
        for _ in 0..<600 where !daemon.stderr.contains("sl-service=sender") && daemon.isRunning {
            try await Task.sleep(for: .milliseconds(100))
        }
        daemon.signal(SIGTERM)
        let status = await daemon.wait()
        let log = daemon.stderr
        #expect(status == 0, "\(log)")
        #expect(log.contains("Starting service lifecycle"), "\(log)")
        #expect(log.contains(#"sl-services="[\"fetcher\", \"processor\", \"sender\", \"scheduler\", \"systemd-notifier\", \"http\", \"webhooks\"]""#), "\(log)")
        #expect(log.contains("sl-service=fetcher"))
        #expect(!log.contains(password), "the IMAP password is in the log")
        #expect(!log.contains("Configuration("), "the configuration is printed into the log")
    }
}
