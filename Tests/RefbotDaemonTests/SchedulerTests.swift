import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// The Scheduler over real SQLite, moved through time with the ManualClock.
@Suite("Scheduler")
struct SchedulerTests {
    static let day: Int64 = 86_400

    /// A referral delivered to the owner at the clock's current time (14-day expiry, 10-day staleness).
    func delivered(_ world: ReferralWorld, state: ReferralState = .pending) async throws {
        let now = world.clock.now
        try await world.daemon.store.write { db in
            var referral = Referral(
                listingId: world.listingId, ownerId: 1, referrerId: 2, customerName: "Carol Diaz",
                customerEmail: "carol@diaz.example", need: "A kitchen", state: state, createdAt: now, deliveredAt: now,
                acceptedAt: state == .pending ? nil : now)
            try StoreLedger(db).save(&referral)
        }
    }

    func passMails(_ world: ReferralWorld) async throws -> (scheduled: Int, mails: [ParsedMessage]) {
        let before = world.submitter.accepted.count
        let summary = try await world.daemon.runOnce()
        return (summary.scheduled, try world.submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) })
    }

    @Test("A pending referral is reminded once at half-time and expires at the end; the referrer is told")
    func remindThenExpire() async throws {
        let world = try await ReferralWorld()
        try await delivered(world)

        world.clock.advance(by: 7 * Self.day - 60)
        #expect(try await passMails(world).mails.isEmpty)

        world.clock.advance(by: 60)
        let (scheduled, halfTime) = try await passMails(world)
        #expect(scheduled == 1)
        let reminder = try the("referral.reminder", to: ReferralWorld.owner, in: halfTime)
        #expect(reminder.header("Auto-Submitted") == "auto-generated")
        #expect(reminder.header("X-Refbot-Ref") == "R-1")
        #expect(reminder.textBody.contains("mailto:\(try #require(reminder.replyAddress))?subject=ACCEPT&body=ACCEPT"))
        #expect(try await world.referral(1)?.remindedAt == world.clock.now)

        world.clock.advance(by: Self.day)
        #expect(try await passMails(world).mails.isEmpty)

        world.clock.advance(by: 6 * Self.day)
        let (_, end) = try await passMails(world)
        let expired = try the("referral.updated", to: ReferralWorld.referrer, in: end)
        #expect(expired.textBody.contains("has expired"))
        #expect(expired.textBody.contains("REFER L-12"))
        #expect(expired.replyAddress != nil)
        let referral = try #require(try await world.referral(1))
        #expect(referral.state == .expired)
        #expect(referral.closedAt == world.clock.now)

        world.clock.advance(by: 30 * Self.day)
        #expect(try await passMails(world).mails.isEmpty)
    }

    @Test("The owner's reply after the reminder still counts; an answered referral never expires")
    func answeredBeforeExpiry() async throws {
        let world = try await ReferralWorld()
        try await delivered(world)
        world.clock.advance(by: 8 * Self.day)
        let (_, mails) = try await passMails(world)
        let reminder = try the("referral.reminder", to: ReferralWorld.owner, in: mails)
        _ = try await world.send(
            from: ReferralWorld.owner, to: try #require(reminder.replyAddress), subject: "Re", body: "ACCEPT",
            authenticated: false)
        #expect(try await world.referral(1)?.state == .accepted)
        world.clock.advance(by: 7 * Self.day)
        let later = try await passMails(world)
        #expect(!later.mails.contains { $0.event == "referral.updated" })
        #expect(try await world.referral(1)?.state == .accepted)
    }

    @Test("An accepted referral without an update for stale_after_days reminds the owner, then again each period")
    func staleReminder() async throws {
        let world = try await ReferralWorld()
        try await delivered(world, state: .accepted)
        world.clock.advance(by: 10 * Self.day - 1)
        #expect(try await passMails(world).mails.isEmpty)
        world.clock.advance(by: 1)
        let (_, mails) = try await passMails(world)
        let reminder = try the("referral.reminder", to: ReferralWorld.owner, in: mails)
        #expect(reminder.textBody.contains("no update for\n10 days") || reminder.textBody.contains("10 days"))
        #expect(reminder.textBody.contains("subject=CONTACTED&body=CONTACTED"))
        world.clock.advance(by: 5 * Self.day)
        #expect(try await passMails(world).mails.isEmpty)
        world.clock.advance(by: 5 * Self.day)
        #expect(try await passMails(world).mails.map(\.event) == ["referral.reminder"])
    }

    @Test("A referral that never got its agreement expires counted from when it was sent, with no reminder")
    func undeliveredExpires() async throws {
        let world = try await ReferralWorld()
        _ = try await world.refer()
        world.clock.advance(by: 8 * Self.day)
        #expect(try await passMails(world).mails.isEmpty)
        world.clock.advance(by: 6 * Self.day)
        let (_, mails) = try await passMails(world)
        let expired = try the("referral.updated", to: ReferralWorld.referrer, in: mails)
        #expect(expired.textBody.contains("agreement"))
        #expect(try await world.referral(1)?.state == .expired)
    }

    @Test("A listing past its Expires: date leaves the search and its owner is told, once")
    func listingExpiry() async throws {
        let world = try await ReferralWorld()
        let expiresAt = world.clock.now + 3 * Self.day
        try await world.daemon.store.write { db in
            let ledger = StoreLedger(db)
            guard var listing = try ledger.listing(id: world.listingId) else { return }
            listing.expiresAt = expiresAt
            try ledger.save(&listing)
        }
        world.clock.advance(by: 2 * Self.day)
        #expect(try await passMails(world).mails.isEmpty)
        world.clock.advance(by: Self.day + 1)
        let (_, mails) = try await passMails(world)
        let expired = mails.filter { $0.header("X-Refbot-Event") == "listing.expired" }
        #expect(expired.count == 1)
        #expect(expired.first?.to.first?.address == ReferralWorld.owner)
        #expect(expired.first?.subject.hasPrefix("[L-\(world.listingId)]") == true)
        let state = try await world.daemon.store.read { db in try StoreLedger(db).listing(id: world.listingId)?.state }
        #expect(state == .expired)
        world.clock.advance(by: Self.day)
        #expect(try await passMails(world).mails.isEmpty)
    }

    @Test("With network.digest_days set, each member who has not sent STOP gets the dashboard as a digest, once a period")
    func digest() async throws {
        let world = try await ReferralWorld(configure: { $0.network.digestDays = 7 })
        try await world.daemon.store.write { db in
            let ledger = StoreLedger(db)
            guard var owner = try ledger.member(email: ReferralWorld.owner) else { return }
            owner.announcementsOff = true
            try ledger.save(&owner)
        }
        world.clock.advance(by: 7 * Self.day + 1)
        let (_, first) = try await passMails(world)
        let digests = first.filter { $0.header("X-Refbot-Event") == "digest" }
        // Every active member but the owner, who sent STOP.
        #expect(Set(digests.compactMap { $0.to.first?.address }) == [ReferralWorld.referrer, ReferralWorld.stranger])
        #expect(digests.first?.header("Auto-Submitted") == "auto-generated")
        #expect(digests.first?.header("List-Unsubscribe")?.contains("mailto:") == true)
        #expect(digests.first?.textBody.contains("Referrals you sent") == true)
        world.clock.advance(by: Self.day)
        #expect(try await passMails(world).mails.filter { $0.header("X-Refbot-Event") == "digest" }.isEmpty)
        world.clock.advance(by: 7 * Self.day)
        #expect(try await passMails(world).mails.filter { $0.header("X-Refbot-Event") == "digest" }.count == 2)
    }

    @Test("Digests are off by default")
    func digestOff() async throws {
        let world = try await ReferralWorld()
        world.clock.advance(by: 30 * Self.day)
        #expect(try await passMails(world).mails.filter { $0.header("X-Refbot-Event") == "digest" }.isEmpty)
    }
}
