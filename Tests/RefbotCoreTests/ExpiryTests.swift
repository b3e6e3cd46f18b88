import RefbotCore
import Testing

private let day: Int64 = 86_400
private let t0: Int64 = 1_800_000_000
private let settings = NetworkSettings()  // 14-day expiry, 10-day staleness

private func pending(deliveredAt: Int64? = t0, remindedAt: Int64? = nil) -> Referral {
    Referral(
        id: 1, listingId: 1, ownerId: 1, referrerId: 2, customerName: "Carol Diaz", need: "a kitchen",
        state: .pending, createdAt: t0, deliveredAt: deliveredAt, remindedAt: remindedAt)
}

@Suite("Expiry and reminders")
struct ExpiryTests {
    @Test(
        "a delivered pending referral is reminded at half-time and expires at the end",
        arguments: [
            (Int64(0), Expiry.ReferralDecision.none),
            (7 * day - 1, .none),
            (7 * day, .remindOwner),
            (13 * day, .remindOwner),
            (14 * day - 1, .remindOwner),
            (14 * day, .expire),
            (40 * day, .expire),
        ])
    func pendingTimeline(elapsed: Int64, expected: Expiry.ReferralDecision) {
        #expect(Expiry.decide(pending(), now: t0 + elapsed, settings: settings) == expected)
    }

    @Test("the half-time reminder comes once")
    func remindOnce() {
        let reminded = pending(remindedAt: t0 + 7 * day)
        #expect(Expiry.decide(reminded, now: t0 + 8 * day, settings: settings) == .none)
        #expect(Expiry.decide(reminded, now: t0 + 14 * day, settings: settings) == .expire)
    }

    @Test("a reminder from before delivery does not count for this wait")
    func oldReminderIgnored() {
        let referral = pending(deliveredAt: t0 + 2 * day, remindedAt: t0 + day)
        #expect(Expiry.decide(referral, now: t0 + 9 * day, settings: settings) == .remindOwner)
    }

    @Test("expiry counts from delivery, not from REFER")
    func countsFromDelivery() {
        let referral = pending(deliveredAt: t0 + 3 * day)
        #expect(Expiry.decide(referral, now: t0 + 15 * day, settings: settings) == .remindOwner)
        #expect(Expiry.decide(referral, now: t0 + 17 * day, settings: settings) == .expire)
        #expect(Expiry.expiryTime(of: referral, settings: settings) == t0 + 17 * day)
    }

    @Test("a referral waiting for AGREE is never reminded but expires counted from REFER")
    func awaitingAgreement() {
        let referral = pending(deliveredAt: nil)
        #expect(Expiry.decide(referral, now: t0 + 10 * day, settings: settings) == .none)
        #expect(Expiry.decide(referral, now: t0 + 14 * day, settings: settings) == .expire)
    }

    @Test("an odd number of expiry days reminds at the exact half")
    func oddDays() {
        let fifteen = NetworkSettings(referralExpiryDays: 15)
        #expect(Expiry.decide(pending(), now: t0 + 7 * day + day / 2 - 1, settings: fifteen) == .none)
        #expect(Expiry.decide(pending(), now: t0 + 7 * day + day / 2, settings: fifteen) == .remindOwner)
    }

    @Test("zero expiry days turns expiry off")
    func expiryOff() {
        let off = NetworkSettings(referralExpiryDays: 0)
        #expect(Expiry.decide(pending(), now: t0 + 365 * day, settings: off) == .none)
        #expect(Expiry.expiryTime(of: pending(), settings: off) == nil)
    }

    @Test("an accepted, contacted or won referral with no update for stale_after_days is reminded",
          arguments: [ReferralState.accepted, .contacted, .won])
    func stale(state: ReferralState) {
        var referral = pending()
        referral.state = state
        referral.updatedAt = t0 + 2 * day
        #expect(Expiry.decide(referral, now: t0 + 12 * day - 1, settings: settings) == .none)
        #expect(Expiry.decide(referral, now: t0 + 12 * day, settings: settings) == .remindOwner)
    }

    @Test("after a stale reminder the next comes a full period later, and an update restarts the clock")
    func staleRepeats() {
        var referral = pending()
        referral.state = .accepted
        referral.updatedAt = t0
        referral.remindedAt = t0 + 10 * day
        #expect(Expiry.decide(referral, now: t0 + 19 * day, settings: settings) == .none)
        #expect(Expiry.decide(referral, now: t0 + 20 * day, settings: settings) == .remindOwner)
        referral.updatedAt = t0 + 15 * day
        #expect(Expiry.decide(referral, now: t0 + 24 * day, settings: settings) == .none)
    }

    @Test("finished and waiting-on-referrer states are left alone",
          arguments: [ReferralState.lost, .paid, .closed, .rejected, .expired])
    func leftAlone(state: ReferralState) {
        var referral = pending()
        referral.state = state
        #expect(Expiry.decide(referral, now: t0 + 400 * day, settings: settings) == .none)
    }

    @Test("a pending or live listing expires when expiresAt passes; others are left alone")
    func listings() {
        var listing = Listing(
            id: 1, ownerId: 1, title: "Kitchens", category: "Home", customer: "Homeowners", reward: .none,
            state: .live, expiresAt: t0 + day, createdAt: t0)
        #expect(Expiry.decide(listing, now: t0 + day - 1) == .none)
        #expect(Expiry.decide(listing, now: t0 + day) == .expire)
        listing.state = .pending
        #expect(Expiry.decide(listing, now: t0 + day) == .expire)
        listing.state = .closed
        #expect(Expiry.decide(listing, now: t0 + day) == .none)
        listing.state = .live
        listing.expiresAt = nil
        #expect(Expiry.decide(listing, now: t0 + 1_000 * day) == .none)
    }
}
