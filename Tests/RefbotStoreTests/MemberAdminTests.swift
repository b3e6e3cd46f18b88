import Foundation
import GRDB
import RefbotCore
import RefbotStore
import Testing

/// "v13: member admin": suspension, change of address, bounce decay, the referral history and
/// requeueing quarantined mail, on a real SQLite file.
@Suite("Member admin in the store")
struct MemberAdminTests {
    static let day: Int64 = 86_400

    func member(_ email: String, in store: Store, bounces: Int = 0) async throws -> Member {
        try await store.write { db in
            var member = Member(email: email, name: "M", state: .active, credits: 4, bounceCount: bounces, joinedAt: 1)
            try StoreLedger(db).save(&member)
            return member
        }
    }

    @Test("Suspended members get no announcements and their live listings leave search; resume brings both back")
    func suspensionHides() async throws {
        let (store, _) = try makeStore()
        let ann = try await member("ann@example.org", in: store)
        _ = try await member("bob@example.org", in: store)
        try await store.write { db in
            var listing = Listing(
                ownerId: ann.id ?? 0, title: "Boiler repair", category: "Plumbing", customer: "Homeowners", reward: .none,
                state: .live, createdAt: 1)
            try StoreLedger(db).save(&listing)
        }
        func visible() async throws -> (receivers: [String], found: Int) {
            try await store.read { db in
                let ledger = StoreLedger(db)
                return (try ledger.membersReceivingAnnouncements().map(\.email),
                        try ledger.searchListings(ListingQuery(words: ["boiler"]), now: 10, limit: 10).count)
            }
        }
        #expect(try await visible() == (["ann@example.org", "bob@example.org"], 1))
        _ = try await store.write { db in try MemberAdmin.suspend(email: "ann@example.org", reason: nil, actor: "a", now: 5, in: db) }
        #expect(try await visible() == (["bob@example.org"], 0))
        _ = try await store.write { db in try MemberAdmin.resume(email: "ann@example.org", actor: "a", now: 6, in: db) }
        #expect(try await visible() == (["ann@example.org", "bob@example.org"], 1))
    }

