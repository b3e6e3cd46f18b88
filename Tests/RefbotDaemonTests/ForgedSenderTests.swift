import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// Every row of every table that holds the network's state: members, listings, connections,
/// follows, referrals, agreements, announcements, digests and the search index. Queues, logs,
/// reply tags and held commands are left out: holding a command for confirmation adds to those.
func stateSnapshot(_ store: Store) async throws -> [String: [String]] {
    try await store.read { db in
        let bookkeeping: Set<String> = [
            "inboundMessage", "outboxMessage", "errorReply", "bounce", "replyToken", "heldCommand", "linkUse", "commandSeen",
            "unprovenReply", "adminNotice",
        ]
        let tables = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%'")
        var snapshot: [String: [String]] = [:]
        for table in tables where !bookkeeping.contains(table) {
            snapshot[table] = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map(\.description).sorted()
        }
        return snapshot
    }
}

/// One state-changing command as a forger would send it in a member's name, with the state it needs.
struct ForgedCommand: Sendable, CustomTestStringConvertible {
    enum Setup: Sendable {
        case none
        /// Alice has sent STOP.
        case stopped
        /// Alice follows Bob.
        case following
        /// Alice has 3 reward points.
        case points
        /// Carl asked Bob to connect: C-3.
        case connectRequest
        /// Carl posted L-3, waiting for review.
        case pendingListing
        /// Alice referred Carol Diaz to L-1 (R-1) and has not agreed to the terms yet.
        case referred
        /// R-1 reached Bob.
        case delivered
        /// Bob accepted R-1.
        case accepted
        /// Bob won R-1.
        case won
        /// Bob paid R-1.
        case paid
    }

    let word: CommandWord
    /// The member whose address is forged.
    let victim: String
    let subject: String
    var body: String = ""
    var setup: Setup = .none

    var testDescription: String { "\(subject) from \(victim)" }
}

extension ReferralWorld {
    static let admin = "admin@example.org"

    /// Brings the world to the state a command needs, with authenticated mail from the right people.
    func prepare(_ setup: ForgedCommand.Setup) async throws {
        switch setup {
        case .none:
            return
        case .stopped:
            _ = try await send(from: Self.referrer, subject: "STOP")
        case .following:
            _ = try await send(from: Self.referrer, subject: "FOLLOW \(Self.owner)")
        case .points:
            try await daemon.store.write { db in
                let ledger = StoreLedger(db)
                guard var alice = try ledger.member(email: Self.referrer) else { return }
                alice.points = 3
                try ledger.save(&alice)
            }
        case .connectRequest:
            _ = try await send(from: Self.stranger, subject: "CONNECT \(Self.owner)")
        case .pendingListing:
            _ = try await send(
                from: Self.stranger, subject: "LISTING",
                body: "Title: Garden sheds\nCategory: Home improvement\nLocation: Springfield\nCustomer: Homeowners\nReward: none")
        case .referred:
            _ = try await refer()
        case .delivered:
            try await prepare(.referred)
            _ = try await send(from: Self.referrer, subject: "AGREE \(listingRef)")
        case .accepted:
            try await prepare(.delivered)
            _ = try await send(from: Self.owner, subject: "ACCEPT R-1")
        case .won:
            try await prepare(.accepted)
            _ = try await send(from: Self.owner, subject: "WON R-1 $5,000")
        case .paid:
            try await prepare(.won)
            _ = try await send(from: Self.owner, subject: "PAID R-1")
        }
    }

    /// Delivers one raw mail, runs one pass, and returns the mails sent in that pass.
    func deliver(_ raw: String) async throws -> [ParsedMessage] {
        let before = submitter.accepted.count
        mailbox.deliver(raw)
        _ = try await daemon.runOnce()
        return try submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
    }
}

