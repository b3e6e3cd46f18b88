import Foundation
import GRDB
@testable import RefbotStore
import Testing

/// Upgrades: a database that has migrations to apply is copied first; one from a newer refbot is
/// refused untouched.
@Suite("Upgrading a database")
struct UpgradeTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-upgrade-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// The migration before the newest one: a database there has exactly one migration pending.
    static var older: String { Store.migrationNames[Store.migrationNames.count - 2] }
    static var olderVersion: Int { DatabaseMigrationState.version(of: older)! }

    /// A database written by the migrations up to `older`, with one inbound mail in it.
    static func makeOldDatabase(at path: String) async throws {
        let queue = try DatabaseQueue(path: path)
        try Migrations.migrator.migrate(queue, upTo: older)
        try await queue.write { db in
            try db.execute(sql: "INSERT INTO inboundMessage (uidValidity, uid, raw, receivedAt) VALUES (1, 7, x'00', 100)")
        }
        try await queue.close()
    }

    static func mode(_ path: String) throws -> Int {
        ((try FileManager.default.attributesOfItem(atPath: path))[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("Opening an older database first copies it to refbot.sqlite.pre-v<N> (0600, the old schema and rows), then migrates")
    func backupBeforeMigrating() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/refbot.sqlite"
        try await Self.makeOldDatabase(at: path)
        let store = try Store(path: path)
        let expected = "\(path).pre-v\(Self.olderVersion)"
        #expect(store.preMigrationBackup == expected)
        #expect(try store.appliedMigrations() == Store.migrationNames)
        #expect(try Self.mode(expected) == 0o600)
        let copy = try Store.migrationState(path: expected)
        #expect(copy.applied == Array(Store.migrationNames.dropLast()))
        #expect(copy.pending == [Store.migrationNames.last!])
        let rows = try await DatabaseQueue(path: expected).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage WHERE uid = 7")
        }
        #expect(rows == 1)
    }

    @Test("A new database and an up-to-date one open without a backup")
    func noBackupWhenNothingToMigrate() throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/refbot.sqlite"
        #expect(try Store(path: path).preMigrationBackup == nil)
        #expect(try Store(path: path).preMigrationBackup == nil)
        let copies = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".pre-v") }
        #expect(copies.isEmpty, "\(copies)")
    }

    @Test("A second failed start at the same version keeps the first copy and writes another beside it")
    func existingBackupIsKept() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/refbot.sqlite"
        try await Self.makeOldDatabase(at: path)
        let first = "\(path).pre-v\(Self.olderVersion)"
        try Data("an earlier copy".utf8).write(to: URL(fileURLWithPath: first))
        let store = try Store(path: path)
        #expect(store.preMigrationBackup == first + ".2")
        #expect(try String(contentsOfFile: first, encoding: .utf8) == "an earlier copy")
    }

    @Test("Four processes opening one older database at once make one copy, taken before any migrates")
    func concurrentOpenersMakeOneBackup() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/refbot.sqlite"
        try await Self.makeOldDatabase(at: path)
        let backups = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<4 {
                group.addTask { try await Task.detached { try Store(path: path).preMigrationBackup }.value }
            }
            var made: [String] = []
            for try await backup in group { if let backup { made.append(backup) } }
            return made
        }
        #expect(backups == ["\(path).pre-v\(Self.olderVersion)"])
        #expect(try Store.migrationState(path: backups[0]).pending == [Store.migrationNames.last!])
    }

    @Test("A database a newer refbot migrated is refused with both versions named, and left byte for byte as it was")
    func newerDatabaseIsRefused() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/refbot.sqlite"
        do {
            _ = try Store(path: path)
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999: from the future')")
            }
            try await queue.close()
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let state = try Store.migrationState(path: path)
        #expect(state.isNewer && state.version == 999 && state.unknown == ["v999: from the future"])
        do {
            _ = try Store(path: path)
            Issue.record("a database from a newer refbot was opened")
        } catch let error as StoreError {
            #expect(error.code == .newerDatabase)
            #expect(error.message.contains("schema version 999"), "\(error.message)")
            #expect(error.message.contains("knows versions up to \(state.binaryVersion)"), "\(error.message)")
            #expect(error.message.contains("was not changed"), "\(error.message)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let copies = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".pre-v") }
        #expect(copies.isEmpty, "\(copies)")
    }

    @Test("A restore source must be a sound refbot database this binary knows")
    func restoreSourcesAreChecked() async throws {
        let dir = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = dir + "/notes.txt"
        try Data("not a database, though named like one".utf8).write(to: URL(fileURLWithPath: text))
        #expect(throws: StoreError.self) { try Store.verifyRestorable(path: text) }
        let other = dir + "/other.sqlite"
        try await DatabaseQueue(path: other).write { db in try db.execute(sql: "CREATE TABLE t (x)") }
        #expect { try Store.verifyRestorable(path: other) } throws: { ($0 as? StoreError)?.message.contains("not a refbot database") == true }
        let old = dir + "/old.sqlite"
        try await Self.makeOldDatabase(at: old)
        #expect(try Store.verifyRestorable(path: old).pending == [Store.migrationNames.last!])
        try await DatabaseQueue(path: old).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v999: from the future')")
        }
        #expect { try Store.verifyRestorable(path: old) } throws: { ($0 as? StoreError)?.code == .newerDatabase }
    }
}
