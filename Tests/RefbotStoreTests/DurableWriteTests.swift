import Foundation
import GRDB
import RefbotStore
import Testing

@Suite("Durable writes")
struct DurableWriteTests {
    @Test("writeDurably commits with the log synced (synchronous = FULL) and leaves ordinary writes at NORMAL")
    func syncedCommit() async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inside = try await store.writeDurably { db in
            try db.execute(sql: "CREATE TABLE durable (x INTEGER)")
            try db.execute(sql: "INSERT INTO durable (x) VALUES (1)")
            return try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
        }
        #expect(inside == 2)  // FULL
        let after = try await store.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
        #expect(after == 1)  // NORMAL
        let rows = try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM durable") ?? 0 }
        #expect(rows == 1)
    }

    @Test("A durable write that throws commits nothing and leaves the connection at NORMAL")
    func rollback() async throws {
        struct Refused: Error {}
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await store.write { db in try db.execute(sql: "CREATE TABLE durable (x INTEGER)") }
        await #expect(throws: Refused.self) {
            try await store.writeDurably { db -> Int in
                try db.execute(sql: "INSERT INTO durable (x) VALUES (1)")
                throw Refused()
            }
        }
        let rows = try await store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM durable") ?? -1 }
        #expect(rows == 0)
        let after = try await store.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
        #expect(after == 1)
    }
}
