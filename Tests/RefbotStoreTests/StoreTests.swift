import Foundation
import GRDB
import RefbotStore
import Testing

/// A store in a fresh temporary file (WAL matters, so not in memory).
func makeStore() throws -> (Store, String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-store-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    return (try Store(path: directory + "/refbot.sqlite"), directory)
}

func inbound(uid: Int64, uidValidity: Int64 = 1, messageId: String? = nil, raw: String = "raw") -> InboundMessage {
    InboundMessage(uidValidity: uidValidity, uid: uid, messageId: messageId, raw: Data(raw.utf8), receivedAt: 100)
}

func outbox(_ event: String = "help", at time: Int64 = 100) -> OutboxMessage {
    OutboxMessage(
        event: event, ref: nil, recipients: ["alice@example.org"], messageId: UUID().uuidString + "@example.org",
        raw: Data("mail".utf8), queuedAt: time)
}

@Suite("Store schema")
struct SchemaTests {
    @Test("Migrations run from empty to latest, in WAL mode with foreign keys on")
    func migrations() async throws {
        let (store, _) = try makeStore()
        let applied = try store.appliedMigrations()
        #expect(applied == Store.migrationNames)
        #expect(applied.prefix(2) == ["v1: queues", "v2: network"])
        let mode = try await store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let foreignKeys = try await store.read { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
        #expect(foreignKeys == 1)
    }

    @Test("Reply tags are found by member, action and object, and mail by its object, through indexes (v6)")
    func lookupIndexes() async throws {
        let (store, _) = try makeStore()
        #expect(Store.migrationNames.contains("v6: lookup indexes"))
        let plans = try await store.read { db in
            try [
                """
                SELECT * FROM replyToken WHERE memberEmail = 'a@example.org' AND action = 'referral.owner'
                  AND ref = 'R-1' AND expiresAt > 0 ORDER BY expiresAt DESC LIMIT 1
                """,
                "SELECT messageId FROM outboxMessage WHERE ref = 'R-1' ORDER BY id",
            ].map { sql in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String? ?? "" }
                    .joined(separator: "; ")
            }
        }
        // The whole WHERE clause is answered by the index, and no sort is needed afterwards.
        #expect(plans[0].contains("USING INDEX replyToken_lookup (memberEmail=? AND action=? AND ref=? AND expiresAt>?)"))
        #expect(plans[1].contains("USING INDEX outboxMessage_ref (ref=?)"))
        #expect(!plans.joined().contains("TEMP B-TREE"))
        #expect(!plans.joined().contains("SCAN"))
    }

    @Test("The schema refuses a second row for the same UIDVALIDITY and UID")
    func uniqueUID() async throws {
        let (store, _) = try makeStore()
        await #expect {
            try await store.write { db in
                var a = inbound(uid: 5)
                try a.insert(db)
                var b = inbound(uid: 5)
                try b.insert(db)
            }
        } throws: { error in
            (error as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE
        }
    }

    @Test("The schema refuses unknown states and negative attempts", arguments: [
        "UPDATE inboundMessage SET state = 'lost'",
        "UPDATE inboundMessage SET attempts = -1",
        "UPDATE outboxMessage SET state = 'maybe'",
        "UPDATE outboxMessage SET recipients = ''",
    ])
    func checks(sql: String) async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            var a = inbound(uid: 1)
            try a.insert(db)
            try Outbox.enqueue(outbox(), envelopeFrom: { "b+bounce-\($0)@example.org" }, in: db)
        }
        await #expect {
            try await store.write { db in try db.execute(sql: sql) }
        } throws: { error in
            (error as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_CHECK
        }
    }

    @Test("An outbox row may not point at an inbound mail that does not exist")
    func foreignKey() async throws {
        let (store, _) = try makeStore()
        await #expect {
            try await store.write { db in
                var row = outbox()
                row.inboundId = 42
                try row.insert(db)
            }
        } throws: { error in
            (error as? DatabaseError)?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY
        }
    }
}

@Suite("Inbound queue")
struct InboundQueueTests {
    @Test("The same UID, or the same Message-ID and bytes under a new UIDVALIDITY, is a duplicate")
    func deduplication() async throws {
        let (store, _) = try makeStore()
        let outcomes = try await store.write { db in
            [
                try InboundQueue.insertIfNew(inbound(uid: 1, messageId: "a@x"), in: db),
                try InboundQueue.insertIfNew(inbound(uid: 1, messageId: "a@x"), in: db),
                try InboundQueue.insertIfNew(inbound(uid: 9, uidValidity: 2, messageId: "a@x"), in: db),
                // Same Message-ID, other bytes: a different mail (a client that reuses ids).
                try InboundQueue.insertIfNew(inbound(uid: 10, uidValidity: 2, messageId: "a@x", raw: "other"), in: db),
            ]
        }
        #expect(outcomes == [.inserted(1), .duplicate(1), .duplicate(1), .inserted(2)])
    }