    @Test("A bounce count resets after mail.bounce_reset_days without bounces; recent bounces, stopped members, unrecorded counts and 0 days stay")
    func bounceDecay() async throws {
        let (store, _) = try makeStore()
        _ = try await member("old@example.org", in: store, bounces: 2)
        _ = try await member("recent@example.org", in: store, bounces: 2)
        _ = try await member("stopped@example.org", in: store, bounces: 4)
        _ = try await member("unrecorded@example.org", in: store, bounces: 1)
        let now: Int64 = 100 * Self.day
        try await store.write { db in
            try BounceLog.record(outboxId: nil, recipient: "old@example.org", status: "5.1.1", inboundId: nil, now: now - 31 * Self.day, in: db)
            try BounceLog.record(outboxId: nil, recipient: "recent@example.org", status: "5.1.1", inboundId: nil, now: now - 29 * Self.day, in: db)
            try BounceLog.record(outboxId: nil, recipient: "stopped@example.org", status: "5.1.1", inboundId: nil, now: now - 60 * Self.day, in: db)
            try db.execute(sql: "UPDATE member SET bounceStoppedAt = 1 WHERE email = 'stopped@example.org'")
        }
        #expect(try await store.write { db in try MemberAdmin.decayBounces(days: 0, now: now, in: db) } == [])
        let reset = try await store.write { db in try MemberAdmin.decayBounces(days: 30, now: now, in: db) }
        #expect(reset == ["old@example.org"])
        let counts = try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT email, bounceCount FROM member ORDER BY email").map { "\($0["email"] as String)=\($0["bounceCount"] as Int)" }
        }
        #expect(counts == ["old@example.org=0", "recent@example.org=2", "stopped@example.org=4", "unrecorded@example.org=1"])
    }

    @Test("Changing an address keeps the row, revokes the old address's tags, and refuses an address another member has")
    func changeAddress() async throws {
        let (store, _) = try makeStore()
        let ann = try await member("ann@example.org", in: store, bounces: 2)
        _ = try await member("bob@example.org", in: store)
        let tag = try await store.write { db in
            try StoreLedger(db).makeReplyTag(for: "ann@example.org", action: "referral.owner", ref: "R-1", now: 1, expiresAt: 1000)
        }
        #expect(throws: MemberAdmin.Refusal.self) {
            try store.writeBlocking { db in _ = try MemberAdmin.changeAddress(email: "ann@example.org", to: "bob@example.org", actor: "a", now: 2, in: db) }
        }
        for bad in ["ann", "ann@host", "a b@example.org", "<x>@example.org", "ann@example.org"] {
            #expect(throws: MemberAdmin.Refusal.self, "\(bad)") {
                try store.writeBlocking { db in _ = try MemberAdmin.changeAddress(email: "ann@example.org", to: bad, actor: "a", now: 2, in: db) }
            }
        }
        let change = try await store.write { db in
            try MemberAdmin.changeAddress(email: "ann@example.org", to: "Ann@New.Example", actor: "a", now: 3, in: db)
        }
        #expect(change.after.id == ann.id && change.after.email == "ann@new.example" && change.after.bounceCount == 0)
        let (stored, revoked) = try await store.read { db in
            (try StoreLedger(db).member(email: "ann@example.org"), try StoreLedger(db).replyTag(hash: tag.hash)?.revokedAt)
        }
        #expect(stored == nil)
        #expect(revoked == 3)
    }

    @Test("Referral changes are written to the history by the schema itself, and stamped with who and how")
    func referralHistory() async throws {
        let (store, _) = try makeStore()
        let ann = try await member("ann@example.org", in: store)
        let bob = try await member("bob@example.org", in: store)
        try await store.write { db in
            let ledger = StoreLedger(db)
            var listing = Listing(
                ownerId: ann.id ?? 0, title: "Boiler repair", category: "Plumbing", customer: "Homeowners", reward: .none,
                state: .live, createdAt: 1)
            try ledger.save(&listing)
            var referral = Referral(
                listingId: listing.id ?? 0, ownerId: ann.id ?? 0, referrerId: bob.id ?? 0, customerName: "Cy", need: "a boiler",
                consent: .byReferrer, state: .pending, createdAt: 10, updatedAt: 10)
            try ledger.save(&referral)
            try LedgerHistory.stamp(actor: "bob@example.org", method: .mail, inboundId: nil, after: 0, in: db)
            let mark = try LedgerHistory.mark(in: db)
            referral.state = .accepted
            referral.updatedAt = 20
            try ledger.save(&referral)
            referral.updatedAt = 21
            try ledger.save(&referral)  // saved again, state unchanged: no new row
            try LedgerHistory.stamp(actor: "ann@example.org", method: .link, inboundId: nil, after: mark, in: db)
        }
        let events = try await store.read { db in try LedgerHistory.events(ref: "R-1", in: db) }
        #expect(events.map(\.action) == ["created", "state"])
        #expect(events.map(\.actor) == ["bob@example.org", "ann@example.org"])
        #expect(events.map(\.method) == [.mail, .link])
        #expect(events.last?.fromState == "pending" && events.last?.toState == "accepted" && events.last?.at == 20)
    }

    @Test("A quarantined mail is requeued once: attempts reset, and a second requeue is refused")
    func requeueOnce() async throws {
        let (store, _) = try makeStore()
        let id = try await store.write { db -> Int64 in
            guard case .inserted(let id) = try InboundQueue.insertIfNew(inbound(uid: 1), in: db) else { return 0 }
            try InboundQueue.recordFailure(id, error: "boom", quarantineAt: 1, now: 5, in: db)
            return id
        }
        #expect(try await store.write { db in try Quarantine.requeue(id, now: 7, in: db) } == .requeued)
        let row = try await store.read { db in try InboundQueue.find(id, in: db) }
        #expect(row?.state == .received && row?.attempts == 0)
        #expect(try await store.write { db in try Quarantine.requeue(id, now: 8, in: db) } == .notQuarantined(state: "received"))
        try await store.write { db in _ = try InboundQueue.recordFailure(id, error: "boom again", quarantineAt: 1, now: 9, in: db) }
        #expect(try await store.write { db in try Quarantine.requeue(id, now: 10, in: db) } == .requeuedBefore(at: 7))
        #expect(try await store.write { db in try Quarantine.requeue(999, now: 10, in: db) } == .noSuchMail)
    }
}

