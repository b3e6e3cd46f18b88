import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import RefbotTestSupport
import Testing

/// LISTING, APPROVE, DECLINE, FEATURE, CLOSE, SHOW, SEARCH, LISTINGS, FOLLOW and UNFOLLOW through the pipeline.
@Suite("Listing commands")
struct ListingCommandsTests {
    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let clock = ManualClock()
    let logs = LogCapture()
    let daemon: Daemon

    init() async throws {
        directory = try TemporaryDirectory()
        daemon = try await buildDaemon(
            testConfiguration(in: directory), environment: [:], logger: logs.logger, clock: clock.daemonClock,
            mailbox: mailbox, submitter: submitter)
    }

    static let listingForm = """
        LISTING
        Title: Kitchen remodels
        Category: Home improvement
        Location: Springfield
        Customer: Homeowners planning a new kitchen
        Reward: $500 per sale
        Terms: standard
        Expires: in 30 days
        """

    /// An active member, inserted directly (JOIN belongs to another part of refbot).
    @discardableResult
    func addMember(_ email: String, name: String, business: String? = nil, city: String? = "Springfield") async throws
        -> Int64
    {
        let now = clock.now
        return try await daemon.store.write { db in
            var member = Member(
                email: email, name: name, business: business, city: city, state: .active, credits: 10, joinedAt: now,
                confirmedAt: now)
            try StoreLedger(db).save(&member)
            return member.id ?? 0
        }
    }

    /// A listing, inserted directly.
    @discardableResult
    func addListing(
        owner: Int64, title: String, category: String = "Home improvement", state: ListingState = .live,
        featuredUntil: Int64? = nil
    ) async throws -> Int64 {
        let now = clock.now
        return try await daemon.store.write { db in
            var listing = Listing(
                ownerId: owner, title: title, category: category, location: "Springfield", customer: "Homeowners",
                reward: .perLead(Money(amountMinor: 5000, currency: "USD")), state: state, featuredUntil: featuredUntil,
                createdAt: now)
            try StoreLedger(db).save(&listing)
            return listing.id ?? 0
        }
    }

    func listing(_ id: Int64) async throws -> Listing? {
        try await daemon.store.read { db in try StoreLedger(db).listing(id: id) }
    }

    /// Delivers the mails, runs one pass, and returns the mail sent in it, parsed.
    func send(_ mails: String...) async throws -> [ParsedMessage] {
        let before = submitter.accepted.count
        for raw in mails { mailbox.deliver(raw) }
        _ = try await daemon.runOnce()
        return try submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
    }

    func only(_ event: String, in sent: [ParsedMessage]) throws -> ParsedMessage {
        let matching = sent.filter { $0.header("X-Refbot-Event") == event }
        try #require(matching.count == 1, "events: \(sent.map { $0.header("X-Refbot-Event") ?? "-" })")
        return matching[0]
    }

    // MARK: LISTING