@Suite("Forged From: on every state-changing command")
struct ForgedSenderTests {
    static let cases: [ForgedCommand] = [
        ForgedCommand(word: .profile, victim: ReferralWorld.referrer, subject: "PROFILE", body: "City: Forgedville"),
        ForgedCommand(word: .leave, victim: ReferralWorld.referrer, subject: "LEAVE"),
        ForgedCommand(word: .forget, victim: ReferralWorld.referrer, subject: "FORGET"),
        ForgedCommand(word: .stop, victim: ReferralWorld.referrer, subject: "STOP"),
        ForgedCommand(word: .start, victim: ReferralWorld.referrer, subject: "START", setup: .stopped),
        ForgedCommand(
            word: .listing, victim: ReferralWorld.referrer, subject: "LISTING",
            body: "Title: Cheap leads\nCategory: Marketing\nLocation: Anywhere\nCustomer: Anyone\nReward: none"),
        ForgedCommand(word: .close, victim: ReferralWorld.owner, subject: "CLOSE L-1"),
        ForgedCommand(word: .follow, victim: ReferralWorld.referrer, subject: "FOLLOW \(ReferralWorld.owner)"),
        ForgedCommand(
            word: .unfollow, victim: ReferralWorld.referrer, subject: "UNFOLLOW \(ReferralWorld.owner)", setup: .following),
        ForgedCommand(word: .connect, victim: ReferralWorld.stranger, subject: "CONNECT \(ReferralWorld.owner)"),
        ForgedCommand(word: .accept, victim: ReferralWorld.owner, subject: "ACCEPT C-3", setup: .connectRequest),
        ForgedCommand(word: .reject, victim: ReferralWorld.owner, subject: "REJECT C-3", setup: .connectRequest),
        ForgedCommand(word: .accept, victim: ReferralWorld.owner, subject: "ACCEPT R-1", setup: .delivered),
        ForgedCommand(word: .reject, victim: ReferralWorld.owner, subject: "REJECT R-1 Fully booked", setup: .delivered),
        ForgedCommand(
            word: .refer, victim: ReferralWorld.referrer, subject: "REFER L-1",
            body: "Customer: Dan Evans\nEmail: dan@evans.example\nNeed: A new kitchen\nConsent: yes"),
        ForgedCommand(word: .agree, victim: ReferralWorld.referrer, subject: "AGREE L-1", setup: .referred),
        ForgedCommand(word: .contacted, victim: ReferralWorld.owner, subject: "CONTACTED R-1", setup: .accepted),
        ForgedCommand(word: .won, victim: ReferralWorld.owner, subject: "WON R-1 $5,000", setup: .accepted),
        ForgedCommand(word: .lost, victim: ReferralWorld.owner, subject: "LOST R-1 went elsewhere", setup: .accepted),
        ForgedCommand(word: .paid, victim: ReferralWorld.owner, subject: "PAID R-1", setup: .won),
        ForgedCommand(word: .received, victim: ReferralWorld.referrer, subject: "RECEIVED R-1", setup: .paid),
        ForgedCommand(word: .dispute, victim: ReferralWorld.referrer, subject: "DISPUTE R-1 The sale was larger", setup: .won),
        ForgedCommand(word: .redeem, victim: ReferralWorld.referrer, subject: "REDEEM 2", setup: .points),
        ForgedCommand(word: .grant, victim: ReferralWorld.admin, subject: "GRANT \(ReferralWorld.stranger) 50"),
        ForgedCommand(word: .approve, victim: ReferralWorld.admin, subject: "APPROVE L-3", setup: .pendingListing),
        ForgedCommand(word: .decline, victim: ReferralWorld.admin, subject: "DECLINE L-3 Not a fit", setup: .pendingListing),
        ForgedCommand(word: .feature, victim: ReferralWorld.admin, subject: "FEATURE L-1 7"),
        ForgedCommand(word: .announce, victim: ReferralWorld.admin, subject: "ANNOUNCE", body: "Title: Forged\n\nClick here."),
        ForgedCommand(word: .recognition, victim: ReferralWorld.referrer, subject: "RECOGNITION off"),
    ]

    @Test("The table covers every command that needs a proven sender")
    func coversEveryWord() {
        let covered = Set(Self.cases.map(\.word))
        let needing = Set(CommandWord.allCases.filter { SenderAuthentication.needsProof($0) })
        #expect(needing.subtracting(covered).isEmpty, "not covered: \(needing.subtracting(covered))")
    }

    @Test("A forged command changes nothing and only asks the real owner to CONFIRM, capped; authenticated it acts",
          arguments: ForgedSenderTests.cases)
    func forged(_ command: ForgedCommand) async throws {
        let world = try await ReferralWorld()
        try await world.prepare(command.setup)
        let domain = String(command.victim.split(separator: "@").last ?? "")
        let now = world.clock.now
        // A genuine tag, but made for the forger's own address.
        let othersTag = try await world.daemon.store.write { db in
            try StoreLedger(db).makeReplyTag(
                for: "mallory@evil.example", action: "unsubscribe", ref: nil, now: now, expiresAt: now + 86_400
            ).token
        }
        let bot = "referrals@example.org"
        // Each way a forger might dress the mail up; none of them proves the From: address.
        let forgeries: [(to: String, headers: [String])] = [
            (bot, []),
            (bot, ["Authentication-Results: evil.example.net; dmarc=pass header.from=\(domain)"]),
            (bot, ["Authentication-Results: mx.example.org; dmarc=fail header.from=\(domain); dkim=pass header.d=evil.example.net"]),
            (bot, ["Authentication-Results: mx.example.org; dmarc=pass header.from=evil.example.net"]),
            ("referrals+\(othersTag)@example.org", []),
            // Past mail.error_replies_per_hour (5) no more confirmations go out.
            (bot, ["Sender: mallory@evil.example"]),
        ]
        let before = try await stateSnapshot(world.daemon.store)
        var confirmations = 0
        for (index, forgery) in forgeries.enumerated() {
            let sent = try await world.deliver(
                mail(from: command.victim, to: forgery.to, subject: command.subject, body: command.body, extraHeaders: forgery.headers))
            #expect(sent.allSatisfy { $0.event == "command.confirm" }, "forgery \(index): \(sent.map(\.event))")
            #expect(sent.allSatisfy { $0.recipients == [command.victim] }, "forgery \(index)")
            confirmations += sent.count
            #expect(try await stateSnapshot(world.daemon.store) == before, "forgery \(index) changed the state")
        }
        #expect(confirmations == 5)

        // The same command from the proven owner does change the state, so the comparison above can fail.
        let real = try await world.deliver(
            mail(from: command.victim, subject: command.subject, body: command.body, authenticated: true))
        #expect(!real.contains { $0.event == "command.confirm" || $0.event == "command.error" }, "\(real.map(\.event))")
        #expect(try await stateSnapshot(world.daemon.store) != before)
    }

