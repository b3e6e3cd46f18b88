import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import RefbotTestSupport
import Testing

/// A small network over real SQLite and fake transports: an owner with a live listing, a
/// referrer connected to them, and a third member who is not.
struct ReferralWorld {
    static let owner = "bob@bobbuild.example"
    static let referrer = "alice@example.com"
    static let stranger = "carl@example.net"

    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let clock = ManualClock()
    let daemon: Daemon
    var listingId: Int64 = 0
    var secondListingId: Int64 = 0

    init(
        reward: Reward = .perSale(Money(amountMinor: 50_000, currency: "USD")), ownerCredits: Int = 10,
        connected: Bool = true, configure: (inout RefbotDaemon.Configuration) -> Void = { _ in }
    ) async throws {
        directory = try TemporaryDirectory()
        var configuration = testConfiguration(in: directory)
        configure(&configuration)
        daemon = try await buildDaemon(
            configuration, environment: [:], logger: LogCapture().logger, clock: clock.daemonClock, mailbox: mailbox,
            submitter: submitter)
        let now = clock.now
        (listingId, secondListingId) = try await daemon.store.write { db in
            let ledger = StoreLedger(db)
            var owner = Member(
                email: Self.owner, name: "Bob Builder", business: "Bob Build", state: .active, credits: ownerCredits,
                joinedAt: now)
            var referrer = Member(email: Self.referrer, name: "Alice Example", state: .active, credits: 10, joinedAt: now)
            var stranger = Member(email: Self.stranger, name: "Carl Stranger", state: .active, credits: 10, joinedAt: now)
            try ledger.save(&owner)
            try ledger.save(&referrer)
            try ledger.save(&stranger)
            var listing = Listing(
                ownerId: owner.id ?? 0, title: "Kitchen remodels", category: "Home improvement",
                customer: "Homeowners", reward: reward, state: .live, createdAt: now - 86_400)
            try ledger.save(&listing)
            var other = Listing(
                ownerId: stranger.id ?? 0, title: "Bathroom tiling", category: "Home improvement",
                customer: "Homeowners", reward: .perLead(Money(amountMinor: 5_000, currency: "USD")), state: .live,
                createdAt: now - 86_400)
            try ledger.save(&other)
            if connected {
                var connection = Connection(
                    requesterId: referrer.id ?? 0, addresseeId: owner.id ?? 0, state: .accepted, createdAt: now,
                    decidedAt: now)
                try ledger.save(&connection)
                var second = Connection(
                    requesterId: referrer.id ?? 0, addresseeId: stranger.id ?? 0, state: .accepted, createdAt: now,
                    decidedAt: now)
                try ledger.save(&second)
            }
            return (listing.id ?? 0, other.id ?? 0)
        }
    }

    var listingRef: String { "L-\(listingId)" }

    /// Delivers a mail, runs one pass, and returns the mails sent in that pass.
    @discardableResult
    func send(
        from: String, to: String = "referrals@example.org", subject: String, body: String = "",
        authenticated: Bool = true, messageID: String = UUID().uuidString + "@client.example"
    ) async throws -> [ParsedMessage] {
        let before = submitter.accepted.count
        mailbox.deliver(
            mail(from: from, to: to, subject: subject, body: body, messageID: messageID, authenticated: authenticated))
        _ = try await daemon.runOnce()
        return try submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
    }

    /// A REFER of Carol Diaz from the referrer.
    func refer(
        listing: String? = nil, customer: String = "Carol Diaz", email: String? = "carol@diaz.example",
        consent: String = "yes"
    ) async throws -> [ParsedMessage] {
        var lines = ["REFER \(listing ?? listingRef)", "Customer: \(customer)"]
        if let email { lines.append("Email: \(email)") }
        lines += ["Phone: 555-0100", "Need: A new kitchen before summer", "Consent: \(consent)"]
        return try await send(from: "Alice Example <\(Self.referrer)>", subject: "Referral", body: lines.joined(separator: "\n"))
    }

    func referral(_ id: Int64) async throws -> Referral? {
        try await daemon.store.read { db in try StoreLedger(db).referral(id: id) }
    }

    func member(_ email: String) async throws -> Member? {
        try await daemon.store.read { db in try StoreLedger(db).member(email: email) }
    }
}

