import Foundation
import GRDB
import RefbotStore
import Testing

@Suite("Statement journals")
struct StatementJournalTests {
    /// The names of the temporary files SQLite holds open in this process ("etilqs_…", deleted at once).
    static func openTemporaryFiles() -> [String] {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return fds.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
            .filter { $0.contains("etilqs_") }
    }

    @Test("A savepoint that rewrites pages the transaction already changed keeps its journal in memory, not in a temporary file")
    func savepointJournalInMemory() async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await store.write { db in try db.execute(sql: "CREATE TABLE journalled (x BLOB)") }
        let seen = try await store.write { db -> (files: [String], rows: Int) in
            // 200 rows of 3 000 bytes: about 150 pages changed before the savepoint...
            for _ in 0..<200 { try db.execute(sql: "INSERT INTO journalled (x) VALUES (randomblob(3000))") }
            var files: [String] = []
            try db.inSavepoint {
                // ...and each of them changed again inside it: their earlier copies (some 600 KB, far
                // past the 64 KB SQLite keeps in memory by default) go to the statement journal.
                try db.execute(sql: "UPDATE journalled SET x = randomblob(3000)")
                files = Self.openTemporaryFiles()
                return .rollback
            }
            return (files, try Int.fetchOne(db, sql: "SELECT count(*) FROM journalled WHERE length(x) = 3000") ?? 0)
        }
        #expect(seen.files.isEmpty, "the statement journal was spilled to \(seen.files)")
        #expect(seen.rows == 200)
        let mode = try await store.write { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") ?? -1 }
        #expect(mode == 2)  // MEMORY
    }
}

@Suite("Write-ahead log")
struct CheckpointTests {
    @Test("The log grows to 4 000 pages before it is copied into the database, not SQLite's 1 000")
    func checkpointEvery4000Pages() async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await store.write { db in try db.execute(sql: "CREATE TABLE logged (x BLOB)") }
        // 2 000 rows of 3 000 bytes, 20 to a transaction: some 2 000 pages of log.
        for _ in 0..<100 {
            try await store.write { db in
                for _ in 0..<20 { try db.execute(sql: "INSERT INTO logged (x) VALUES (randomblob(3000))") }
            }
        }
        let frame = 4096 + 24
        let size = (try FileManager.default.attributesOfItem(atPath: directory + "/refbot.sqlite-wal")[.size] as? Int) ?? 0
        // At 1 000 pages the log would have been checkpointed and begun again from its start, its
        // file never much over 1 000 frames.
        #expect(size > 1500 * frame, "the log file is \(size / frame) frames")
        #expect(size <= (Store.checkpointPages + 100) * frame, "the log file is \(size / frame) frames")
        let setting = try await store.write { db in try Int.fetchOne(db, sql: "PRAGMA wal_autocheckpoint") ?? -1 }
        #expect(setting == Store.checkpointPages)
    }
}
