import Foundation
import GRDB
import RefbotStore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One daemon per database (`<database>.run-lock`), and no database made where none was meant.
@Suite("Single-instance lock and opening without creating")
struct InstanceLockTests {
    let directory: String
    var database: String { directory + "/refbot.sqlite" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-lock-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    @Test("A second lock on one database is refused, naming the database and the holder; after release it is granted")
    func secondHolderRefused() throws {
        let first = try InstanceLock(databasePath: database)
        // flock belongs to the open file: a second open in this process stands in for a second daemon.
        #expect {
            _ = try InstanceLock(databasePath: database)
        } throws: { error in
            guard let error = error as? InstanceLockError else { return false }
            return error.busy && error.holder == getpid() && error.description.contains(database)
                && error.description.contains("process \(getpid())")
        }
        first.release()
        let second = try InstanceLock(databasePath: database)
        second.release()
    }

    @Test("The lock does not keep others from the database itself: a Store opens, writes and reads beside it")
    func storeWorksBesideTheLock() async throws {
        let lock = try InstanceLock(databasePath: database)
        defer { lock.release() }
        let store = try Store(path: database)
        try await store.write { db in try db.execute(sql: "CREATE TABLE beside (x INTEGER)"); try db.execute(sql: "INSERT INTO beside VALUES (1)") }
        let count = try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM beside") }
        #expect(count == 1)
    }

    @Test("Locks on two databases in one folder are independent")
    func twoDatabases() throws {
        let a = try InstanceLock(databasePath: directory + "/a.sqlite")
        let b = try InstanceLock(databasePath: directory + "/b.sqlite")
        a.release()
        b.release()
    }

    @Test("A lock in a folder that does not exist fails with a message naming the folder, not as busy")
    func missingFolder() {
        #expect {
            _ = try InstanceLock(databasePath: directory + "/no-such-folder/refbot.sqlite")
        } throws: { error in
            guard let error = error as? InstanceLockError else { return false }
            return !error.busy && error.description.contains(directory + "/no-such-folder")
        }
    }

    @Test("A lock file planted as a symbolic link is refused, and the file it points at is left as it was")
    func symlinkRefused() throws {
        let target = directory + "/precious"
        try "keep me\n".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: InstanceLock.lockPath(forDatabase: database), withDestinationPath: target)
        #expect(throws: InstanceLockError.self) { _ = try InstanceLock(databasePath: database) }
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me\n")
    }

    @Test("Store(path:create: false) refuses a missing database and leaves no file behind")
    func openWithoutCreating() throws {
        #expect(throws: MissingDatabase.self) { _ = try Store(path: database, create: false) }
        #expect(!FileManager.default.fileExists(atPath: database))
        _ = try Store(path: database, create: true)
        _ = try Store(path: database, create: false)
    }
}
