import Foundation
import GRDB
import HTTPTypes
import RefbotCore
import RefbotStore
import Testing

@testable import RefbotDaemon
@testable import RefbotHTTP

@Suite("One-click links of a suspended member")
struct SuspendedLinkTests {
    @Test("A suspended member's link answers 410 on GET and POST and acts on nothing; after resume it works again")
    func suspendedLinksAreDead() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "STOP")
        let page = try await f.request(.get, "/a/\(token)")
        let nonce = try #require(LinkFixture.formNonce(in: page.body))
        let now = f.clock.now
        _ = try await f.daemon.store.write { db in
            try MemberAdmin.suspend(email: LinkFixture.alice, reason: "test", actor: "admin@example.org", now: now, in: db)
        }
        let before = try await f.state()
        #expect(try await f.request(.get, "/a/\(token)").status == 410)
        #expect(try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(nonce))").status == 410)
        #expect(try await f.state() == before, "nothing stored, nothing run")
        #expect(!before.aliceOff)

        _ = try await f.daemon.store.write { db in
            try MemberAdmin.resume(email: LinkFixture.alice, actor: "admin@example.org", now: now, in: db)
        }
        let again = try await f.request(.get, "/a/\(token)")
        #expect(again.status == 200)
        let fresh = try #require(LinkFixture.formNonce(in: again.body))
        #expect(try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(fresh))").status == 200)
        #expect(try await f.state().aliceOff)
    }
}

@Suite("One-click links in the referral history")
struct LinkHistoryTests {
    @Test("A referral accepted with a link is recorded as the owner's change made with a link")
    func linkIsRecorded() async throws {
        let f = try await LinkFixture()
        let now = f.clock.now
        let tag = try await f.daemon.store.write { db -> String in
            let ledger = StoreLedger(db)
            guard var alice = try ledger.member(email: LinkFixture.alice), let bob = try ledger.member(email: LinkFixture.bob)
            else { return "" }
            alice.credits = 5
            try ledger.save(&alice)
            var listing = Listing(
                ownerId: alice.id ?? 0, title: "Boiler repair", category: "Plumbing", customer: "Homeowners", reward: .none,
                state: .live, createdAt: now)
            try ledger.save(&listing)
            var referral = Referral(
                listingId: listing.id ?? 0, ownerId: alice.id ?? 0, referrerId: bob.id ?? 0, customerName: "Cy", need: "a boiler",
                consent: .byReferrer, state: .pending, createdAt: now, deliveredAt: now, updatedAt: now)
            try ledger.save(&referral)
            return try ledger.makeReplyTag(
                for: LinkFixture.alice, action: "referral.owner", ref: "R-\(referral.id ?? 0)", now: now, expiresAt: now + 86_400
            ).token
        }
        let token = f.token(tag: tag, word: "ACCEPT")
        let nonce = try #require(LinkFixture.formNonce(in: try await f.request(.get, "/a/\(token)").body))
        #expect(try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(nonce))").status == 200)
        let events = try await f.daemon.store.read { db in try LedgerHistory.events(ref: "R-1", in: db) }
        let accepted = try #require(events.last)
        #expect(accepted.toState == "accepted", "\(events)")
        #expect(accepted.actor == LinkFixture.alice)
        #expect(accepted.method == .link)
        #expect(accepted.inboundId != nil)
    }
}