    @Test("A customer's YES or NO forged without the customer's own reply address changes nothing")
    func forgedCustomerAnswer() async throws {
        let world = try await ReferralWorld { $0.network.customerConsent = "ask" }
        try await world.prepare(.delivered)
        let carol = "carol@diaz.example"
        let sentToDan = try await world.refer(customer: "Dan Evans", email: "dan@evans.example")
        let dansQuestion = try the("customer.consent", to: "dan@evans.example", in: sentToDan)
        let dansAddress = try #require(dansQuestion.replyAddress)
        let carolsQuestion = try #require(
            try world.submitter.accepted.map { try MessageParser.parse($0.data) }
                .first { $0.event == "customer.consent" && $0.recipients == [carol] })
        let carolsAddress = try #require(carolsQuestion.replyAddress)
        #expect(try await world.referral(1)?.consent == .asked)

        let before = try await stateSnapshot(world.daemon.store)
        for word in ["YES", "NO"] {
            for (to, subject) in [
                ("referrals@example.org", word), ("referrals@example.org", "\(word) R-1"), (dansAddress, "\(word) R-1"),
            ] {
                let sent = try await world.deliver(mail(from: carol, to: to, subject: subject, body: "", authenticated: true))
                #expect(sent.allSatisfy { $0.event == "command.error" }, "\(subject) to \(to)")
                #expect(try await stateSnapshot(world.daemon.store) == before, "\(subject) to \(to)")
            }
        }
        let yes = try await world.deliver(mail(from: carol, to: carolsAddress, subject: "Re", body: "YES"))
        #expect(yes.contains { $0.event == "referral.received" })
        #expect(try await world.referral(1)?.consent == .granted)
    }

    @Test("A forged JOIN does not rewrite a pending member's details, nor bring back one who left")
    func forgedJoin() async throws {
        let world = try await ReferralWorld()
        let carol = "carol@diaz.example"
        let first = try await world.deliver(
            mail(from: "Carol Diaz <\(carol)>", subject: "JOIN", body: "Name: Carol Diaz\nBusiness: Diaz Kitchens"))
        let confirmAddress = try #require(try the("member.confirm", to: carol, in: first).replyAddress)

        let before = try await stateSnapshot(world.daemon.store)
        let forged = try await world.deliver(
            mail(from: carol, subject: "JOIN", body: "Name: Mallory Spam\nBusiness: Buy pills\nWebsite: https://evil.example"))
        #expect(forged.map(\.event) == ["command.confirm"])
        #expect(forged.first?.recipients == [carol])
        #expect(try await stateSnapshot(world.daemon.store) == before)

        // Carol's own CONFIRM makes her a member with the details she sent.
        let welcome = try await world.deliver(mail(from: carol, to: confirmAddress, subject: "Re", body: "CONFIRM"))
        #expect(welcome.map(\.event) == ["member.welcome"])
        let member = try #require(try await world.member(carol))
        #expect(member.state == .active)
        #expect(member.name == "Carol Diaz")
        #expect(member.business == "Diaz Kitchens")

        // A member who left stays left when someone else sends JOIN in her name.
        _ = try await world.send(from: carol, subject: "LEAVE")
        let left = try await stateSnapshot(world.daemon.store)
        let again = try await world.deliver(mail(from: carol, subject: "JOIN", body: "Name: Mallory Spam"))
        #expect(again.map(\.event) == ["command.confirm"])
        #expect(try await stateSnapshot(world.daemon.store) == left)
        #expect(try await world.member(carol)?.state == .left)

        // Proven, her JOIN refreshes her details and asks her to confirm, as before.
        let proven = try await world.deliver(mail(from: carol, subject: "JOIN", body: "Name: Carol D. Diaz", authenticated: true))
        #expect(proven.map(\.event) == ["member.confirm"])
        #expect(try await world.member(carol)?.state == .pending)
        #expect(try await world.member(carol)?.name == "Carol D. Diaz")

        // A JOIN from a new address is still answered at once, to that address (double opt-in).
        let stranger = try await world.deliver(mail(from: "dan@evans.example", subject: "JOIN", body: "Name: Dan"))
        #expect(stranger.map(\.event) == ["member.confirm"])
        #expect(stranger.first?.recipients == ["dan@evans.example"])
    }
}
