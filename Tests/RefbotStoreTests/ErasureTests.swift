import Foundation
import GRDB
import RefbotCore
import RefbotStore
import Testing

/// `StoreLedger.erase(email:now:currentMessageID:)`: what goes, what stays.
@Suite("Erasure of a person's data")
struct ErasureTests {
    static let now: Int64 = 1_800_000_000

    /// Ann owns L-1 and follows Ben; Ben referred Carol to L-1 twice: R-1 delivered, R-2 waiting for AGREE.
    func seed(_ db: Database) throws {
        let ledger = StoreLedger(db)
        var ann = Member(
            email: "ann@example.org", name: "Ann Lee", business: "Lee Plumbing", city: "Springfield",
            phone: "555-0111", about: "Pipes", state: .active, joinedAt: 1)
        var ben = Member(email: "ben@example.org", name: "Ben Ode", state: .active, joinedAt: 1)
        try ledger.save(&ann)
        try ledger.save(&ben)
        var listing = Listing(
            ownerId: ann.id ?? 0, title: "Leaky pipes", category: "Home", customer: "Homeowners", reward: .none,
            state: .live, createdAt: 1)
        try ledger.save(&listing)
        _ = try ledger.follow(followerId: ann.id ?? 0, followedId: ben.id ?? 0, now: 1)
        for delivered in [true, false] {
            var referral = Referral(
                listingId: listing.id ?? 0, ownerId: ann.id ?? 0, referrerId: ben.id ?? 0, customerName: "Carol Diaz",
                customerEmail: "carol@diaz.example", customerPhone: "555-0100", need: "New pipes", createdAt: 1,
                deliveredAt: delivered ? 2 : nil)
            try ledger.save(&referral)
        }
        _ = try ledger.makeReplyTag(for: "carol@diaz.example", action: "customer.consent", ref: "R-2", now: 1, expiresAt: Self.now + 100)
        // Mail: a processed REFER naming Carol, one still waiting, the one being acted on, and a
        // pending answer about R-1.
        for (uid, state, id) in [(1, "done", "refer"), (2, "received", "waiting"), (3, "received", "current")] {
            _ = try InboundQueue.insertIfNew(
                InboundMessage(uidValidity: 1, uid: Int64(uid), messageId: id,
                               raw: Data("From: ben@example.org\r\n\r\nREFER L-1\r\nEmail: Carol@Diaz.example\r\n".utf8), receivedAt: 1),
                in: db)
            try db.execute(sql: "UPDATE inboundMessage SET state = ? WHERE uid = ?", arguments: [state, uid])
        }
        _ = try Outbox.enqueue(
            OutboxMessage(event: "referral.updated", ref: "R-1", recipients: ["ben@example.org"], messageId: "m1@example.org",
                          raw: Data("Subject: [R-1] update\r\n\r\nabout your customer".utf8), queuedAt: 1),
            envelopeFrom: { "bot+bounce-\($0)@example.org" }, in: db)
    }

    @Test("A customer: every referral anonymised, an undelivered one withdrawn, her tags and mail gone; rows stay")
    func customer() async throws {
        let (store, _) = try makeStore()
        let erasure = try await store.write { db in
            try seed(db)
            return try StoreLedger(db).erase(email: "Carol@Diaz.Example", now: Self.now, currentMessageID: "current")
        }
        #expect(erasure.memberId == nil)
        #expect(erasure.referralIds == [1, 2])
        #expect(erasure.withdrawnReferralIds == [2])
        #expect(erasure.inboundPurged == 2)
        #expect(erasure.outboundPurged == 1)
        #expect(erasure.lines.contains { $0.contains("R-1, R-2") })
        try await store.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT customerName, customerEmail, customerPhone, need, state FROM referral ORDER BY id")
            #expect(rows.map { $0["customerName"] as String } == ["(erased)", "(erased)"])
            #expect(rows.allSatisfy { ($0["customerEmail"] as String?) == nil && ($0["customerPhone"] as String?) == nil })
            #expect(rows.map { $0["need"] as String } == ["(erased)", "(erased)"])
            #expect(rows.map { $0["state"] as String } == ["pending", "rejected"])
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM replyToken WHERE memberEmail = 'carol@diaz.example'") == 0)
            // The waiting mail is left for the Processor (and retention); the done one and the current one go.
            let sizes = try Int.fetchAll(db, sql: "SELECT length(raw) FROM inboundMessage ORDER BY uid")
            #expect(sizes[0] == 0 && sizes[1] > 0 && sizes[2] == 0)
            // The unsent mail about R-1 is withdrawn.
            let mail = try Row.fetchOne(db, sql: "SELECT state, length(raw) AS size, lastError FROM outboxMessage")
            #expect(mail?["state"] as String? == "failed")
            #expect(mail?["size"] as Int? == 0)
            #expect((mail?["lastError"] as String?)?.contains("erased") == true)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM member") == 2)
        }
    }

    @Test("A member: profile blanked, address replaced, listings closed, follows gone, marked left; referrals keep their ids")
    func member() async throws {
        let (store, _) = try makeStore()
        let erasure = try await store.write { db in
            try seed(db)
            return try StoreLedger(db).erase(email: "ann@example.org", now: Self.now, currentMessageID: nil)
        }
        #expect(erasure.memberId == 1)
        try await store.read { db in
            let ledger = StoreLedger(db)
            #expect(try ledger.member(email: "ann@example.org") == nil)
            let ann = try #require(try ledger.member(id: 1))
            #expect(ann.email == "erased-1@erased.invalid")
            #expect(ann.name == "(erased)")
            #expect([ann.business, ann.city, ann.phone, ann.about, ann.website, ann.category].allSatisfy { $0 == nil })
            #expect(ann.state == .left)
            #expect(try Int64.fetchOne(db, sql: "SELECT erasedAt FROM member WHERE id = 1") == Self.now)
            #expect(try ledger.listing(id: 1)?.state == .closed)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM follow") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM referral WHERE ownerId = 1") == 2)
        }
    }

    @Test("Webhook posts that name the erased person are withdrawn, waiting or delivered; others stay")
    func webhookPosts() async throws {
        let (store, _) = try makeStore()
        let left = try await store.write { db -> [String] in
            try seed(db)
            for (n, body) in [
                "{\"customer\":{\"email\":\"Carol@Diaz.example\"}}", "{\"customer\":{\"name\":\"Carol Diaz\"}}",
                "{\"object\":{\"id\":\"L-1\"}}",
            ].enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO webhookDelivery (deliveryId, eventId, url, event, objectKey, dedupeKey, body, state, createdAt, nextAttemptAt)
                        VALUES (?, ?, 'https://crm.example.org/hook', 'referral.updated', 'referral:R-1', ?, ?, ?, 1, 1)
                        """, arguments: ["d\(n)", "e\(n)", "k\(n)", body, n == 1 ? "delivered" : "pending"])
            }
            _ = try StoreLedger(db).erase(email: "carol@diaz.example", now: Self.now, currentMessageID: nil)
            return try String.fetchAll(db, sql: "SELECT deliveryId FROM webhookDelivery ORDER BY id")
        }
        #expect(left == ["d2"])
    }

    @Test("An address nobody holds erases nothing")
    func nobody() async throws {
        let (store, _) = try makeStore()
        let erasure = try await store.write { db in
            try seed(db)
            return try StoreLedger(db).erase(email: "nobody@example.org", now: Self.now, currentMessageID: nil)
        }
        #expect(erasure.isEmpty)
        #expect(erasure.lines.isEmpty)
    }
}
