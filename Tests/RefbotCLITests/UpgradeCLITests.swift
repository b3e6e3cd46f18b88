import Foundation
import RefbotTestSupport
import Testing

/// `refbot admin migrations`, `admin backup` with the link secret and `admin restore`, run as an
/// admin would, on real SQLite files.
@Suite("refbot admin migrations, backup and restore")
struct UpgradeCLITests {
    struct Setup {
        var dir: String
        var config: String
        var database: String { dir + "/refbot.sqlite" }
        var secret: String { dir + "/secret" }
        let env = ["REFBOT_IMAP_PASSWORD": "x", "REFBOT_SMTP_PASSWORD": "x"]

        func admin(_ arguments: [String]) async throws -> RefbotProcess.Result {
            try await RefbotProcess.run(["admin"] + arguments + ["--config", config], environment: env)
        }
    }

    /// A configuration in a new folder and its database, created as the first start does.
    func setUp() async throws -> Setup {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-upgrade-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let config = dir + "/refbot.toml"
        try """
            [bot]
            address = "referrals@example.org"
            admins = ["admin@example.org"]
            database = "\(dir)/refbot.sqlite"
            secret_file = "\(dir)/secret"
            templates = "\(RefbotProcess.packageRoot)/mail-templates"
            [imap]
            url = "imaps://127.0.0.1:1/INBOX"
            username = "referrals@example.org"
            [smtp]
            url = "smtps://127.0.0.1:1"
            [http]
            listen = "127.0.0.1:0"
            metrics_listen = ""
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let setup = Setup(dir: dir, config: config)
        try await RefbotProcess.createDatabase(configPath: config, environment: setup.env)
        let stats = try await setup.admin(["stats"])
        #expect(stats.status == 0, "\(stats.stderr)")
        return setup
    }

    /// Runs SQL on a database with the sqlite3 shell and returns what it printed.
    @discardableResult
    func sqlite(_ path: String, _ sql: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, sql]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "sqlite3 \(sql)")
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("check-config, the unit's first step, opens an older database (a v11 one) by copying it to refbot.sqlite.pre-v11 and says so")
    func checkConfigUpgrades() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: setup.database + suffix) }
        try sqlite(setup.database, ".read '\(RefbotProcess.packageRoot)/scripts/package-files/refbot-old-schema.sql'")
        let before = try await setup.admin(["migrations"])
        #expect(before.stdout.contains("schema version 11"), "\(before.stdout)")
        let check = try await RefbotProcess.run(["check-config", "--offline", "--config", setup.config], environment: setup.env)
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(check.stdout.contains("the copy from before is \(setup.database).pre-v11"), "\(check.stdout)")
        #expect(try sqlite(setup.database + ".pre-v11", "SELECT COUNT(*) FROM inboundMessage") == "1")
        #expect(Self.mode(setup.database + ".pre-v11") == 0o600)
        let after = try await setup.admin(["migrations"])
        #expect(after.stdout.contains("Up to date."), "\(after.stdout)")
    }

    @Test("admin migrations lists every migration applied on an up-to-date database")
    func migrationsUpToDate() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let result = try await setup.admin(["migrations"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("applied  v1: queues"), "\(result.stdout)")
        #expect(!result.stdout.contains("pending"), "\(result.stdout)")
        #expect(result.stdout.contains("Up to date."), "\(result.stdout)")
    }

    @Test("admin migrations shows a missing migration as pending and the backup the next start makes, without applying it")
    func migrationsPending() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let newest = try sqlite(setup.database, "SELECT identifier FROM grdb_migrations ORDER BY rowid DESC LIMIT 1")
        try sqlite(setup.database, "DELETE FROM grdb_migrations WHERE identifier = '\(newest)'")
        let result = try await setup.admin(["migrations"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("pending  \(newest)"), "\(result.stdout)")
        #expect(result.stdout.contains("\(setup.database).pre-v"), "\(result.stdout)")
        // Listing wrote nothing: the migration is still missing and no copy was made.
        #expect(try sqlite(setup.database, "SELECT COUNT(*) FROM grdb_migrations WHERE identifier = '\(newest)'") == "0")
        #expect(try FileManager.default.contentsOfDirectory(atPath: setup.dir).filter { $0.contains(".pre-v") }.isEmpty)
    }

    @Test("A database from a newer refbot: migrations names it, admin stats and run refuse it and leave it unchanged")
    func newerDatabase() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        try sqlite(setup.database, "INSERT INTO grdb_migrations (identifier) VALUES ('v999: from the future')")
        let before = try Data(contentsOf: URL(fileURLWithPath: setup.database))
        let list = try await setup.admin(["migrations"])
        #expect(list.stdout.contains("unknown  v999: from the future"), "\(list.stdout)")
        #expect(list.stdout.contains("schema version 999"), "\(list.stdout)")
        let stats = try await setup.admin(["stats"])
        #expect(stats.status != 0)
        #expect(stats.stderr.contains("schema version 999") && stats.stderr.contains("newer refbot"), "\(stats.stderr)")
        let run = try await RefbotProcess.run(["run", "--once", "--config", setup.config], environment: setup.env)
        #expect(run.status == 78, "\(run.stderr)")
        #expect(run.stderr.contains("schema version 999"), "\(run.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: setup.database)) == before)
    }

    @Test("admin backup copies the link secret beside the backup, readable by its owner only")
    func backupCopiesSecret() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let key = String(repeating: "ab", count: 32) + "\n"
        try key.write(toFile: setup.secret, atomically: true, encoding: .utf8)
        let result = try await setup.admin(["backup", setup.dir + "/b.sqlite"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try String(contentsOfFile: setup.dir + "/b.sqlite.secret", encoding: .utf8) == key)
        #expect(Self.mode(setup.dir + "/b.sqlite.secret") == 0o600)
        #expect(result.stdout.contains("keep it with the backup"), "\(result.stdout)")
    }

    @Test("admin backup without a secret file says where the secret belongs and that it must be kept with the backup")
    func backupWithoutSecret() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        try? FileManager.default.removeItem(atPath: setup.secret)  // the first start made one
        let result = try await setup.admin(["backup", setup.dir + "/b.sqlite"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.dir + "/b.sqlite.secret"))
        #expect(result.stdout.contains("It is \(setup.secret) (bot.secret_file)"), "\(result.stdout)")
    }

    @Test("admin restore puts the backup and its secret back and keeps what it replaced as .before-restore")
    func restore() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let oldKey = String(repeating: "ab", count: 32) + "\n"
        try oldKey.write(toFile: setup.secret, atomically: true, encoding: .utf8)
        let backup = try await setup.admin(["backup", setup.dir + "/b.sqlite"])
        #expect(backup.status == 0, "\(backup.stderr)")
        // Work after the backup: a row, and a new secret.
        try sqlite(setup.database, "INSERT INTO inboundMessage (uidValidity, uid, raw, receivedAt) VALUES (1, 42, x'00', 100)")
        let newKey = String(repeating: "cd", count: 32) + "\n"
        try newKey.write(toFile: setup.secret, atomically: true, encoding: .utf8)

        let result = try await setup.admin(["restore", setup.dir + "/b.sqlite"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try sqlite(setup.database, "SELECT COUNT(*) FROM inboundMessage WHERE uid = 42") == "0")
        #expect(try sqlite(setup.database + ".before-restore", "SELECT COUNT(*) FROM inboundMessage WHERE uid = 42") == "1")
        #expect(Self.mode(setup.database + ".before-restore") == 0o600)
        #expect(try String(contentsOfFile: setup.secret, encoding: .utf8) == oldKey)
        #expect(try String(contentsOfFile: setup.secret + ".before-restore", encoding: .utf8) == newKey)
        #expect(Self.mode(setup.secret) == 0o600)
        // The restored database works.
        let stats = try await setup.admin(["stats"])
        #expect(stats.status == 0, "\(stats.stderr)")
    }

    @Test("admin restore refuses a file that is not a refbot database and changes nothing")
    func restoreRefusesForeignFiles() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        try sqlite(setup.database, "INSERT INTO inboundMessage (uidValidity, uid, raw, receivedAt) VALUES (1, 42, x'00', 100)")
        try Data("hello".utf8).write(to: URL(fileURLWithPath: setup.dir + "/text.sqlite"))
        try sqlite(setup.dir + "/other.sqlite", "CREATE TABLE t (x)")
        for file in [setup.dir + "/text.sqlite", setup.dir + "/other.sqlite", setup.dir + "/missing.sqlite"] {
            let result = try await setup.admin(["restore", file])
            #expect(result.status == 65, "\(file): \(result.stderr)")
            #expect(result.stderr.contains("Nothing was changed"), "\(result.stderr)")
        }
        #expect(try sqlite(setup.database, "SELECT COUNT(*) FROM inboundMessage WHERE uid = 42") == "1")
        #expect(!FileManager.default.fileExists(atPath: setup.database + ".before-restore"))
    }

    @Test("admin restore refuses while another process has the database open (an sqlite3 session), and changes nothing")
    func restoreRefusesOpenDatabase() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let backup = try await setup.admin(["backup", setup.dir + "/b.sqlite"])
        #expect(backup.status == 0, "\(backup.stderr)")
        try sqlite(setup.database, "INSERT INTO inboundMessage (uidValidity, uid, raw, receivedAt) VALUES (1, 42, x'00', 100)")
        let holder = try await SQLiteLockHolder(path: setup.database)
        let result = try await setup.admin(["restore", setup.dir + "/b.sqlite"])
        try await holder.release()
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("is in use") && result.stderr.contains("stop the daemon first"), "\(result.stderr)")
        #expect(try sqlite(setup.database, "SELECT COUNT(*) FROM inboundMessage WHERE uid = 42") == "1")
    }

    @Test("admin restore refuses while the daemon runs on the database")
    func restoreRefusesRunningDaemon() async throws {
        let setup = try await setUp()
        defer { try? FileManager.default.removeItem(atPath: setup.dir) }
        let backup = try await setup.admin(["backup", setup.dir + "/b.sqlite"])
        #expect(backup.status == 0, "\(backup.stderr)")
        let daemon = try RefbotProcess.start(["run", "--config", setup.config], environment: setup.env)
        defer { daemon.signal(SIGKILL) }
        // The daemon has the database open once SQLite's shared memory file exists.
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: setup.database + "-shm"), daemon.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(daemon.isRunning, "\(daemon.stderr)")
        let result = try await setup.admin(["restore", setup.dir + "/b.sqlite"])
        #expect(result.status == 75, "\(result.stderr)")
        #expect(result.stderr.contains("is in use"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: setup.database + ".before-restore"))
    }
}
