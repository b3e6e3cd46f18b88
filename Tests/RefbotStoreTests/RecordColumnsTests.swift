import Foundation
import GRDB
import RefbotCore
import RefbotStore
import Testing

/// Members, listings, referrals and the mail queues are read and written column by column, and an
/// existing row is saved with one cached `UPDATE`: what is saved is what is read back, every field.
@Suite("Records keep every field through a save and a read")
struct RecordColumnsTests {
    @Test("a member, a listing and a referral with every field set read back equal after an insert and after an update")
    func everyFieldRoundTrips() async throws {
        let (store, _) = try makeStore()
        let saved = try await store.write { db -> (Member, Listing, Referral) in
            let ledger = StoreLedger(db)
            var member = Member(
                email: "ann@example.com", name: "Ann Lee", business: "Lee Kitchens", category: "Home", city: "Leeds",
                website: "https://lee.example", phone: "+44 113 000", about: "Kitchens & more", state: .active,
                announcementsOff: true, credits: 7, points: 12, bounceCount: 2, joinedAt: 1_790_000_000,
                confirmedAt: 1_790_000_100, leftAt: nil)
            member.bounceStoppedAt = 1_790_000_200
            member.suspendedAt = 1_790_000_300
            member.suspendReason = "checking"
            member.recognitionOff = true
            try ledger.save(&member)
            var listing = Listing(
                ownerId: member.id!, title: "Kitchen remodels", category: "Home", location: "Leeds",
                customer: "Homeowners", reward: .perSale(Money(amountMinor: 25_000, currency: "GBP")),
                terms: .custom("Paid within 30 days"), state: .live, featuredUntil: 1_790_100_000,
                expiresAt: 1_790_200_000, createdAt: 1_790_000_000, updatedAt: 1_790_000_050, declineReason: nil)
            try ledger.save(&listing)
            var referral = Referral(
                listingId: listing.id!, ownerId: member.id!, referrerId: member.id!, customerName: "Bo",
                customerEmail: "bo@example.com", customerPhone: "+44 1", need: "A kitchen", consent: .granted,
                state: .accepted, createdAt: 1_790_000_000, deliveredAt: 1_790_000_010, updatedAt: 1_790_000_020,
                remindedAt: 1_790_000_030, acceptedAt: 1_790_000_040, closedAt: nil,
                rewardOwed: Money(amountMinor: 1_000, currency: "GBP"), inKindOwed: "a bottle",
                rewardPaid: Money(amountMinor: 500, currency: "EUR"), wonAmount: Money(amountMinor: 90_000, currency: "GBP"),
                rejectReason: "r", lostReason: "l", disputeReason: "d", disputedAt: 1_790_000_050, selfReferralFlag: true)
            try ledger.save(&referral)
            return (member, listing, referral)
        }
        func readBack() async throws -> (Member?, Listing?, Referral?) {
            try await store.read { db in
                let ledger = StoreLedger(db)
                return (try ledger.member(id: saved.0.id!), try ledger.listing(id: saved.1.id!), try ledger.referral(id: saved.2.id!))
            }
        }
        var read = try await readBack()
        #expect(read.0 == saved.0)
        #expect(read.1 == saved.1)
        #expect(read.2 == saved.2)

        // Change every field the other way and save again: the update path.
        let changed = try await store.write { db -> (Member, Listing, Referral) in
            let ledger = StoreLedger(db)
            var member = saved.0
            member.name = "Ann Lee-Park"
            member.business = nil
            member.state = .left
            member.announcementsOff = false
            member.credits = 0
            member.leftAt = 1_790_009_000
            member.suspendedAt = nil
            member.suspendReason = nil
            member.recognitionOff = false
            try ledger.save(&member)
            var listing = saved.1
            listing.reward = .percentOfSale(basisPoints: 250)
            listing.terms = .standard
            listing.location = nil
            listing.state = .closed
            listing.updatedAt = 1_790_009_000
            try ledger.save(&listing)
            var referral = saved.2
            referral.rewardPaid = nil
            referral.inKindOwed = nil
            referral.state = .closed
            referral.closedAt = 1_790_009_000
            referral.selfReferralFlag = false
            try ledger.save(&referral)
            return (member, listing, referral)
        }
        read = try await readBack()
        #expect(read.0 == changed.0)
        #expect(read.1 == changed.1)
        #expect(read.2 == changed.2)
        let counts = try await store.read { db in
            try ["member", "listing", "referral"].map { try Int.fetchOne(db, sql: "SELECT count(*) FROM \($0)") ?? -1 }
        }
        #expect(counts == [1, 1, 1], "the second save updated the rows rather than adding new ones")
    }

    @Test("inbound and outbox rows read back equal, state and all")
    func queueRowsRoundTrip() async throws {
        let (store, _) = try makeStore()
        let ids = try await store.write { db -> (Int64, Int64) in
            var row = inbound(uid: 9, messageId: "m9@example.org", raw: "Subject: x\r\n\r\nbody")
            row.lastError = "once"
            row.disposition = "help"
            row.filedFolder = "Processed"
            row.filedUid = 4
            row.quarantineFiled = true
            try row.insert(db)
            let outboxId = try Outbox.enqueue(outbox("help", at: 200), envelopeFrom: { "bot+\($0)@example.org" }, in: db)
            return (row.id!, outboxId)
        }
        let (inboundRow, outboxRow) = try await store.read { db in
            (try InboundMessage.fetchOne(db, key: ids.0), try OutboxMessage.fetchOne(db, key: ids.1))
        }
        #expect(inboundRow?.uid == 9)
        #expect(inboundRow?.messageId == "m9@example.org")
        #expect(inboundRow?.raw == Data("Subject: x\r\n\r\nbody".utf8))
        #expect(inboundRow?.state == .received)
        #expect(inboundRow?.lastError == "once")
        #expect(inboundRow?.disposition == "help")
        #expect(inboundRow?.filedFolder == "Processed")
        #expect(inboundRow?.filedUid == 4)
        #expect(inboundRow?.quarantineFiled == true)
        #expect(outboxRow?.envelopeFrom == "bot+\(ids.1)@example.org")
        #expect(outboxRow?.event == "help")
        #expect(outboxRow?.recipientList == ["alice@example.org"])
        #expect(outboxRow?.state == .pending)
        #expect(outboxRow?.firstQueuedAt == 200)
        #expect(outboxRow?.nextAttemptAt == 200)
        #expect(outboxRow?.raw == Data("mail".utf8))
        #expect(outboxRow?.id == ids.1)
    }
}
