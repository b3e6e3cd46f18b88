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