extension MemberAdminTests {
    @Test("Erasing a member whose address an admin changed leaves neither address in the history, the outbox or the tags")
    func erasureAfterAddressChange() async throws {
        let (store, _) = try makeStore()
        _ = try await member("ann@example.org", in: store)
        try await store.write { db in
            _ = try StoreLedger(db).makeReplyTag(for: "ann@example.org", action: "unsubscribe", ref: nil, now: 1, expiresAt: 99)
            _ = try MemberAdmin.suspend(email: "ann@example.org", reason: "Ann Lee spammed", actor: "admin@example.org (as root)", now: 2, in: db)
            _ = try MemberAdmin.changeAddress(email: "ann@example.org", to: "ann@new.example", actor: "admin@example.org (as root)", now: 3, in: db)
            var row = outbox("member.address.changed", at: 3)
            row.recipients = "ann@example.org"
            try Outbox.enqueue(row, envelopeFrom: { _ in "" }, in: db)
            try LedgerHistory.record(ref: "R-9", action: "state", at: 4, actor: "ann@example.org", method: .mail, detail: nil, in: db)
            _ = try StoreLedger(db).erase(email: "ann@new.example", now: 5, currentMessageID: nil)
        }
        let leftovers = try await store.read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT coalesce(actor, '') || ' ' || coalesce(detail, '') FROM ledgerEvent
                    UNION ALL SELECT recipients FROM outboxMessage
                    UNION ALL SELECT memberEmail FROM replyToken
                    UNION ALL SELECT coalesce(suspendReason, '') FROM member
                    """)
        }
        #expect(!leftovers.contains { $0.contains("ann@") || $0.contains("Ann Lee") }, "\(leftovers)")
        let pending = try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE state = 'pending'") }
        #expect(pending == 0, "mail to the old address is withdrawn")
    }
}

extension MemberAdminTests {
    @Test("A change left without an author is never stamped with the author of a later transaction")
    func stampOnlyOwnTransaction() async throws {
        let (store, _) = try makeStore()
        let ann = try await member("ann@example.org", in: store)
        let bob = try await member("bob@example.org", in: store)
        try await store.write { db in
            var listing = Listing(
                ownerId: ann.id ?? 0, title: "Boiler repair", category: "Plumbing", customer: "Homeowners", reward: .none,
                state: .live, createdAt: 1)
            try StoreLedger(db).save(&listing)
            // A path that records no author (a raw SQL fix, say).
            var referral = Referral(
                listingId: listing.id ?? 0, ownerId: ann.id ?? 0, referrerId: bob.id ?? 0, customerName: "Cy", need: "a boiler",
                consent: .byReferrer, state: .pending, createdAt: 10, updatedAt: 10)
            try StoreLedger(db).save(&referral)
        }
        try await store.write { db in
            let mark = try LedgerHistory.mark(in: db)
            guard var referral = try StoreLedger(db).referral(id: 1) else { return }
            referral.state = .accepted
            referral.updatedAt = 20
            try StoreLedger(db).save(&referral)
            try LedgerHistory.stamp(actor: "ann@example.org", method: .mail, inboundId: nil, after: mark, in: db)
        }
        let events = try await store.read { db in try LedgerHistory.events(ref: "R-1", in: db) }
        #expect(events.map(\.actor) == [nil, "ann@example.org"])
    }
}