extension ParsedMessage {
    var event: String? { header("X-Refbot-Event") }
    var replyAddress: String? { replyTo.first?.address }
    var recipients: [String] { to.map(\.address) }
}

func the(_ event: String, to recipient: String, in mails: [ParsedMessage]) throws -> ParsedMessage {
    try #require(mails.first { $0.event == event && $0.recipients.contains(recipient) })
}

@Suite("Connections")
struct ConnectionCommandsTests {
    @Test("CONNECT asks the other member with ACCEPT/REJECT links; their ACCEPT connects both")
    func connectThenAccept() async throws {
        let world = try await ReferralWorld(connected: false)
        let sent = try await world.send(
            from: "Alice Example <\(ReferralWorld.referrer)>", subject: "CONNECT \(ReferralWorld.owner)",
            body: "Hi Bob, I often meet homeowners.")
        let request = try the("connection.request", to: ReferralWorld.owner, in: sent)
        #expect(request.subject.hasPrefix("[C-1] "))
        #expect(request.header("X-Refbot-Ref") == "C-1")
        #expect(request.header("Auto-Submitted") == "auto-generated")
        let replyAddress = try #require(request.replyAddress)
        #expect(replyAddress.hasPrefix("referrals+"))
        #expect(request.textBody.contains("mailto:\(replyAddress)?subject=ACCEPT&body=ACCEPT"))
        #expect(request.textBody.contains("I often meet homeowners."))
        // One-click web links beside the reply word and the mailto: link (spec §5).
        #expect(request.textBody.contains("ACCEPT: http://127.0.0.1:8080/a/"))
        #expect(request.textBody.contains("REJECT: http://127.0.0.1:8080/a/"))
        _ = try the("command.done", to: ReferralWorld.referrer, in: sent)

        let answer = try await world.send(
            from: "Bob Builder <\(ReferralWorld.owner)>", to: replyAddress, subject: "Re: \(request.subject)",
            body: "Accept\n\nOn Mon, 23 Nov 2026 at 10:00, Example Referral Network wrote:\n> Reply ACCEPT or REJECT",
            authenticated: false)
        _ = try the("connection.accepted", to: ReferralWorld.referrer, in: answer)
        _ = try the("command.done", to: ReferralWorld.owner, in: answer)
        let connection = try await world.daemon.store.read { db in try StoreLedger(db).connection(id: 1) }
        #expect(connection?.state == .accepted)
    }

    @Test("REJECT to a connection request tells the requester, with the reason")
    func connectThenReject() async throws {
        let world = try await ReferralWorld(connected: false)
        let sent = try await world.send(
            from: "Alice Example <\(ReferralWorld.referrer)>", subject: "CONNECT \(world.listingRef)")
        let request = try the("connection.request", to: ReferralWorld.owner, in: sent)
        let answer = try await world.send(
            from: ReferralWorld.owner, to: try #require(request.replyAddress), subject: "Re: x",
            body: "REJECT we only work with trades\n", authenticated: false)
        let rejected = try the("connection.rejected", to: ReferralWorld.referrer, in: answer)
        #expect(rejected.textBody.contains("we only work with trades"))
        let connection = try await world.daemon.store.read { db in try StoreLedger(db).connection(id: 1) }
        #expect(connection?.state == .rejected)

        // Asking again later opens the same request anew.
        let again = try await world.send(
            from: "Alice Example <\(ReferralWorld.referrer)>", subject: "CONNECT \(ReferralWorld.owner)")
        _ = try the("connection.request", to: ReferralWorld.owner, in: again)
        let reopened = try await world.daemon.store.read { db in try StoreLedger(db).connection(id: 1) }
        #expect(reopened?.state == .pending)
    }

    @Test("CONNECT to oneself, to a connection, and twice is refused; CONNECT back accepts the request")
    func refusalsAndReverse() async throws {
        let world = try await ReferralWorld(connected: false)
        let me = "Alice Example <\(ReferralWorld.referrer)>"
        let selfRequest = try await world.send(from: me, subject: "CONNECT \(ReferralWorld.referrer)")
        #expect(selfRequest.map(\.event) == ["command.error"])
        #expect(selfRequest.first?.textBody.contains("cannot connect to yourself") == true)

        _ = try await world.send(from: me, subject: "CONNECT \(ReferralWorld.owner)")
        let twice = try await world.send(from: me, subject: "CONNECT \(ReferralWorld.owner)")
        #expect(twice.map(\.event) == ["command.error"])
        #expect(twice.first?.textBody.contains("already waiting") == true)

        let back = try await world.send(from: ReferralWorld.owner, subject: "CONNECT \(ReferralWorld.referrer)")
        _ = try the("connection.accepted", to: ReferralWorld.referrer, in: back)
        _ = try the("command.done", to: ReferralWorld.owner, in: back)

        let again = try await world.send(from: me, subject: "CONNECT \(ReferralWorld.owner)")
        #expect(again.first?.textBody.contains("already connected") == true)
    }

