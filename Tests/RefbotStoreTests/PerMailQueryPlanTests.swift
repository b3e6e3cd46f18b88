import Foundation
import GRDB
import RefbotStore
import Testing

/// The queries the Fetcher, Processor and Sender run once per mail or per pass must not cost more
/// as the queues' history grows: each is answered by an index, never by a scan of the table.
@Suite("Per-mail queries and the size of the queues")
struct PerMailQueryPlanTests {
    /// The SQL each statement `body` runs, with its arguments filled in.
    private func statements(in store: Store, _ body: @escaping @Sendable (Database) throws -> Void) async throws -> [String] {
        try await store.write { db in
            let seen = SQLSeen()
            db.trace(options: .statement) { event in
                if case .statement(let statement) = event { seen.add(statement.expandedSQL) }
            }
            defer { db.trace(options: []) }
            try body(db)
            return seen.all
        }
    }

    /// SQLite's plan for `sql`, one line per step.
    private func plan(_ sql: String, in store: Store) async throws -> String {
        try await store.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String? ?? "" }
                .joined(separator: "; ")
        }
    }

    @Test("v20: a sender's held commands of the last hour are counted through an index; the reply caps count only up to the cap")
    func heldAndUnprovenCounts() async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(Store.migrationNames.last == "v20: held commands by sender")
        try await store.write { db in
            for n in 0..<50 {
                try UnprovenReplyLog.record(address: "stranger\(n % 5)@example.org", event: "help", now: 1_000 + Int64(n), in: db)
            }
        }
        let counts = try await store.read { db in
            (
                try UnprovenReplyLog.countAll(since: 0, upTo: 10, in: db),
                try UnprovenReplyLog.countAll(since: 0, upTo: 200, in: db),
                try UnprovenReplyLog.countAll(since: 1_039, upTo: 200, in: db),
                try UnprovenReplyLog.count(address: "stranger1@example.org", since: 0, upTo: 3, in: db),
                try UnprovenReplyLog.count(address: "stranger1@example.org", since: 0, upTo: 200, in: db)
            )
        }
        #expect(counts.0 == 10, "stops at the cap")
        #expect(counts.1 == 50)
        #expect(counts.2 == 10, "only the rows after the time")
        #expect(counts.3 == 3)
        #expect(counts.4 == 10)
        let sql = try await statements(in: store) { db in
            _ = try StoreLedger(db).heldCommandCount(sender: "ann@example.org", since: 100)
            _ = try UnprovenReplyLog.countAll(since: 100, upTo: 200, in: db)
        }
        let held = try #require(sql.first { $0.contains("heldCommand") })
        #expect(try await plan(held, in: store).contains("USING COVERING INDEX heldCommand_sender (sender=? AND createdAt>?)"))
        let unproven = try #require(sql.first { $0.contains("unprovenReply") })
        #expect(try await plan(unproven, in: store).contains("USING COVERING INDEX unprovenReply_sentAt (sentAt>?)"))
    }

    @Test("the cap on answers to unproven addresses: fewer rows in the table than the cap settle it without walking the hour")
    func unprovenCapWithoutWalk() async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await store.write { db in
            for n in 0..<50 {
                try UnprovenReplyLog.record(address: "stranger\(n % 5)@example.org", event: "help", now: 1_000 + Int64(n), in: db)
            }
        }
        let answers = try await store.read { db in
            (
                try UnprovenReplyLog.reached(10, since: 0, in: db),
                try UnprovenReplyLog.reached(10, since: 1_039, in: db),
                try UnprovenReplyLog.reached(11, since: 1_039, in: db),
                try UnprovenReplyLog.reached(50, since: 0, in: db),
                try UnprovenReplyLog.reached(51, since: 0, in: db),
                try UnprovenReplyLog.reached(1_000_000, since: 0, in: db)
            )
        }
        #expect(answers.0 && answers.1 && !answers.2 && answers.3 && !answers.4 && !answers.5, "\(answers)")
        let far = try await statements(in: store) { db in _ = try UnprovenReplyLog.reached(1_000_000, since: 0, in: db) }
        #expect(far == ["SELECT COUNT(*) FROM unprovenReply"], "a cap above the table's rows walks nothing: \(far)")
        let near = try await statements(in: store) { db in _ = try UnprovenReplyLog.reached(20, since: 0, in: db) }
        #expect(near.contains { $0.contains("sentAt >") }, "a cap within the table's rows counts the window: \(near)")
    }

    @Test("v19: the Sender's first-answer check, its due rows (unsorted), the outbox depth and the Processor's queue use indexes, with 2 000 sent rows and 3 waiting")
    func outboxQueriesUseIndexes() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-plan-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try Store(path: directory + "/refbot.sqlite")
        #expect(Store.migrationNames.contains("v19: speed indexes"))
        let (pendingId, inboundId) = try await store.write { db -> (Int64, Int64) in
            var inbound = InboundMessage(uidValidity: 1, uid: 1, messageId: "in@example.org", raw: Data("raw".utf8), receivedAt: 100)
            try inbound.insert(db)
            let inboundId = try #require(inbound.id)
            for n in 0..<2_000 {
                var row = OutboxMessage(
                    event: "help", ref: nil, recipients: ["alice@example.org"], messageId: "sent\(n)@example.org",
                    raw: Data(repeating: 65, count: 500), queuedAt: 100, inboundId: n == 0 ? inboundId : nil)
                try row.insert(db)
                try Outbox.markSent(row.id!, now: 100, in: db)
            }
            var pending = OutboxMessage(
                event: "help", ref: nil, recipients: ["bob@example.org"], messageId: "due@example.org", raw: Data("x".utf8),
                queuedAt: 100, inboundId: inboundId)
            try pending.insert(db)
            for n in 0..<2 {
                var bulk = OutboxMessage(
                    event: "digest", ref: nil, recipients: ["carol@example.org"], messageId: "bulk\(n)@example.org",
                    raw: Data("x".utf8), queuedAt: 100)
                try bulk.insert(db)
            }
            return (try #require(pending.id), inboundId)
        }
        let sql = try await statements(in: store) { db in
            _ = try SendingWindow.due(now: 200, limit: 100, in: db)
            _ = try Outbox.arrivalIfFirstAnswer(inboundId: inboundId, outboxId: pendingId, in: db)
            _ = try Outbox.depth(in: db)
            _ = try InboundQueue.due(limit: 20, in: db)
        }
        #expect(sql.count >= 6, "\(sql)")
        for statement in sql {
            let steps = try await plan(statement, in: store)
            #expect(!steps.contains("SCAN outboxMessage"), "\(statement): \(steps)")
            #expect(!steps.contains("SCAN inboundMessage"), "\(statement): \(steps)")
        }
        let check = try #require(sql.first { $0.contains("NOT EXISTS") })
        #expect(try await plan(check, in: store).contains("USING COVERING INDEX outboxMessage_inbound (inboundId=? AND state=?)"))
        // The due rows come in index order: neither the sent rows nor the waiting ones are sorted.
        let dueQueries = sql.filter { $0.contains("state = 'pending' AND attempts") }
        #expect(dueQueries.count == 4, "fresh and retried rows, answers and then bulk mail: \(dueQueries)")
        for due in dueQueries {
            let steps = try await plan(due, in: store)
            #expect(steps.contains("USING INDEX outboxMessage_due (state=? AND nextAttemptAt<?)"), "\(due): \(steps)")
            #expect(!steps.contains("TEMP B-TREE"), "\(due): \(steps)")
        }
    }
}

/// Statements collected by a trace callback.
private final class SQLSeen: @unchecked Sendable {
    private var statements: [String] = []
    private let lock = NSLock()
    func add(_ sql: String) { lock.withLock { statements.append(sql) } }
    var all: [String] { lock.withLock { statements } }
}
