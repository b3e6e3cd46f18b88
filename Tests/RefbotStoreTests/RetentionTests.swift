import Foundation
import GRDB
import RefbotStore
import Testing

/// `Retention.purge`: which stored mail loses its bytes, and which never does.
@Suite("Raw mail retention")
struct RetentionTests {
    static let day: Int64 = 86_400
    static let now: Int64 = 1_800_000_000
    static let cutoff = now - 30 * day
    static let linkUIDValidity: Int64 = 0

    /// Inserts one inbound row in the given state, processed at `processedAt`; returns its id.
    func addInbound(
        _ db: Database, uidValidity: Int64 = 1, state: String, processedAt: Int64?, filed: Bool, quarantineFiled: Bool = false
    ) throws -> Int64 {
        let id = try InboundQueue.insertIfNew(
            InboundMessage(uidValidity: uidValidity, uid: Int64.random(in: 1...1_000_000_000), messageId: nil,
                           raw: Data("From: a@example.org\r\n\r\nHELP".utf8), receivedAt: 1), in: db)
        guard case .inserted(let rowId) = id else { throw StoreError(code: .invalidState, message: "duplicate") }
        try db.execute(
            sql: "UPDATE inboundMessage SET state = ?, processedAt = ?, filedFolder = ?, quarantineFiled = ? WHERE id = ?",
            arguments: [state, processedAt, filed ? "Processed" : nil, quarantineFiled, rowId])
        return rowId
    }

    func size(_ db: Database, _ table: String, _ id: Int64) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT length(raw) FROM \(table) WHERE id = ?", arguments: [id]) ?? -1
    }

    @Test("Old, done and filed mail is emptied; waiting, unfiled, held or recent mail is kept")
    func inboundRules() async throws {
        let (store, _) = try makeStore()
        let old = Self.now - 31 * Self.day
        try await store.write { db in
            let done = try addInbound(db, state: "done", processedAt: old, filed: true)
            let ignored = try addInbound(db, state: "ignored", processedAt: old, filed: true)
            let quarantinedFiled = try addInbound(db, state: "quarantined", processedAt: old, filed: true, quarantineFiled: true)
            let link = try addInbound(db, uidValidity: Self.linkUIDValidity, state: "done", processedAt: old, filed: false)
            let waiting = try addInbound(db, state: "received", processedAt: nil, filed: true)
            let unfiled = try addInbound(db, state: "done", processedAt: old, filed: false)
            let quarantinedUnfiled = try addInbound(db, state: "quarantined", processedAt: old, filed: true)
            let recent = try addInbound(db, state: "done", processedAt: Self.now - Self.day, filed: true)
            let held = try addInbound(db, state: "done", processedAt: old, filed: true)
            let heldExpired = try addInbound(db, state: "done", processedAt: old, filed: true)
            try db.execute(
                sql: "INSERT INTO heldCommand (tokenHash, inboundId, sender, createdAt, expiresAt) VALUES ('t1', ?, 'a@example.org', ?, ?), ('t2', ?, 'a@example.org', ?, ?)",
                arguments: [held, old, Self.now + Self.day, heldExpired, old, Self.now - Self.day])

            let purged = try Retention.purge(
                olderThan: Self.cutoff, now: Self.now, linkUIDValidity: Self.linkUIDValidity, in: db)
            #expect(purged.inbound == 5)
            for id in [done, ignored, quarantinedFiled, link, heldExpired] {
                #expect(try size(db, "inboundMessage", id) == 0, "row \(id) kept")
            }
            for id in [waiting, unfiled, quarantinedUnfiled, recent, held] {
                #expect(try size(db, "inboundMessage", id) > 0, "row \(id) purged")
            }
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage") == 10)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage WHERE purgedAt = ?", arguments: [Self.now]) == 5)
            // A second pass finds nothing more.
            #expect(try Retention.purge(olderThan: Self.cutoff, now: Self.now, linkUIDValidity: 0, in: db).total == 0)
        }
    }

    @Test("Sent and failed mail is emptied after the cutoff, pending never; a purged failure is not retried")
    func outboundRules() async throws {
        let (store, _) = try makeStore()
        let old = Self.now - 31 * Self.day
        try await store.write { db in
            let sent = try Outbox.enqueue(outbox(at: old), envelopeFrom: { "b+\($0)@example.org" }, in: db)
            try Outbox.markSent(sent, now: old, in: db)
            let recentSent = try Outbox.enqueue(outbox(at: old), envelopeFrom: { "b+\($0)@example.org" }, in: db)
            try Outbox.markSent(recentSent, now: Self.now - Self.day, in: db)
            let failed = try Outbox.enqueue(outbox(at: old), envelopeFrom: { "b+\($0)@example.org" }, in: db)
            try Outbox.fail(failed, error: "550 no such user", in: db)
            let pending = try Outbox.enqueue(outbox(at: old), envelopeFrom: { "b+\($0)@example.org" }, in: db)

            let purged = try Retention.purge(olderThan: Self.cutoff, now: Self.now, linkUIDValidity: 0, in: db)
            #expect(purged.outbound == 2)
            #expect(try size(db, "outboxMessage", sent) == 0)
            #expect(try size(db, "outboxMessage", failed) == 0)
            #expect(try size(db, "outboxMessage", recentSent) > 0)
            #expect(try size(db, "outboxMessage", pending) > 0)
            #expect(try Outbox.retryFailed(now: Self.now, in: db) == 0)
            #expect(try Outbox.find(failed, in: db)?.state == .failed)
        }
    }

    @Test("Purging works in batches of the given size")
    func batches() async throws {
        let (store, _) = try makeStore()
        let old = Self.now - 31 * Self.day
        try await store.write { db in
            for _ in 0..<7 { _ = try addInbound(db, state: "done", processedAt: old, filed: true) }
            var rounds: [Int] = []
            while true {
                let purged = try Retention.purge(olderThan: Self.cutoff, now: Self.now, linkUIDValidity: 0, limit: 3, in: db)
                rounds.append(purged.inbound)
                if purged.inbound < 3 { break }
            }
            #expect(rounds == [3, 3, 1])
        }
    }
}