    @Test("network.max_connect_requests_per_day caps CONNECT")
    func dailyCap() async throws {
        let world = try await ReferralWorld(connected: false) { $0.network.maxConnectRequestsPerDay = 1 }
        let me = "Alice Example <\(ReferralWorld.referrer)>"
        _ = try await world.send(from: me, subject: "CONNECT \(ReferralWorld.owner)")
        let second = try await world.send(from: me, subject: "CONNECT \(ReferralWorld.stranger)")
        #expect(second.map(\.event) == ["command.error"])
        #expect(second.first?.textBody.contains("try again tomorrow") == true)
    }
}

@Suite("Referrals and agreements")
struct ReferralCommandsTests {
    @Test("REFER without an agreement: referral.sent and agreement.request; AGREE records the evidence, mails both a copy and delivers")
    func referAgreeDeliver() async throws {
        let world = try await ReferralWorld()
        let sent = try await world.refer()
        #expect(Set(sent.compactMap(\.event)) == ["referral.sent", "agreement.request"])
        let referralSent = try the("referral.sent", to: ReferralWorld.referrer, in: sent)
        #expect(referralSent.subject.hasPrefix("[R-1] "))
        #expect(referralSent.header("Auto-Submitted") == "auto-replied")
        let request = try the("agreement.request", to: ReferralWorld.referrer, in: sent)
        #expect(request.header("X-Refbot-Ref") == world.listingRef)
        #expect(request.textBody.contains("REFERRAL PARTNERSHIP AGREEMENT"))
        #expect(request.textBody.contains("version 2026-11-1"))
        let agreeAddress = try #require(request.replyAddress)
        #expect(request.textBody.contains("mailto:\(agreeAddress)?subject=AGREE&body=AGREE"))
        #expect(try await world.referral(1)?.deliveredAt == nil)

        let agreed = try await world.send(
            from: "Alice Example <\(ReferralWorld.referrer)>", to: agreeAddress, subject: "Re: \(request.subject)",
            body: "AGREE\n\n> quoted terms", authenticated: false, messageID: "agree-1@client.example")
        let copyToReferrer = try the("agreement.copy", to: ReferralWorld.referrer, in: agreed)
        let copyToOwner = try the("agreement.copy", to: ReferralWorld.owner, in: agreed)
        let received = try the("referral.received", to: ReferralWorld.owner, in: agreed)

        let agreement = try #require(
            try await world.daemon.store.read { db in try Agreement.fetchOne(db) })
        #expect(agreement.version == "2026-11-1")
        #expect(agreement.referrerMethod == .reply)
        #expect(agreement.ownerMethod == .listing)
        #expect(agreement.messageId == "agree-1@client.example")
        // The evidence names the agreeing reply by a random id, never by the referrer's tag.
        let agreeTag = try #require(agreeAddress.dropFirst("referrals+".count).split(separator: "@").first.map(String.init))
        let evidenceId = try #require(agreement.evidenceId)
        #expect(evidenceId.hasPrefix("ev-") && !evidenceId.contains(agreeTag))
        for copy in [copyToReferrer, copyToOwner] {
            #expect(copy.textBody.contains(evidenceId))
            #expect(!copy.textBody.contains(agreeTag))
            let attachment = try #require(copy.parts.first { $0.filename == "agreement-\(world.listingRef).txt" })
            #expect(TextDigest.sha256Hex(attachment.body) == agreement.sha256)
            #expect(copy.textBody.contains(agreement.sha256))
            #expect(copy.textBody.contains("agree-1@client.example"))
        }
        #expect(received.subject == "[R-1] New referral: Carol Diaz for \"Kitchen remodels\"")
        #expect(received.textBody.contains("carol@diaz.example"))
        #expect(received.textBody.contains("mailto:\(try #require(received.replyAddress))?subject=ACCEPT&body=ACCEPT"))
        let html = try #require(received.htmlBody)
        #expect(html.contains("href=\"mailto:\(try #require(received.replyAddress))?subject=ACCEPT&amp;body=ACCEPT\""))
        #expect(html.contains("Carol Diaz"))
        #expect(received.references.contains(referralSent.messageID ?? "-"))
        #expect(try await world.referral(1)?.deliveredAt != nil)

