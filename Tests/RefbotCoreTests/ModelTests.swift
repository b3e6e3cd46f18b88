import Foundation
import RefbotCore
import Testing

private func roundTrip<T: Codable & Equatable>(_ value: T) throws -> T {
    try JSONDecoder().decode(T.self, from: JSONEncoder().encode(value))
}

@Suite("Domain models")
struct ModelTests {
    @Test("members are known by a trimmed, lower-cased address")
    func memberEmail() {
        let member = Member(email: "  <Ann.Lee@Example.ORG> ", name: "Ann Lee", joinedAt: 0)
        #expect(member.email == "ann.lee@example.org")
        #expect(member.emailDomain == "example.org")
        #expect(member.state == .pending)
        #expect(Member.normalizedEmail("BOB@X.IO") == "bob@x.io")
    }

    @Test("addresses fold ASCII case only: a KELVIN SIGN or other Unicode case tricks stay other addresses")
    func asciiCaseOnly() {
        #expect(Member.normalizedEmail(" <Kim@Example.TEST> ") == "kim@example.test")
        #expect(Member.normalizedEmail("\u{212A}im@example.test") == "\u{212A}im@example.test")
        #expect(Member.normalizedEmail("\u{212A}IM@EXAMPLE.TEST") == "\u{212A}im@example.test")
        #expect(!Member.sameEmail("\u{212A}im@example.test", "kim@example.test"))
        #expect(!Member.sameEmail("\u{212A}im@example.test", "Kim@example.test"), "canonically equivalent, not the same bytes")
        #expect(Member.normalizedEmail("\u{130}da@x.org") == "\u{130}da@x.org", "no Unicode lower-casing of İ")
        #expect(Member.normalizedEmail("ÄNN@x.org") == "Änn@x.org")
        #expect(Member.sameEmail("ANN@X.ORG", "ann@x.org"))
        #expect(Member(email: "\u{212A}im@x.org", name: "K", joinedAt: 0).email != "kim@x.org")
    }

    @Test("a member gets announcements only while active and not stopped")
    func announcements() {
        var member = Member(email: "a@x.org", name: "A", state: .active, joinedAt: 0)
        #expect(member.receivesAnnouncements)
        member.announcementsOff = true
        #expect(!member.receivesAnnouncements)
        member.announcementsOff = false
        member.state = .left
        #expect(!member.receivesAnnouncements)
    }

    @Test("a member is bouncing only once the probe bounced, whatever the count")
    func bouncing() {
        var member = Member(email: "a@x.org", name: "A", joinedAt: 0)
        member.bounceCount = 3
        #expect(!member.isBouncing(limit: 3), "at the limit a probe goes out; mail goes on")
        member.bounceStoppedAt = 10
        #expect(member.isBouncing(limit: 3))
    }