    @Test("LISTING creates a pending L-n: listing.submitted to the owner, listing.review with a reply tag to the admin")
    func listingIsSubmitted() async throws {
        try await addMember("ann@example.com", name: "Ann Lee", business: "Lee Kitchens")
        let sent = try await send(
            mail(from: "Ann Lee <ann@example.com>", subject: "New listing", body: Self.listingForm, authenticated: true)
        )
        #expect(sent.count == 2)

        let stored = try #require(try await listing(1))
        #expect(stored.state == .pending)
        #expect(stored.title == "Kitchen remodels")
        #expect(stored.reward == .perSale(Money(amountMinor: 50_000, currency: "USD")))
        #expect(stored.terms == .standard)
        #expect(stored.expiresAt == clock.now + 30 * 86_400)

        let submitted = try only("listing.submitted", in: sent)
        #expect(submitted.to.map(\.address) == ["ann@example.com"])
        #expect(submitted.header("X-Refbot-Ref") == "L-1")
        #expect(submitted.header("Auto-Submitted") == "auto-replied")
        #expect(submitted.subject.hasPrefix("[L-1] "))
        #expect(submitted.textBody.contains("waiting for review") || submitted.subject.contains("waiting for review"))
        #expect(submitted.textBody.contains("> Title: Kitchen remodels"))

        let review = try only("listing.review", in: sent)
        #expect(review.to.map(\.address) == ["admin@example.org"])
        #expect(review.header("Auto-Submitted") == "auto-generated")
        let replyTo = try #require(review.header("Reply-To"))
        #expect(replyTo.hasPrefix("referrals+"))
        #expect(review.textBody.contains("mailto:\(replyTo)?subject=APPROVE&body=APPROVE"))
        #expect(review.textBody.contains("$500.00 per sale"))
        let html = try #require(review.htmlBody)
        #expect(html.contains("mailto:\(replyTo)?subject=APPROVE&amp;body=APPROVE"))
        let token = String(replyTo.dropFirst("referrals+".count).prefix { $0 != "@" })
        let tag = try await daemon.store.read { db in try StoreLedger(db).replyTag(hash: ReplyTag.hash(token)) }
        #expect(tag?.action == "listing.review")
        #expect(tag?.ref == "L-1")
        #expect(tag?.memberEmail == "admin@example.org")
    }