        // The next referral to the same listing needs no new agreement.
        let second = try await world.refer(customer: "Dan Evans", email: "dan@evans.example")
        #expect(Set(second.compactMap(\.event)) == ["referral.sent", "referral.received"])
    }

    @Test("The owner's tagged replies walk a referral to closed: ACCEPT, WON, PAID, then the referrer's RECEIVED")
    func fullLifecycle() async throws {
        let world = try await ReferralWorld()
        let owner = "Bob Builder <\(ReferralWorld.owner)>"
        let referrer = "Alice Example <\(ReferralWorld.referrer)>"
        let first = try await world.refer()
        let agree = try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress)
        let agreed = try await world.send(from: referrer, to: agree, subject: "Re: terms", body: "AGREE", authenticated: false)
        let ownerAddress = try #require(try the("referral.received", to: ReferralWorld.owner, in: agreed).replyAddress)

        let accepted = try await world.send(
            from: owner, to: ownerAddress, subject: "Re: [R-1] New referral",
            body: "ACCEPT\n\nOn Mon, 23 Nov 2026 at 10:00, Example Referral Network <referrals@example.org> wrote:\n"
                + "> Reply ACCEPT to take it or REJECT to turn it down.", authenticated: false)
        let toReferrer = try the("referral.accepted", to: ReferralWorld.referrer, in: accepted)
        #expect(toReferrer.textBody.contains("you now have 1"))
        _ = try the("command.done", to: ReferralWorld.owner, in: accepted)
        #expect(try await world.member(ReferralWorld.owner)?.credits == 9)
        #expect(try await world.member(ReferralWorld.referrer)?.points == 1)
        #expect(try await world.referral(1)?.state == .accepted)

        let won = try await world.send(from: owner, to: ownerAddress, subject: "Re: R-1", body: "WON $5,000", authenticated: false)
        let update = try the("referral.updated", to: ReferralWorld.referrer, in: won)
        #expect(update.textBody.contains("$500.00"))
        #expect(try await world.referral(1)?.rewardOwed == Money(amountMinor: 50_000, currency: "USD"))
        #expect(try await world.referral(1)?.wonAmount == Money(amountMinor: 500_000, currency: "USD"))

        let paid = try await world.send(from: owner, to: ownerAddress, subject: "Re: R-1", body: "PAID", authenticated: false)
        let paidNote = try the("referral.updated", to: ReferralWorld.referrer, in: paid)
        let referrerAddress = try #require(paidNote.replyAddress)
        #expect(try await world.referral(1)?.rewardPaid == Money(amountMinor: 50_000, currency: "USD"))

        let closed = try await world.send(
            from: referrer, to: referrerAddress, subject: "Re: R-1", body: "RECEIVED, thanks!", authenticated: false)
        #expect(closed.filter { $0.event == "referral.updated" }.flatMap(\.recipients).sorted()
            == [ReferralWorld.referrer, ReferralWorld.owner].sorted())
        let final = try #require(try await world.referral(1))
        #expect(final.state == .closed)
        #expect(final.closedAt != nil)
    }

    @Test("A move the state or role does not allow names the state and the open moves")
    func illegalMove() async throws {
        let world = try await ReferralWorld()
        let first = try await world.refer()
        // Not delivered yet: the owner cannot act on it.
        let undelivered = try await world.send(from: ReferralWorld.owner, subject: "ACCEPT R-1")
        #expect(undelivered.map(\.event) == ["command.error"])
        #expect(undelivered.first?.textBody.contains("has not reached you yet") == true)

        _ = try await world.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        let tooEarly = try await world.send(from: ReferralWorld.owner, subject: "CONTACTED R-1")
        let error = try the("command.error", to: ReferralWorld.owner, in: tooEarly)
        #expect(error.textBody.contains("R-1 is still pending: it has not been accepted yet."))
        #expect(error.textBody.contains("Reply ACCEPT or REJECT to move it on."))

        let wrongRole = try await world.send(from: ReferralWorld.referrer, subject: "ACCEPT R-1")
        #expect(wrongRole.first?.textBody.contains("Only the owner of the listing can reply ACCEPT to R-1.") == true)

        let stranger = try await world.send(from: ReferralWorld.stranger, subject: "ACCEPT R-1")
        #expect(stranger.first?.textBody.contains("R-1 is not one of your referrals.") == true)
        #expect(try await world.referral(1)?.state == .pending)
    }

    @Test("REFER is refused for an unconnected member, one's own listing, missing consent and a duplicate customer")
    func referGuards() async throws {
        let world = try await ReferralWorld()
        let stranger = try await world.send(
            from: ReferralWorld.stranger, subject: "REFER \(world.listingRef)",
            body: "Customer: Eve\nNeed: Tiles\nConsent: yes")
        #expect(stranger.first?.textBody.contains("not connected") == true)

        let own = try await world.send(
            from: ReferralWorld.owner, subject: "REFER \(world.listingRef)", body: "Customer: Eve\nNeed: Tiles\nConsent: yes")
        #expect(own.first?.textBody.contains("your own listing") == true)

        let noConsent = try await world.refer(consent: "no")
        #expect(noConsent.map(\.event) == ["command.error"])
        #expect(noConsent.first?.textBody.contains("Consent") == true)

        _ = try await world.refer()
        let duplicate = try await world.refer()
        let error = try the("command.error", to: ReferralWorld.referrer, in: duplicate)
        #expect(error.textBody.contains("held by you (R-1)"))
        #expect(!error.textBody.contains("carol@diaz.example"))
        let count = try await world.daemon.store.read { db in try Referral.fetchCount(db) }
        #expect(count == 1)
    }

    @Test("network.max_referrals_per_day caps REFER")
    func referralCap() async throws {
        let world = try await ReferralWorld { $0.network.maxReferralsPerDay = 1 }
        _ = try await world.refer()
        let second = try await world.refer(customer: "Dan", email: "dan@evans.example")
        #expect(second.map(\.event) == ["command.error"])
        #expect(second.first?.textBody.contains("tomorrow") == true)
    }

    @Test("A customer on the referrer's own domain is flagged to the owner, not blocked")
    func selfReferralFlag() async throws {
        let world = try await ReferralWorld()
        try await world.daemon.store.write { db in
            var agreement = Agreement(
                listingId: 1, ownerId: 1, referrerId: 2, version: "x", sha256: String(repeating: "0", count: 64),
                ownerAgreedAt: 0, referrerAgreedAt: 0, referrerMethod: .reply)
            try StoreLedger(db).save(&agreement)
        }
        _ = try await world.daemon.store.write { db in
            try db.execute(sql: "UPDATE member SET email = 'alice@alicecorp.example' WHERE id = 2")
        }
        let sent = try await world.send(
            from: "alice@alicecorp.example", subject: "REFER \(world.listingRef)",
            body: "Customer: Pat\nEmail: pat@alicecorp.example\nNeed: Kitchen\nConsent: yes")
        _ = try the("referral.sent", to: "alice@alicecorp.example", in: sent)
        #expect(try await world.referral(1)?.selfReferralFlag == true)
        let request = try the("agreement.request", to: "alice@alicecorp.example", in: sent)
        let agreed = try await world.send(
            from: "alice@alicecorp.example", to: try #require(request.replyAddress), subject: "Re", body: "AGREE",
            authenticated: false)
        let received = try the("referral.received", to: ReferralWorld.owner, in: agreed)
        #expect(received.textBody.contains("self-referral"))
    }

    @Test("REJECT with a reason tells the referrer, who redirects the same customer by replying REFER L-m")
    func rejectAndRedirect() async throws {
        let world = try await ReferralWorld(reward: .perLead(Money(amountMinor: 5_000, currency: "USD")))
        let first = try await world.refer()
        let agreed = try await world.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        let ownerAddress = try #require(try the("referral.received", to: ReferralWorld.owner, in: agreed).replyAddress)
        let rejected = try await world.send(
            from: ReferralWorld.owner, to: ownerAddress, subject: "Re", body: "REJECT Too far away\nfrom our area\n\nBob",
            authenticated: false)
        let note = try the("referral.rejected", to: ReferralWorld.referrer, in: rejected)
        #expect(note.textBody.contains("Too far away\nfrom our area"))
        #expect(try await world.referral(1)?.rejectReason == "Too far away\nfrom our area")
        #expect(try await world.referral(1)?.state == .rejected)

        let redirect = try await world.send(
            from: ReferralWorld.referrer, to: try #require(note.replyAddress), subject: "Re: not accepted",
            body: "REFER L-\(world.secondListingId)", authenticated: false)
        _ = try the("referral.sent", to: ReferralWorld.referrer, in: redirect)
        let moved = try #require(try await world.referral(2))
        #expect(moved.listingId == world.secondListingId)
        #expect(moved.customerName == "Carol Diaz")
        #expect(moved.customerEmail == "carol@diaz.example")
        #expect(moved.need == "A new kitchen before summer")
    }

    @Test("ACCEPT without credits is refused with how to get more; a per-lead reward is owed on ACCEPT")
    func credits() async throws {
        let poor = try await ReferralWorld(ownerCredits: 0)
        let first = try await poor.refer()
        let agreed = try await poor.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        let ownerAddress = try #require(try the("referral.received", to: ReferralWorld.owner, in: agreed).replyAddress)
        let refused = try await poor.send(from: ReferralWorld.owner, to: ownerAddress, subject: "Re", body: "ACCEPT", authenticated: false)
        #expect(refused.map(\.event) == ["command.error"])
        #expect(refused.first?.textBody.contains("no credits") == true)
        #expect(try await poor.referral(1)?.state == .pending)

        let rich = try await ReferralWorld(reward: .perLead(Money(amountMinor: 5_000, currency: "USD")))
        let again = try await rich.refer()
        let agreedAgain = try await rich.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: again).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        _ = try the("referral.received", to: ReferralWorld.owner, in: agreedAgain)
        // Untagged, from an authenticated owner.
        let accepted = try await rich.send(from: ReferralWorld.owner, subject: "ACCEPT R-1")
        let toReferrer = try the("referral.accepted", to: ReferralWorld.referrer, in: accepted)
        #expect(toReferrer.textBody.contains("$50.00"))
        #expect(try await rich.referral(1)?.rewardOwed == Money(amountMinor: 5_000, currency: "USD"))
    }

    @Test("WON on a percent reward needs the sale amount and owes its share; LOST then PAID settles a per-lead reward")
    func wonAndLost() async throws {
        let percent = try await ReferralWorld(reward: .percentOfSale(basisPoints: 1000))
        let first = try await percent.refer()
        _ = try await percent.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        _ = try await percent.send(from: ReferralWorld.owner, subject: "ACCEPT R-1")
        let bare = try await percent.send(from: ReferralWorld.owner, subject: "WON R-1")
        #expect(bare.first?.textBody.contains("WON $5,000") == true)
        #expect(try await percent.referral(1)?.state == .accepted)
        let won = try await percent.send(from: ReferralWorld.owner, subject: "WON R-1 2.500,00 EUR")
        _ = try the("referral.updated", to: ReferralWorld.referrer, in: won)
        #expect(try await percent.referral(1)?.rewardOwed == Money(amountMinor: 25_000, currency: "EUR"))

        let lead = try await ReferralWorld(reward: .perLead(Money(amountMinor: 5_000, currency: "USD")))
        let again = try await lead.refer()
        _ = try await lead.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: again).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        _ = try await lead.send(from: ReferralWorld.owner, subject: "ACCEPT R-1")
        let lost = try await lead.send(from: ReferralWorld.owner, subject: "LOST R-1 went with a cheaper quote")
        let note = try the("referral.updated", to: ReferralWorld.referrer, in: lost)
        #expect(note.textBody.contains("went with a cheaper quote"))
        _ = try await lead.send(from: ReferralWorld.owner, subject: "PAID R-1 $50")
        let settled = try #require(try await lead.referral(1))
        #expect(settled.state == .paid)
        #expect(settled.lostReason == "went with a cheaper quote")
        #expect(settled.rewardPaid == Money(amountMinor: 5_000, currency: "USD"))
    }

    @Test("DISPUTE goes to the owner and the admins")
    func dispute() async throws {
        let world = try await ReferralWorld()
        let first = try await world.refer()
        let agreed = try await world.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        _ = try the("referral.received", to: ReferralWorld.owner, in: agreed)
        let accepted = try await world.send(from: ReferralWorld.owner, subject: "ACCEPT R-1")
        // The owner's answer carries their reply address for R-1, so the next word can be a reply.
        let done = try the("command.done", to: ReferralWorld.owner, in: accepted)
        let contacted = try await world.send(
            from: ReferralWorld.owner, to: try #require(done.replyAddress), subject: "Re: \(done.subject)",
            body: "contacted", authenticated: false)
        _ = try the("referral.updated", to: ReferralWorld.referrer, in: contacted)
        #expect(try await world.referral(1)?.state == .contacted)
        _ = try await world.send(from: ReferralWorld.owner, subject: "WON R-1 $2,000")
        let disputed = try await world.send(from: ReferralWorld.referrer, subject: "DISPUTE R-1 The sale was $20,000")
        _ = try the("referral.disputed", to: ReferralWorld.owner, in: disputed)
        let toAdmins = try the("referral.disputed", to: "admin@example.org", in: disputed)
        #expect(toAdmins.textBody.contains("The sale was $20,000"))
        let referral = try #require(try await world.referral(1))
        #expect(referral.state == .won)
        #expect(referral.disputeReason == "The sale was $20,000")
    }

    @Test("With customer_consent = ask the customer is asked first; YES delivers with details, NO tells the referrer")
    func customerConsent() async throws {
        let world = try await ReferralWorld { $0.network.customerConsent = "ask" }
        try await world.daemon.store.write { db in
            let ledger = StoreLedger(db)
            guard let listing = try ledger.listing(id: 1), let owner = try ledger.member(id: 1),
                let referrer = try ledger.member(id: 2)
            else { return }
            let terms = AgreementTerms(
                listing: listing, owner: owner, referrer: referrer,
                standard: StandardAgreement(source: try String(contentsOfFile: templatesDirectory + "/agreement.mustache", encoding: .utf8)),
                botName: "Example Referral Network")
            var agreement = Agreement(
                listingId: 1, ownerId: 1, referrerId: 2, version: terms.version, sha256: terms.sha256, ownerAgreedAt: 0,
                referrerAgreedAt: 0, referrerMethod: .reply)
            try ledger.save(&agreement)
        }
        let sent = try await world.refer()
        let question = try the("customer.consent", to: "carol@diaz.example", in: sent)
        #expect(!sent.contains { $0.event == "referral.received" })
        #expect(question.textBody.contains("mailto:\(try #require(question.replyAddress))?subject=YES&body=YES"))
        let yes = try await world.send(
            from: "Carol Diaz <carol@diaz.example>", to: try #require(question.replyAddress), subject: "Re", body: "Yes",
            authenticated: false)
        let received = try the("referral.received", to: ReferralWorld.owner, in: yes)
        #expect(received.textBody.contains("carol@diaz.example"))
        #expect(try await world.referral(1)?.consent == .granted)

        let other = try await world.refer(customer: "Dan Evans", email: "dan@evans.example")
        let ask = try the("customer.consent", to: "dan@evans.example", in: other)
        let no = try await world.send(
            from: "dan@evans.example", to: try #require(ask.replyAddress), subject: "Re", body: "NO thanks",
            authenticated: false)
        let told = try the("referral.rejected", to: ReferralWorld.referrer, in: no)
        #expect(told.textBody.contains("do not want to be introduced"))
        #expect(!no.contains { $0.event == "referral.received" })
        let declined = try #require(try await world.referral(2))
        #expect(declined.consent == .refused)
        #expect(declined.state == .rejected)
    }

    @Test("STATUS answers with the dashboard: counts, money, credits and what waits, with links")
    func dashboard() async throws {
        let world = try await ReferralWorld()
        let first = try await world.refer()
        _ = try await world.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        _ = try await world.send(from: ReferralWorld.owner, subject: "ACCEPT R-1")
        _ = try await world.send(from: ReferralWorld.owner, subject: "WON R-1 5000 USD")
        _ = try await world.refer(customer: "Dan Evans", email: "dan@evans.example")
        try await world.daemon.store.write { db in
            try db.execute(
                sql: "INSERT INTO announcement (title, body, createdAt) VALUES ('Asking for referrals', 'x', 1)")
        }
        let status = try await world.send(from: ReferralWorld.owner, subject: "STATUS", authenticated: false)
        let dashboard = try the("dashboard", to: ReferralWorld.owner, in: status)
        #expect(dashboard.header("Auto-Submitted") == "auto-replied")
        let body = dashboard.textBody
        #expect(body.contains("Referrals you received: 2"))
        #expect(body.contains("Referrals you accepted:       50% (1 of 2)"))
        #expect(body.contains("Revenue won:                  $5,000.00"))
        #expect(body.contains("Rewards you owe:              $500.00"))
        #expect(body.contains("Credits:                      9"))
        #expect(body.contains("R-2: Dan Evans"))
        #expect(body.contains("ACCEPT by mail: mailto:referrals+"))
        #expect(body.contains("Latest training: Asking for referrals"))
    }
}