    @Test("display names add the business when there is one")
    func displayName() {
        #expect(Member(email: "a@x.org", name: "Ann", business: "Lee Plumbing", joinedAt: 0).displayName
            == "Ann (Lee Plumbing)")
        #expect(Member(email: "a@x.org", name: "Ann", joinedAt: 0).displayName == "Ann")
    }

    @Test("every model survives an encode and decode")
    func codable() throws {
        let member = Member(id: 1, email: "a@x.org", name: "Ann", city: "Springfield", state: .active, credits: 9,
                            points: 2, joinedAt: 100, confirmedAt: 120)
        #expect(try roundTrip(member) == member)
        let listing = Listing(
            id: 3, ownerId: 1, title: "Kitchens", category: "Home", location: "Springfield", customer: "Homeowners",
            reward: .percentOfSale(basisPoints: 1_000), terms: .custom("Pay within 30 days."), featuredUntil: 500,
            expiresAt: 900, createdAt: 100)
        #expect(try roundTrip(listing) == listing)
        let referral = Referral(
            id: 12, listingId: 3, ownerId: 1, referrerId: 2, customerName: "Carol Diaz",
            customerEmail: "Carol@Example.com", need: "A kitchen", state: .won, createdAt: 100,
            rewardOwed: Money(amountMinor: 50_000, currency: "USD"),
            wonAmount: Money(amountMinor: 500_000, currency: "USD"), selfReferralFlag: true)
        #expect(referral.customerEmail == "carol@example.com")
        #expect(try roundTrip(referral) == referral)
        let connection = Connection(id: 7, requesterId: 1, addresseeId: 2, message: "Hi", createdAt: 100)
        #expect(try roundTrip(connection) == connection)
        let agreement = Agreement(
            id: 1, listingId: 3, ownerId: 1, referrerId: 2, version: "1", sha256: String(repeating: "AB", count: 32),
            ownerAgreedAt: 100, referrerAgreedAt: 200, referrerMethod: .reply, evidenceId: "ev-t", messageId: "m@x",
            authVerdict: "dmarc=pass")
        #expect(try roundTrip(agreement) == agreement)
        let follow = Follow(id: 1, followerId: 2, followedId: 1, createdAt: 100)
        #expect(try roundTrip(follow) == follow)
        #expect(try roundTrip(NetworkSettings()) == NetworkSettings())
    }

    @Test("ids print as references once stored")
    func refs() {
        let listing = Listing(id: 3, ownerId: 1, title: "T", category: "C", customer: "X", reward: .none, createdAt: 0)
        #expect(listing.listingID?.description == "L-3")
        let referral = Referral(listingId: 3, ownerId: 1, referrerId: 2, customerName: "C", need: "N", createdAt: 0)
        #expect(referral.referralID == nil)
        #expect(Connection(id: 7, requesterId: 1, addresseeId: 2, createdAt: 0).connectionID?.description == "C-7")
    }

    @Test("a referral knows each member's role on it")
    func roles() {
        let referral = Referral(listingId: 3, ownerId: 1, referrerId: 2, customerName: "C", need: "N", createdAt: 0)
        #expect(referral.role(of: 1) == .owner)
        #expect(referral.role(of: 2) == .referrer)
        #expect(referral.role(of: 3) == nil)
    }

    @Test(
        "a customer on the referrer's own non-free-mail domain is flagged",
        arguments: [
            ("carol@acme.com", "bob@acme.com", true),
            ("carol@ACME.com", "bob@acme.com", true),
            ("carol@gmail.com", "bob@gmail.com", false),
            ("carol@other.com", "bob@acme.com", false),
            ("not an address", "bob@acme.com", false),
        ])
    func selfReferral(customer: String, referrer: String, flagged: Bool) {
        #expect(Referral.looksLikeSelfReferral(customerEmail: customer, referrerEmail: referrer) == flagged)
    }

    @Test("no customer email means no flag")
    func noEmailNoFlag() {
        #expect(!Referral.looksLikeSelfReferral(customerEmail: nil, referrerEmail: "bob@acme.com"))
    }

    @Test("customer contact details go to the owner only with consent")
    func consent() {
        #expect(CustomerConsent.byReferrer.allowsContactDetails)
        #expect(CustomerConsent.granted.allowsContactDetails)
        #expect(!CustomerConsent.asked.allowsContactDetails)
        #expect(!CustomerConsent.refused.allowsContactDetails)
    }

    @Test("terms read as standard when empty or 'standard', otherwise as the owner's text")
    func terms() throws {
        #expect(ListingTerms(field: nil) == .standard)
        #expect(ListingTerms(field: "  Standard ") == .standard)
        #expect(ListingTerms(field: "Paid within 30 days") == .custom("Paid within 30 days"))
        #expect(try roundTrip([ListingTerms.standard, .custom("x")]) == [.standard, .custom("x")])
    }

    @Test("listings are featured and open by time")
    func listingTimes() {
        var listing = Listing(
            ownerId: 1, title: "T", category: "C", customer: "X", reward: .none, state: .live, featuredUntil: 100,
            expiresAt: 200, createdAt: 0)
        #expect(listing.isFeatured(at: 99))
        #expect(!listing.isFeatured(at: 100))
        #expect(listing.isOpen(at: 199))
        #expect(!listing.isOpen(at: 200))
        listing.state = .pending
        #expect(!listing.isOpen(at: 0))
    }

    @Test("connections join two members either way")
    func connections() {
        let connection = Connection(requesterId: 1, addresseeId: 2, createdAt: 0)
        #expect(connection.joins(2, 1))
        #expect(!connection.joins(1, 3))
        #expect(connection.other(than: 1) == 2)
        #expect(connection.other(than: 3) == nil)
    }

    @Test("an agreement keeps a lower-case digest and covers only the same version and text")
    func agreements() {
        let digest = String(repeating: "ab", count: 32)
        let agreement = Agreement(
            listingId: 3, ownerId: 1, referrerId: 2, version: "2", sha256: digest.uppercased(), ownerAgreedAt: 0,
            referrerAgreedAt: 1, referrerMethod: .link)
        #expect(agreement.sha256 == digest)
        #expect(agreement.hasWellFormedDigest)
        #expect(agreement.covers(version: "2", sha256: digest.uppercased()))
        #expect(!agreement.covers(version: "3", sha256: digest))
        #expect(!agreement.covers(version: "2", sha256: String(repeating: "cd", count: 32)))
    }

    @Test("network settings default to the spec's values")
    func defaults() {
        let settings = NetworkSettings.defaults
        #expect(settings.startingCredits == 10)
        #expect(settings.pointsPerCredit == 1)
        #expect(settings.currency == "USD")
        #expect(settings.referralExpiryDays == 14)
        #expect(settings.staleAfterDays == 10)
        #expect(!settings.autoApproveListings)
        #expect(settings.customerConsent == .referrer)
        #expect(settings.maxReferralsPerDay == 20)
        #expect(settings.maxConnectRequestsPerDay == 20)
        #expect(settings.linkExpiryDays == 14)
        #expect(settings.bounceLimit == 3)
        #expect(settings.errorRepliesPerHour == 5)
        #expect(settings.referralExpirySeconds == 14 * 86_400)
    }
}
