import Foundation
import GRDB
import RefbotCore
@testable import RefbotStore
import Testing

/// The member, listing and referral reads every command makes take their columns by position;
/// every other query's rows are read by column name. Both must give back exactly what was saved.
@Suite("Members, listings and referrals read by position and by name")
struct OrderedColumnsTests {
    /// A member with every column set, each to a value no other column holds.
    private static func fullMember() -> Member {
        var member = Member(
            email: "Full.Member@Example.com", name: "Fay Full", business: "Full Kitchens", category: "Home",
            city: "Leeds", website: "https://full.example.com", phone: "+44 113 000 0001", about: "Kitchens since 1999",
            state: .left, announcementsOff: true, credits: 17, points: 23, bounceCount: 2,
            joinedAt: 1_790_000_001, confirmedAt: 1_790_000_002, leftAt: 1_790_000_003)
        member.bounceStoppedAt = 1_790_000_004
        member.suspendedAt = 1_790_000_005
        member.suspendReason = "Asked to pause"
        member.recognitionOff = true
        return member
    }

    /// A listing with every column set, each to a value no other column holds.
    private static func fullListing(ownerId: Int64) -> Listing {
        var listing = Listing(
            ownerId: ownerId, title: "Garden design", category: "Gardens", location: "Hillcrest",
            customer: "New homeowners", reward: .perLead(Money(amountMinor: 2_500, currency: "EUR")),
            terms: .custom("Paid within 30 days"), state: .live, featuredUntil: 1_790_000_010,
            expiresAt: 1_790_900_000, createdAt: 1_790_000_011, updatedAt: 1_790_000_012, declineReason: "none given")
        listing.compliance = ListingCompliance(
            profession: "surveyor", jurisdiction: "GB", heldBy: "admin@example.com", disclosure: "We are paid",
            overrideReason: "Checked by hand", overrideBy: "root@example.com", overrideAt: 1_790_000_013)
        return listing
    }

    /// Runs `body` in a write transaction of a fresh store holding ``fullMember()`` as saved (and its id).
    private func withSavedMember(
        _ body: @escaping @Sendable (Database, StoreLedger, Member, Int64) throws -> Void
    ) async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await store.write { db in
            let ledger = StoreLedger(db)
            var member = Self.fullMember()
            try ledger.save(&member)
            try body(db, ledger, member, try #require(member.id))
        }
    }

    @Test("a member read by id, by address and among several ids is the member saved, column for column, and the same as a read by name")
    func memberRoundTrip() async throws {
        try await withSavedMember { db, ledger, member, id in
            let byName = try #require(try Member.fetchOne(db, sql: "SELECT * FROM member WHERE id = ?", arguments: [id]))
            #expect(byName == member)
            #expect(try ledger.member(id: id) == member)
            #expect(try ledger.member(email: "full.member@example.com") == member)
            #expect(try ledger.members(ids: [id, id + 99]) == [id: member])
            #expect(try ledger.member(id: id + 99) == nil)
            #expect(try ledger.member(email: "nobody@example.com") == nil)
        }
    }

    @Test("a listing read by id and by SEARCH is the listing saved, column for column, and the same as a read by name")
    func listingRoundTrip() async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await store.write { db in
            let ledger = StoreLedger(db)
            var owner = Member(email: "owner@example.com", name: "Owen", state: .active, joinedAt: 1_790_000_000)
            try ledger.save(&owner)
            var listing = Self.fullListing(ownerId: try #require(owner.id))
            try ledger.save(&listing)
            let id = try #require(listing.id)
            let byName = try #require(try Listing.fetchOne(db, sql: "SELECT * FROM listing WHERE id = ?", arguments: [id]))
            #expect(byName == listing)
            #expect(try ledger.listing(id: id) == listing)

            let everything = try ledger.searchListings(ListingQuery(), now: 1_790_000_100, limit: 10)
            #expect(everything.map(\.listing) == [listing])
            #expect(everything.first?.matchScore == nil)
            let matched = try ledger.searchListings(ListingQuery(words: ["garden"]), now: 1_790_000_100, limit: 10)
            #expect(matched.map(\.listing) == [listing])
            #expect(matched.first?.matchScore != nil, "the score is read from the column after the listing's")
        }
    }

