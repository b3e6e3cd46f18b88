import Foundation
import GRDB
import RefbotCore
import RefbotStore
import Testing

/// The reads and writes every command pays for, written as plain cached SQL: they answer what the
/// query-interface versions answered.
@Suite("Per-command reads and inserts answer as before")
struct LedgerReadsTests {
    private static func member(_ email: String, joinedAt: Int64 = 1_790_000_000) -> Member {
        Member(
            email: email, name: email.prefix(while: { $0 != "@" }).capitalized, business: nil, category: nil, city: nil,
            website: nil, phone: nil, about: nil, state: .active, announcementsOff: false, credits: 0, points: 0,
            bounceCount: 0, joinedAt: joinedAt, confirmedAt: joinedAt, leftAt: nil)
    }

    private static func referral(
        listing: Listing, referrer: Member, name: String, email: String?, createdAt: Int64
    ) -> Referral {
        Referral(
            listingId: listing.id!, ownerId: listing.ownerId, referrerId: referrer.id!, customerName: name,
            customerEmail: email, customerPhone: nil, need: "A kitchen", consent: .byReferrer, state: .pending,
            createdAt: createdAt)
    }

    @Test("a customer already referred is found by email, or by name (case and spaces aside) when there is no email, newest first and only since the given time")
    func recentReferralMatches() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            let ledger = StoreLedger(db)
            var owner = Self.member("owner@example.com")
            var referrer = Self.member("ref@example.com")
            try ledger.save(&owner)
            try ledger.save(&referrer)
            var listing = Listing(
                ownerId: owner.id!, title: "Kitchens", category: "Home", location: "Leeds", customer: "Homeowners",
                reward: .perLead(Money(amountMinor: 1_000, currency: "GBP")), terms: .standard, state: .live,
                featuredUntil: nil, expiresAt: nil, createdAt: 1_790_000_000, updatedAt: 1_790_000_000, declineReason: nil)
            try ledger.save(&listing)
            var older = Self.referral(listing: listing, referrer: referrer, name: "Bo Park", email: "bo@example.com", createdAt: 1_790_000_100)
            var newer = Self.referral(listing: listing, referrer: referrer, name: "Bo Park", email: "bo@example.com", createdAt: 1_790_000_200)
            var byName = Self.referral(listing: listing, referrer: referrer, name: "  Cy Lee ", email: nil, createdAt: 1_790_000_300)
            try ledger.save(&older)
            try ledger.save(&newer)
            try ledger.save(&byName)
            #expect(older.id != nil && newer.id != nil && byName.id != nil)
            #expect(Set([older.id, newer.id, byName.id]).count == 3)

            let found = try ledger.recentReferral(
                listingId: listing.id!, customerEmail: "Bo@Example.com", customerName: "", since: 1_790_000_000)
            #expect(found?.id == newer.id)
            #expect(found == newer, "the whole row comes back, every column in its place")
            #expect(
                try ledger.recentReferral(
                    listingId: listing.id!, customerEmail: "bo@example.com", customerName: "", since: 1_790_000_201) == nil)
            #expect(
                try ledger.recentReferral(
                    listingId: listing.id! + 1, customerEmail: "bo@example.com", customerName: "", since: 0) == nil)
            let named = try ledger.recentReferral(listingId: listing.id!, customerEmail: nil, customerName: "cy lee", since: 0)
            #expect(named?.id == byName.id)
            #expect(named == byName)
            #expect(try ledger.recentReferral(listingId: listing.id!, customerEmail: nil, customerName: "Cy", since: 0) == nil)

            #expect(try ledger.referralCount(by: referrer.id!, since: 1_790_000_150) == 2)
            #expect(try ledger.referralCount(by: referrer.id!, since: 0) == 3)
            #expect(try ledger.referralCount(by: owner.id!, since: 0) == 0)

            var agreement = Agreement(
                listingId: listing.id!, ownerId: owner.id!, referrerId: referrer.id!, version: "v1",
                sha256: String(repeating: "ab", count: 32), ownerAgreedAt: 1_790_000_000, referrerAgreedAt: 1_790_000_400,
                referrerMethod: .reply)
            try ledger.save(&agreement)
            let sha = String(repeating: "AB", count: 32)
            #expect(try ledger.agreement(listingId: listing.id!, referrerId: referrer.id!, version: "v1", sha256: sha)?.id == agreement.id)
            #expect(try ledger.agreement(listingId: listing.id!, referrerId: referrer.id!, version: "v2", sha256: sha) == nil)
            #expect(try ledger.agreement(listingId: listing.id!, referrerId: owner.id!, version: "v1", sha256: sha) == nil)
        }
    }

    @Test("members(ids:) answers each stored id once, in one read, and leaves out ids with no member")
    func membersByIds() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            let ledger = StoreLedger(db)
            var ann = Self.member("ann@example.com")
            var bo = Self.member("bo@example.com")
            try ledger.save(&ann)
            try ledger.save(&bo)
            let found = try ledger.members(ids: [bo.id!, ann.id!, bo.id!, 9_999])
            #expect(found.count == 2)
            #expect(found[ann.id!] == ann)
            #expect(found[bo.id!] == bo)
            #expect(try ledger.members(ids: []).isEmpty)
        }
    }

    @Test("stoppedBounceCount(email:) gives the count only for a member whose mail is stopped for bouncing")
    func stoppedBounceCount() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            let ledger = StoreLedger(db)
            var stopped = Self.member("stopped@example.com")
            stopped.bounceCount = 4
            stopped.bounceStoppedAt = 1_790_000_500
            var bouncing = Self.member("bouncing@example.com")
            bouncing.bounceCount = 2
            try ledger.save(&stopped)
            try ledger.save(&bouncing)
            #expect(try ledger.stoppedBounceCount(email: "Stopped@Example.com") == 4)
            #expect(stopped.isBouncing(limit: 3))
            #expect(try ledger.stoppedBounceCount(email: "bouncing@example.com") == nil)
            #expect(!bouncing.isBouncing(limit: 3))
            #expect(try ledger.stoppedBounceCount(email: "nobody@example.com") == nil)
        }
    }

    @Test("a new record gets the id SQLite gave it; one made with an id that is not stored is inserted under that id")
    func insertsKeepIds() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            let ledger = StoreLedger(db)
            var first = Self.member("first@example.com")
            try ledger.save(&first)
            var second = Self.member("second@example.com")
            try ledger.save(&second)
            #expect(second.id == first.id! + 1)
            var chosen = Self.member("chosen@example.com")
            chosen.id = 500
            try ledger.save(&chosen)
            #expect(chosen.id == 500)
            #expect(try ledger.member(id: 500)?.email == "chosen@example.com")
            #expect(try ledger.member(email: "second@example.com")?.id == second.id)
        }
    }
}