    @Test("Three failures quarantine a row; done rows leave the queue")
    func failuresQuarantine() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            _ = try InboundQueue.insertIfNew(inbound(uid: 1), in: db)
            _ = try InboundQueue.insertIfNew(inbound(uid: 2), in: db)
        }
        let results = try await store.write { db in
            try (0..<3).map { _ in try InboundQueue.recordFailure(1, error: "boom", now: 5, in: db) }
        }
        #expect(results == [false, false, true])
        try await store.write { db in try InboundQueue.markDone(2, disposition: "help", now: 5, in: db) }
        let due = try await store.read { db in try InboundQueue.due(limit: 10, in: db) }
        #expect(due.isEmpty)
        let rows = try await store.read { db in try InboundQueue.counts(in: db) }
        #expect(rows[.quarantined] == 1)
        #expect(rows[.done] == 1)
        let awaiting = try await store.read { db in try InboundQueue.awaitingQuarantineFiling(in: db) }
        #expect(awaiting.map(\.id) == [1])
    }

    @Test("Marking a row done twice is refused: a mail is acted on once")
    func doneOnce() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            _ = try InboundQueue.insertIfNew(inbound(uid: 1), in: db)
            try InboundQueue.markDone(1, disposition: "help", now: 5, in: db)
        }
        await #expect(throws: StoreError.self) {
            try await store.write { db in try InboundQueue.markDone(1, disposition: "help", now: 6, in: db) }
        }
    }
}

@Suite("Outbox")
struct OutboxTests {
    @Test("Enqueue sets the VERP envelope from the row's id")
    func verp() async throws {
        let (store, _) = try makeStore()
        let id = try await store.write { db in
            try Outbox.enqueue(outbox(), envelopeFrom: { "bot+bounce-\($0)@example.org" }, in: db)
        }
        let row = try await store.read { db in try Outbox.find(id, in: db) }
        #expect(row?.envelopeFrom == "bot+bounce-\(id)@example.org")
    }

    @Test("Due rows alternate between fresh mail and retries, so neither starves the other")
    func fairness() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            for _ in 0..<4 { try Outbox.enqueue(outbox("help"), envelopeFrom: { "\($0)" }, in: db) }
            for id in Int64(1)...2 { try Outbox.deferDelivery(id, until: 100, error: "451", in: db) }
        }
        let due = try await store.read { db in try Outbox.due(now: 100, limit: 4, in: db) }
        #expect(due.map(\.attempts) == [0, 1, 0, 1])
        let notYet = try await store.read { db in try Outbox.due(now: 99, limit: 4, in: db) }
        #expect(notYet.allSatisfy { $0.attempts == 0 })
    }

    @Test("Sent rows are never due again; failed rows come back only on retry")
    func lifecycle() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            for _ in 0..<3 { try Outbox.enqueue(outbox(), envelopeFrom: { "\($0)" }, in: db) }
            try Outbox.markSent(1, now: 101, in: db)
            try Outbox.fail(2, error: "550", in: db)
        }
        #expect(try await store.read { db in try Outbox.due(now: 200, limit: 10, in: db).compactMap(\.id) } == [Int64(3)])
        #expect(try await store.read { db in try Outbox.depth(in: db) } == 1)
        let retried = try await store.write { db in try Outbox.retryFailed(now: 300, in: db) }
        #expect(retried == 1)
        #expect(try await store.read { db in try Outbox.due(now: 300, limit: 10, in: db).compactMap(\.id) }.sorted() == [Int64(2), 3])
    }

    @Test("Error replies are counted per sender within the hour")
    func errorReplies() async throws {
        let (store, _) = try makeStore()
        let count = try await store.write { db -> Int in
            for t in [0, 1000, 3000] as [Int64] { try ErrorReplyLog.record(sender: "Alice@Example.org", now: t, in: db) }
            // At 4000 the hour reaches back to 400: the replies at 1000 and 3000 count, the one at 0 does not.
            return try ErrorReplyLog.countLastHour(sender: "alice@example.org", now: 4000, in: db)
        }
        #expect(count == 2)
    }

    @Test("Online backup copies every row while the store stays open")
    func backup() async throws {
        let (store, directory) = try makeStore()
        try await store.write { db in try Outbox.enqueue(outbox(), envelopeFrom: { "\($0)" }, in: db) }
        try store.backup(to: directory + "/copy.sqlite")
        let copy = try Store(path: directory + "/copy.sqlite")
        #expect(try await copy.read { db in try OutboxMessage.fetchCount(db) } == 1)
    }
}