    @Test("Member text in the HTML part of listing.review is escaped")
    func reviewEscapesHTML() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let form = Self.listingForm.replacingOccurrences(of: "Kitchen remodels", with: "<b>Kitchens</b> & more")
        let sent = try await send(mail(from: "ann@example.com", subject: "LISTING", body: form, authenticated: true))
        let html = try #require(try only("listing.review", in: sent).htmlBody)
        #expect(html.contains("&lt;b&gt;Kitchens&lt;/b&gt; &amp; more"))
        #expect(!html.contains("<b>Kitchens"))
    }

    @Test("A LISTING form with a bad reward names the field and the forms that work; nothing is stored")
    func badReward() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let form = Self.listingForm.replacingOccurrences(of: "$500 per sale", with: "lots of money")
        let sent = try await send(mail(from: "ann@example.com", subject: "LISTING", body: form, authenticated: true))
        let error = try only("command.error", in: sent)
        #expect(error.textBody.contains("> Reward: lots of money"))
        #expect(error.textBody.contains("per lead"))
        #expect(try await listing(1) == nil)
    }

    @Test("A LISTING form without its required fields names them")
    func missingFields() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let sent = try await send(
            mail(from: "ann@example.com", subject: "LISTING", body: "Title: Roofs\n", authenticated: true))
        let error = try only("command.error", in: sent)
        #expect(error.textBody.contains("missing Category, Customer and Reward"))
    }

    @Test("A LISTING with an expiry date in the past is refused, naming the date")
    func pastExpiry() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let form = Self.listingForm.replacingOccurrences(of: "in 30 days", with: "2020-01-31")
        let sent = try await send(mail(from: "ann@example.com", subject: "LISTING", body: form, authenticated: true))
        let error = try only("command.error", in: sent)
        #expect(error.textBody.contains("> Expires: 2020-01-31"))
        #expect(error.textBody.contains("2020-01-31 is already past"))
    }

    @Test(
        "Expires: takes a date (open to the end of that day, UTC) or a span; a day that does not exist is refused",
        arguments: [
            ("2026-12-31", Int64?(1_798_761_600)), ("in 2 weeks", Int64?(1_790_000_000 + 14 * 86_400)),
            ("3 months", Int64?(1_790_000_000 + 90 * 86_400)), ("2026-02-30", nil), ("next year", nil),
        ])
    func expires(text: String, expected: Int64?) async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let form = Self.listingForm.replacingOccurrences(of: "in 30 days", with: text)
        let sent = try await send(mail(from: "ann@example.com", subject: "LISTING", body: form, authenticated: true))
        if let expected {
            #expect(try await listing(1)?.expiresAt == expected)
            #expect(try only("listing.submitted", in: sent).textBody.contains("Open until"))
        } else {
            let error = try only("command.error", in: sent)
            #expect(error.textBody.contains("> Expires: \(text)"))
            #expect(error.textBody.contains("Expires: 2026-12-31"))
            #expect(try await listing(1) == nil)
        }
    }

    @Test("LISTING with words after it takes them as the title when the form has no Title: line")
    func titleOnCommandLine() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let form = Self.listingForm.replacingOccurrences(of: "LISTING\nTitle: Kitchen remodels\n", with: "")
        _ = try await send(
            mail(from: "ann@example.com", subject: "LISTING Bathroom refits", body: form, authenticated: true))
        #expect(try await listing(1)?.title == "Bathroom refits")
    }

    @Test("LISTING from someone who is not a member is refused with how to join")
    func listingFromStranger() async throws {
        let sent = try await send(
            mail(from: "zed@example.com", subject: "LISTING", body: Self.listingForm, authenticated: true))
        let error = try only("command.error", in: sent)
        #expect(error.textBody.contains("Send JOIN"))
    }

    @Test("With network.auto_approve_listings a LISTING goes live at once and followers hear of it")
    func autoApprove() async throws {
        var configuration = testConfiguration(in: directory)
        configuration.bot.database = directory.path + "/auto.sqlite"
        configuration.network.autoApproveListings = true
        let auto = try await buildDaemon(
            configuration, environment: [:], logger: logs.logger, clock: clock.daemonClock, mailbox: mailbox,
            submitter: submitter)
        let now = clock.now
        try await auto.store.write { db in
            let ledger = StoreLedger(db)
            var ann = Member(email: "ann@example.com", name: "Ann Lee", state: .active, joinedAt: now)
            var bob = Member(email: "bob@example.com", name: "Bob Roe", state: .active, joinedAt: now)
            try ledger.save(&ann)
            try ledger.save(&bob)
            _ = try ledger.follow(followerId: bob.id ?? 0, followedId: ann.id ?? 0, now: now)
        }
        mailbox.deliver(mail(from: "ann@example.com", subject: "LISTING", body: Self.listingForm, authenticated: true))
        _ = try await auto.runOnce()
        let sent = try submitter.accepted.map { try MessageParser.parse($0.data) }
        #expect(Set(sent.compactMap { $0.header("X-Refbot-Event") }) == ["listing.submitted", "listing.new"])
        let state = try await auto.store.read { db in try StoreLedger(db).listing(id: 1)?.state }
        #expect(state == .live)
    }

    // MARK: APPROVE, DECLINE, FEATURE, CLOSE

    @Test("An admin's bare APPROVE to the listing.review reply address makes it live and tells owner and followers")
    func approveByTaggedReply() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee", business: "Lee Kitchens")
        let bob = try await addMember("bob@example.com", name: "Bob Roe")
        let now = clock.now
        try await daemon.store.write { db in _ = try StoreLedger(db).follow(followerId: bob, followedId: ann, now: now)
        }
        let submitted = try await send(
            mail(from: "ann@example.com", subject: "LISTING", body: Self.listingForm, authenticated: true))
        let replyTo = try #require(try only("listing.review", in: submitted).header("Reply-To"))

        // The admin's reply carries the quoted review, which names APPROVE and DECLINE; only the top counts.
        let reply = "APPROVE\n\nOn Mon, 23 Nov 2026, Example Referral Network wrote:\n> To decline it, reply DECLINE"
        let sent = try await send(
            mail(from: "admin@example.org", to: replyTo, subject: "Re: [L-1] New listing to review", body: reply))
        #expect(try await listing(1)?.state == .live)

        let done = try only("command.done", in: sent)
        #expect(done.to.map(\.address) == ["admin@example.org"])
        #expect(done.textBody.contains("is live"))
        let approved = try only("listing.approved", in: sent)
        #expect(approved.to.map(\.address) == ["ann@example.com"])
        #expect(approved.header("X-Refbot-Ref") == "L-1")
        #expect(approved.header("Auto-Submitted") == "auto-generated")
        let new = try only("listing.new", in: sent)
        #expect(new.to.map(\.address) == ["bob@example.com"])
        #expect(new.textBody.contains("CONNECT L-1"))
        #expect(new.textBody.contains("mailto:referrals@example.org?subject=CONNECT%20L-1"))
        #expect(new.textBody.contains("UNFOLLOW"))
    }

    @Test("APPROVE from a member who is not an admin is refused and changes nothing")
    func approveByMember() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        let id = try await addListing(owner: ann, title: "Roofs", state: .pending)
        let sent = try await send(
            mail(from: "ann@example.com", subject: "APPROVE L-\(id)", body: "", authenticated: true))
        let error = try only("command.error", in: sent)
        #expect(error.textBody.contains("Only the network's admins"))
        #expect(try await listing(id)?.state == .pending)
    }

    @Test("APPROVE of a listing that is already live names its state and the moves that work")
    func approveTwice() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        let id = try await addListing(owner: ann, title: "Roofs")
        let sent = try await send(
            mail(from: "admin@example.org", subject: "APPROVE L-\(id)", body: "", authenticated: true))
        let error = try only("command.error", in: sent)
        #expect(error.textBody.contains("L-\(id) is already live."))
        #expect(error.textBody.contains("DECLINE L-\(id)"))
    }

    @Test("APPROVE of a listing that does not exist says so")
    func approveUnknown() async throws {
        let sent = try await send(
            mail(from: "admin@example.org", subject: "APPROVE L-99", body: "", authenticated: true))
        #expect(try only("command.error", in: sent).textBody.contains("There is no listing L-99."))
    }

    @Test("DECLINE L-n with a reason declines it and tells the owner the reason")
    func decline() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        let id = try await addListing(owner: ann, title: "Roofs", state: .pending)
        let sent = try await send(
            mail(
                from: "admin@example.org", subject: "Listing",
                body: "DECLINE L-\(id) The reward is unclear.\nPlease say when it is paid.\n\nThanks",
                authenticated: true))
        let stored = try #require(try await listing(id))
        #expect(stored.state == .declined)
        #expect(stored.declineReason == "The reward is unclear.\nPlease say when it is paid.")
        #expect(try only("command.done", in: sent).to.map(\.address) == ["admin@example.org"])
        let told = try only("listing.declined", in: sent)
        #expect(told.to.map(\.address) == ["ann@example.com"])
        #expect(told.textBody.contains("The reward is unclear."))
    }

    @Test("FEATURE L-n 14 features a live listing for 14 days; FEATURE on a pending one is refused")
    func feature() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        let live = try await addListing(owner: ann, title: "Roofs")
        let pending = try await addListing(owner: ann, title: "Walls", state: .pending)
        let sent = try await send(
            mail(from: "admin@example.org", subject: "FEATURE L-\(live) 14", body: "", authenticated: true))
        #expect(try only("command.done", in: sent).textBody.contains("featured for 14 days"))
        #expect(try await listing(live)?.featuredUntil == clock.now + 14 * 86_400)

        let refused = try await send(
            mail(from: "admin@example.org", subject: "FEATURE L-\(pending)", body: "", authenticated: true))
        #expect(try only("command.error", in: refused).textBody.contains("not live, so it cannot be featured"))

        let plain = try await send(
            mail(from: "admin@example.org", subject: "FEATURE L-\(live)", body: "", authenticated: true))
        #expect(try only("command.done", in: plain).textBody.contains("7 days"))
    }

    @Test("CLOSE L-n by its owner closes it; by another member it is refused")
    func close() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        try await addMember("bob@example.com", name: "Bob Roe")
        let id = try await addListing(owner: ann, title: "Roofs")
        let refused = try await send(
            mail(from: "bob@example.com", subject: "CLOSE L-\(id)", body: "", authenticated: true))
        #expect(try only("command.error", in: refused).textBody.contains("not your listing"))
        #expect(try await listing(id)?.state == .live)

        let sent = try await send(
            mail(from: "ann@example.com", subject: "CLOSE L-\(id)", body: "", authenticated: true))
        #expect(try only("command.done", in: sent).textBody.contains("is closed"))
        #expect(try await listing(id)?.state == .closed)
    }

    @Test("The owner's bare CLOSE to the reply address of listing.approved closes that listing")
    func closeByTaggedReply() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        let id = try await addListing(owner: ann, title: "Roofs", state: .pending)
        let approved = try await send(
            mail(from: "admin@example.org", subject: "APPROVE L-\(id)", body: "", authenticated: true))
        let replyTo = try #require(try only("listing.approved", in: approved).header("Reply-To"))
        #expect(
            try only("listing.approved", in: approved).textBody.contains("mailto:\(replyTo)?subject=CLOSE&body=CLOSE"))

        // Bob, even proven to be Bob, does not get Ann's listing by writing to her reply address.
        try await addMember("bob@example.com", name: "Bob Roe")
        let forged = try await send(
            mail(from: "bob@example.com", to: replyTo, subject: "Re: live", body: "CLOSE", authenticated: true))
        #expect(try only("command.error", in: forged).header("X-Refbot-Event") == "command.error")
        #expect(try await listing(id)?.state == .live)

        let sent = try await send(
            mail(from: "ann@example.com", to: replyTo, subject: "Re: live", body: "CLOSE\n\nThanks"))
        #expect(try only("command.done", in: sent).textBody.contains("is closed"))
        #expect(try await listing(id)?.state == .closed)
    }

    // MARK: SHOW

    @Test("SHOW L-n sends the whole listing with CONNECT and FOLLOW for a member who is not connected")
    func showToMember() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee", business: "Lee Kitchens", city: "Shelbyville")
        try await addMember("bob@example.com", name: "Bob Roe")
        let id = try await addListing(owner: ann, title: "Kitchen remodels")
        let sent = try await send(mail(from: "bob@example.com", subject: "SHOW L-\(id)", body: ""))
        let shown = try only("listing", in: sent)
        #expect(shown.header("X-Refbot-Ref") == "L-\(id)")
        #expect(shown.header("Auto-Submitted") == "auto-replied")
        #expect(shown.subject.contains("Kitchen remodels"))
        for text in [
            "Ann Lee (Lee Kitchens)", "Shelbyville", "$50.00 per lead", "Homeowners", "standard agreement",
            "CONNECT L-\(id)", "FOLLOW L-\(id)", "mailto:referrals@example.org?subject=FOLLOW%20L-\(id)",
        ] {
            #expect(shown.textBody.contains(text), "missing \(text)")
        }
        #expect(!shown.textBody.contains("REFER L-\(id)\n  Customer"))
    }

    @Test("SHOW L-n offers REFER L-n once the member is connected to the owner")
    func showToConnection() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        let bob = try await addMember("bob@example.com", name: "Bob Roe")
        let id = try await addListing(owner: ann, title: "Kitchen remodels")
        let now = clock.now
        try await daemon.store.write { db in
            try db.execute(
                sql: "INSERT INTO connection (requesterId, addresseeId, state, createdAt) VALUES (?, ?, 'accepted', ?)",
                arguments: [bob, ann, now])
        }
        let sent = try await send(mail(from: "bob@example.com", subject: "SHOW L-\(id)", body: ""))
        let shown = try only("listing", in: sent)
        #expect(shown.textBody.contains("REFER L-\(id)"))
        #expect(!shown.textBody.contains("CONNECT L-\(id)"))
    }

    @Test("SHOW of a pending listing is refused to others but shown to its owner")
    func showPending() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        let id = try await addListing(owner: ann, title: "Roofs", state: .pending)
        let refused = try await send(mail(from: "bob@example.com", subject: "SHOW L-\(id)", body: ""))
        #expect(try only("command.error", in: refused).textBody.contains("is not a live listing"))
        let own = try await send(mail(from: "ann@example.com", subject: "SHOW L-\(id)", body: ""))
        #expect(try only("listing", in: own).textBody.contains("it is pending"))
        let unknown = try await send(mail(from: "bob@example.com", subject: "SHOW L-42", body: ""))
        #expect(try only("command.error", in: unknown).textBody.contains("L-42 is not a live listing"))
    }

    // MARK: SEARCH and LISTINGS

    @Test("SEARCH finds live listings, featured first, each with SHOW, CONNECT and FOLLOW as words and mailto links")
    func search() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee", business: "Lee Kitchens")
        let plain = try await addListing(owner: ann, title: "Kitchen remodels")
        let featured = try await addListing(owner: ann, title: "Kitchen cabinets", featuredUntil: clock.now + 3600)
        try await addListing(owner: ann, title: "Kitchen tiles", state: .pending)
        try await addListing(owner: ann, title: "Roof repairs")

        let sent = try await send(mail(from: "stranger@example.net", subject: "SEARCH kitchen", body: ""))
        let results = try only("search.results", in: sent)
        #expect(results.header("Auto-Submitted") == "auto-replied")
        #expect(results.subject.contains("2 listings found"))
        let body = results.textBody
        let featuredAt = try #require(body.range(of: "L-\(featured)  Kitchen cabinets"))
        let plainAt = try #require(body.range(of: "L-\(plain)  Kitchen remodels"))
        #expect(featuredAt.lowerBound < plainAt.lowerBound)
        #expect(!body.contains("Kitchen tiles"))
        #expect(!body.contains("Roof repairs"))
        for word in ["SHOW", "CONNECT", "FOLLOW"] {
            #expect(body.contains("\(word) L-\(plain)"))
            #expect(
                body.contains("mailto:referrals@example.org?subject=\(word)%20L-\(plain)&body=\(word)%20L-\(plain)"))
        }
        #expect(body.contains("Lee Kitchens"))
        #expect(body.contains("$50.00 per lead"))
    }

    @Test("SEARCH with FTS5 syntax characters still answers search.results")
    func searchSyntax() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        try await addListing(owner: ann, title: "Kitchen remodels")
        let sent = try await send(
            mail(from: "bob@example.com", subject: #"SEARCH "kitchen* NEAR( -remodels category:"home"#, body: ""))
        #expect(try only("search.results", in: sent).header("X-Refbot-Event") == "search.results")
    }

    @Test("A SEARCH with no match says so and how to widen it; LISTINGS lists every live listing")
    func noResultsAndListings() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        try await addListing(owner: ann, title: "Kitchen remodels")
        try await addListing(owner: ann, title: "Roof repairs", category: "Roofing")
        let none = try await send(mail(from: "bob@example.com", subject: "SEARCH submarines", body: ""))
        let empty = try only("search.results", in: none)
        #expect(empty.subject.contains("No listings found"))
        #expect(empty.textBody.contains("LISTINGS shows every live listing"))

        let all = try await send(mail(from: "bob@example.com", subject: "LISTINGS", body: ""))
        let listed = try only("search.results", in: all)
        #expect(listed.textBody.contains("Kitchen remodels"))
        #expect(listed.textBody.contains("Roof repairs"))
        let filtered = try await send(mail(from: "bob@example.com", subject: "LISTINGS category:roofing", body: ""))
        #expect(!(try only("search.results", in: filtered).textBody.contains("Kitchen remodels")))
    }

    // MARK: FOLLOW and UNFOLLOW

    @Test("FOLLOW by address or L-n stores one follow, twice is fine, yourself is not; UNFOLLOW removes it")
    func followAndUnfollow() async throws {
        let ann = try await addMember("ann@example.com", name: "Ann Lee")
        let bob = try await addMember("bob@example.com", name: "Bob Roe")
        let id = try await addListing(owner: ann, title: "Roofs")
        func follows() async throws -> Int {
            try await daemon.store.read { db in
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM follow WHERE followerId = ? AND followedId = ?",
                    arguments: [bob, ann]) ?? 0
            }
        }
        let first = try await send(
            mail(from: "bob@example.com", subject: "FOLLOW ann@example.com", body: "", authenticated: true))
        #expect(try only("command.done", in: first).textBody.contains("You now follow Ann Lee"))
        let again = try await send(
            mail(from: "bob@example.com", subject: "FOLLOW L-\(id)", body: "", authenticated: true))
        #expect(try only("command.done", in: again).textBody.contains("You already follow Ann Lee"))
        #expect(try await follows() == 1)

        let own = try await send(
            mail(from: "ann@example.com", subject: "FOLLOW L-\(id)", body: "", authenticated: true))
        #expect(try only("command.error", in: own).textBody.contains("cannot follow yourself"))
        let unknown = try await send(
            mail(from: "bob@example.com", subject: "FOLLOW zed@example.com", body: "", authenticated: true))
        #expect(try only("command.error", in: unknown).textBody.contains("not a member"))

        let stop = try await send(
            mail(from: "bob@example.com", subject: "UNFOLLOW ann@example.com", body: "", authenticated: true))
        #expect(try only("command.done", in: stop).textBody.contains("You no longer follow Ann Lee"))
        #expect(try await follows() == 0)
    }
}

