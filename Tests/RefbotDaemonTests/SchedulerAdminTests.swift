import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// What the Scheduler does for the admin tools: it leaves suspended members out of digests and
/// records its own referral changes in the history.
@Suite("Scheduler and the admin tools")
struct SchedulerAdminTests {
    static let day: Int64 = 86_400

    func passMails(_ world: ReferralWorld) async throws -> [ParsedMessage] {
        let before = world.submitter.accepted.count
        _ = try await world.daemon.runOnce()
        return try world.submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
    }

    @Test("A suspended member gets no digest; after resume they do")
    func noDigestWhileSuspended() async throws {
        let world = try await ReferralWorld(configure: { $0.network.digestDays = 7 })
        _ = try await world.daemon.store.write { db in
            try MemberAdmin.suspend(email: ReferralWorld.stranger, reason: nil, actor: "admin", now: 1, in: db)
        }
        world.clock.advance(by: 7 * Self.day + 1)
        let first = try await passMails(world).filter { $0.header("X-Refbot-Event") == "digest" }
        #expect(Set(first.compactMap { $0.to.first?.address }) == [ReferralWorld.referrer, ReferralWorld.owner])
        _ = try await world.daemon.store.write { db in
            try MemberAdmin.resume(email: ReferralWorld.stranger, actor: "admin", now: 2, in: db)
        }
        world.clock.advance(by: Self.day)
        let second = try await passMails(world).filter { $0.header("X-Refbot-Event") == "digest" }
        #expect(second.compactMap { $0.to.first?.address } == [ReferralWorld.stranger])
    }

    @Test("A referral the Scheduler expires is recorded as a change made on schedule")
    func expiryIsStamped() async throws {
        let world = try await ReferralWorld()
        let now = world.clock.now
        try await world.daemon.store.write { db in
            var referral = Referral(
                listingId: world.listingId, ownerId: 1, referrerId: 2, customerName: "Carol Diaz",
                customerEmail: "carol@diaz.example", need: "A kitchen", state: .pending, createdAt: now, deliveredAt: now)
            try StoreLedger(db).save(&referral)
            try LedgerHistory.stamp(actor: ReferralWorld.referrer, method: .mail, inboundId: nil, after: 0, in: db)
        }
        world.clock.advance(by: 14 * Self.day + 1)
        _ = try await passMails(world)
        #expect(try await world.referral(1)?.state == .expired)
        let last = try await world.daemon.store.read { db in try LedgerHistory.events(ref: "R-1", in: db).last }
        #expect(last?.toState == "expired")
        #expect(last?.method == .schedule)
        #expect(last?.actor == "referrals@example.org")
    }
}
