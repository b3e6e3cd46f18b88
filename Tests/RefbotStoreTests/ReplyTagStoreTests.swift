import Foundation
import GRDB
import RefbotCore
@testable import RefbotStore
import Testing

@Suite("Reply tags in the store")
struct ReplyTagStoreTests {
    @Test("v7 hashes the tags a v6 database kept in clear: live tags keep working, no clear token remains")
    func migrationHashesTags() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-v7-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let path = directory + "/refbot.sqlite"
        let token = "abcdefghij2345672345"
        let confirm = "zyxwvutsrq7654327654"
        do {
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(queue, upTo: "v6: lookup indexes")
            try await queue.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO replyToken (token, memberEmail, action, ref, createdAt, expiresAt)
                          VALUES (?, 'ann@example.org', 'referral.owner', 'R-1', 100, 100 + 365 * 86400),
                                 (?, 'ann@example.org', 'confirm', NULL, 100, 100 + 86400);
                        INSERT INTO inboundMessage (uidValidity, uid, raw, receivedAt) VALUES (1, 1, x'00', 100);
                        INSERT INTO heldCommand (token, inboundId, sender, createdAt, expiresAt, confirmedAt)
                          VALUES (?, 1, 'ann@example.org', 100, 200, 150);
                        """, arguments: [token, confirm, confirm])
            }
            try await queue.close()
        }
        let store = try Store(path: path)
        let (tag, held, clear) = try await store.read { db in
            (try StoreLedger(db).replyTag(hash: ReplyTag.hash(token)), try StoreLedger(db).heldCommand(token: ReplyTag.hash(confirm)),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM replyToken WHERE tokenHash IN (?, ?)", arguments: [token, confirm]))
        }
        #expect(tag?.action == "referral.owner" && tag?.ref == "R-1" && tag?.memberEmail == "ann@example.org")
        // No tag lives longer than 120 days.
        #expect(tag?.expiresAt == 100 + ReplyTag.maxLifetimeSeconds)
        #expect(tag?.revokedAt == nil)
        #expect(held?.confirmedAt == 150)
        #expect(clear == 0)
        // A confirmation whose command already ran is used up.
        let used = try await store.read { db in try StoreLedger(db).replyTag(hash: ReplyTag.hash(confirm)) }
        #expect(used?.revokedAt == 150)
    }

    @Test("A new tag is stored as its hash only; it dies with its object, its member, or its one use")
    func revocation() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            let ledger = StoreLedger(db)
            let owner = try ledger.makeReplyTag(for: "Ann@Example.org", action: "referral.owner", ref: "R-1", now: 100, expiresAt: 100 + 999 * 86_400)
            #expect(owner.expiresAt == 100 + ReplyTag.maxLifetimeSeconds)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM replyToken WHERE tokenHash = ?", arguments: [owner.token]) == 0)
            let stored = try #require(try ledger.replyTag(hash: owner.hash))
            #expect(stored.token.isEmpty && stored.isLive(at: 200))

            let referrer = try ledger.makeReplyTag(for: "bob@example.org", action: "referral.referrer", ref: "R-1", now: 100, expiresAt: 10_000)
            let other = try ledger.makeReplyTag(for: "ann@example.org", action: "referral.owner", ref: "R-2", now: 100, expiresAt: 10_000)
            try ledger.revokeReplyTags(ref: "R-1", keeping: ["referral.referrer"], at: 300)
            #expect(try ledger.replyTag(hash: owner.hash)?.revokedAt == 300)
            #expect(try ledger.replyTag(hash: referrer.hash)?.revokedAt == nil)
            #expect(try ledger.replyTag(hash: other.hash)?.revokedAt == nil)

            try ledger.revokeReplyTags(memberEmail: "ANN@example.org", at: 400)
            #expect(try ledger.replyTag(hash: other.hash)?.revokedAt == 400)
            #expect(try ledger.replyTag(hash: referrer.hash)?.revokedAt == nil)

            try ledger.revokeReplyTag(hash: referrer.hash, at: 500)
            #expect(try ledger.replyTag(hash: referrer.hash)?.isLive(at: 501) == false)
        }
    }
}
