import Foundation
import GRDB
import RefbotStore
import Testing

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