@Suite("Dashboard of a busy member")
struct BusyDashboardTests {
    @Test("STATUS lists the oldest waiting items (the nearest to expiring) up to its limit and counts the rest")
    func waitingIsCapped() async throws {
        let world = try await ReferralWorld()
        let extra = StatusHandler.waitingListed + 5
        _ = try await world.refer()
        // More referrals waiting on the owner than the dashboard lists, delivered as REFER would leave them.
        try await world.daemon.store.write { db in
            let first = try Referral.fetchOne(db, sql: "SELECT * FROM referral")!
            for index in 0..<extra {
                var copy = first
                copy.id = nil
                copy.customerName = "Customer \(index)"
                copy.customerEmail = "customer\(index)@example.net"
                copy.deliveredAt = first.createdAt
                try copy.insert(db)
            }
        }
        let status = try await world.send(from: ReferralWorld.owner, subject: "STATUS", authenticated: false)
        let body = try the("dashboard", to: ReferralWorld.owner, in: status).textBody
        let listed = body.split(separator: "\n").filter { $0.contains("waits for your answer") }
        #expect(listed.count == StatusHandler.waitingListed)
        #expect(body.contains("Customer 0 for"), "the oldest first")
        #expect(!body.contains("Customer \(extra - 1) for"))
        #expect(body.contains("…and 5 more."), "\(body)")
        #expect(body.contains("Referrals you received: \(extra)"), "counts still cover them all")
    }
}