    @Test("a referral read by id is the referral saved, column for column, and the same as a read by name and from a join")
    func referralRoundTrip() async throws {
        let (store, directory) = try makeStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await store.write { db in
            let ledger = StoreLedger(db)
            var owner = Member(email: "owner@example.com", name: "Owen", state: .active, joinedAt: 1_790_000_000)
            var referrer = Member(email: "referrer@example.com", name: "Rita", state: .active, joinedAt: 1_790_000_000)
            try ledger.save(&owner)
            try ledger.save(&referrer)
            var listing = Self.fullListing(ownerId: try #require(owner.id))
            try ledger.save(&listing)
            // Every column set, each to a value no other column of its type holds.
            var referral = Referral(
                listingId: try #require(listing.id), ownerId: try #require(owner.id), referrerId: try #require(referrer.id),
                customerName: "Cara Customer", customerEmail: "cara@example.net", customerPhone: "+44 113 000 0002",
                need: "A new kitchen", consent: .granted, state: .won, createdAt: 1_790_000_020,
                deliveredAt: 1_790_000_021, updatedAt: 1_790_000_022, remindedAt: 1_790_000_023, acceptedAt: 1_790_000_024,
                closedAt: 1_790_000_025, rewardOwed: Money(amountMinor: 1_500, currency: "EUR"), inKindOwed: "A dinner",
                rewardPaid: Money(amountMinor: 700, currency: "GBP"), wonAmount: Money(amountMinor: 90_000, currency: "USD"),
                rejectReason: "not rejected", lostReason: "not lost", disputeReason: "settled", disputedAt: 1_790_000_026,
                selfReferralFlag: true)
            try ledger.save(&referral)
            let id = try #require(referral.id)
            let byName = try #require(try Referral.fetchOne(db, sql: "SELECT * FROM referral WHERE id = ?", arguments: [id]))
            #expect(byName == referral)
            #expect(try ledger.referral(id: id) == referral)
            #expect(try ledger.referral(id: id + 99) == nil)
            // A join that puts other tables' `id` columns after the referral's: the referral's is read.
            let joined = try #require(
                try Row.fetchOne(
                    db,
                    sql: """
                        SELECT referral.*, listing.*, member.id, member.email FROM referral
                        JOIN listing ON listing.id = referral.listingId JOIN member ON member.id = referral.referrerId
                        WHERE referral.id = ?
                        """, arguments: [id]))
            #expect(try Referral(row: joined) == referral)
            let reversed = Referral.orderedColumns.reversed().joined(separator: ", ")
            let row = try #require(try Row.fetchOne(db, sql: "SELECT \(reversed) FROM referral WHERE id = ?", arguments: [id]))
            #expect(try Referral(row: row) == referral)
            let short = try #require(try Row.fetchOne(db, sql: "SELECT id, state FROM referral WHERE id = ?", arguments: [id]))
            #expect(throws: DatabaseError.self) { try Referral(row: short) }
        }
    }

    @Test("read by name, the columns may come in any order; a row without one of them is an error, not a crash")
    func byNameInAnyOrder() async throws {
        try await withSavedMember { db, ledger, member, id in
            let reversed = Member.orderedColumns.reversed().joined(separator: ", ")
            let row = try #require(try Row.fetchOne(db, sql: "SELECT \(reversed) FROM member WHERE id = ?", arguments: [id]))
            #expect(try Member(row: row) == member)

            let short = try #require(try Row.fetchOne(db, sql: "SELECT id, email FROM member WHERE id = ?", arguments: [id]))
            #expect(throws: DatabaseError.self) { try Member(row: short) }
            let shortListing = try #require(try Row.fetchOne(db, sql: "SELECT 1 AS id"))
            #expect(throws: DatabaseError.self) { try Listing(row: shortListing) }
        }
    }
}