/// The admin CLI's path: `CommandExecutor` runs the same handlers in one transaction.
@Suite("Command executor")
struct CommandExecutorTests {
    let directory: TemporaryDirectory
    let store: Store
    let executor: CommandExecutor
    let now: Int64 = 1_790_000_000

    init() throws {
        directory = try TemporaryDirectory()
        let configuration = testConfiguration(in: directory)
        store = try Store(path: configuration.bot.database)
        executor = try CommandExecutor(configuration: configuration)
    }

    private func pendingListing() async throws -> Int64 {
        let now = now
        return try await store.write { db in
            let ledger = StoreLedger(db)
            var ann = Member(email: "ann@example.com", name: "Ann Lee", state: .active, joinedAt: now)
            try ledger.save(&ann)
            var listing = Listing(
                ownerId: ann.id ?? 0, title: "Roofs", category: "Roofing", customer: "Homeowners", reward: .none,
                createdAt: now)
            try ledger.save(&listing)
            return listing.id ?? 0
        }
    }

    private func outboxEvents() async throws -> [String] {
        try await store.read { db in try String.fetchAll(db, sql: "SELECT event FROM outboxMessage ORDER BY id") }
    }

    @Test("APPROVE through the executor makes the listing live and queues listing.approved; command.done is skipped")
    func approve() async throws {
        let id = try await pendingListing()
        let executor = executor
        let context = executor.adminContext(now: now)
        #expect(context.sender == "admin@example.org")
        #expect(context.isAdmin)
        let command = ParsedCommand(
            word: .approve, arguments: "L-\(id)", line: "APPROVE L-\(id)", followingLines: [], source: .body)
        let made = try await store.write { db in
            try executor.run(ApproveHandler(), command: command, context: context, in: db) { $0.event == .commandDone }
        }
        #expect(made.map(\.event) == [.commandDone, .listingApproved])
        #expect(try await outboxEvents() == ["listing.approved"])
        let state = try await store.read { db in try StoreLedger(db).listing(id: id)?.state }
        #expect(state == .live)
    }

    @Test("A refused command through the executor writes nothing")
    func refused() async throws {
        let id = try await pendingListing()
        let executor = executor
        let context = executor.adminContext(now: now)
        let command = ParsedCommand(
            word: .feature, arguments: "L-\(id) 3", line: "FEATURE L-\(id) 3", followingLines: [], source: .body)
        await #expect(throws: CommandError.self) {
            try await store.write { db in try executor.run(FeatureHandler(), command: command, context: context, in: db)
            }
        }
        #expect(try await outboxEvents().isEmpty)
        let featured = try await store.read { db in try StoreLedger(db).listing(id: id)?.featuredUntil }
        #expect(featured == nil)
    }
}