@Suite("Agreement terms")
struct AgreementTermsTests {
    @Test("SHA-256 matches the FIPS 180-4 test vectors, across block boundaries")
    func digestVectors() {
        #expect(TextDigest.sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(TextDigest.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            TextDigest.sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(
            TextDigest.sha256Hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("The standard text names its version, fills in the listing and parties; custom terms are kept as written")
    func terms() throws {
        let standard = StandardAgreement(
            source: try String(contentsOfFile: templatesDirectory + "/agreement.mustache", encoding: .utf8))
        #expect(standard.version == "2026-11-1")
        #expect(!standard.template.lowercased().contains("version: 2026"))
        let owner = Member(id: 1, email: "bob@example.org", name: "Bob", state: .active, joinedAt: 0)
        let referrer = Member(id: 2, email: "alice@example.org", name: "Alice", state: .active, joinedAt: 0)
        var listing = Listing(
            id: 3, ownerId: 1, title: "Kitchen remodels", category: "Home", customer: "Homeowners",
            reward: .percentOfSale(basisPoints: 1000), state: .live, createdAt: 0)
        let filled = AgreementTerms(listing: listing, owner: owner, referrer: referrer, standard: standard, botName: "Net")
        #expect(filled.version == "2026-11-1")
        #expect(filled.text.contains("Listing: L-3 \"Kitchen remodels\""))
        #expect(filled.text.contains("Reward: 10% of sale"))
        #expect(filled.text.contains("Referrer: alice@example.org"))
        #expect(!filled.text.contains("{{"))
        #expect(filled.sha256 == TextDigest.sha256Hex(Array(filled.text.utf8)))

        listing.reward = .perSale(Money(amountMinor: 50_000, currency: "USD"))
        let changed = AgreementTerms(listing: listing, owner: owner, referrer: referrer, standard: standard, botName: "Net")
        #expect(changed.sha256 != filled.sha256, "a changed reward asks again")

        listing.terms = .custom("Our own terms.\nPay in 14 days.")
        let custom = AgreementTerms(listing: listing, owner: owner, referrer: referrer, standard: standard, botName: "Net")
        #expect(custom.version == Agreement.customVersion)
        #expect(custom.text == "Our own terms.\nPay in 14 days.\n")
    }
}
