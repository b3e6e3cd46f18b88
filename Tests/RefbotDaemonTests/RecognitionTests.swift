import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// The monthly `recognition.monthly` mail, `RECOGNITION off|on` and the rank in STATUS, over real
/// SQLite with fake transports. ReferralWorld's members: Bob (owner of L-1), Alice (referrer),
/// Carl (owner of L-2, connected to Alice).
@Suite("Monthly recognition")
struct RecognitionTests {
    /// 2026-12-01T00:00:00Z and 2027-01-01T00:00:00Z.
    static let december = RecognitionMonth(year: 2026, month: 12)!
    static let january = RecognitionMonth(year: 2027, month: 1)!

    static func world(top: Int = 5) async throws -> ReferralWorld {
        try await ReferralWorld(configure: { $0.network.recognitionTop = top })
    }

    /// A referral from `referrer` to `owner`'s listing that reached the owner at `deliveredAt`, was
    /// accepted at `acceptedAt` and marked WON (with an amount) at `wonAt`, as the handlers store it.
    @discardableResult
    static func referral(
        _ world: ReferralWorld, from referrer: String, to owner: String, deliveredAt: Int64, acceptedAt: Int64? = nil,
        wonAt: Int64? = nil, amount: Int64 = 123_456
    ) async throws -> Int64 {
        try await world.daemon.store.write { db in
            let ledger = StoreLedger(db)
            let from = try #require(try ledger.member(email: referrer))
            let to = try #require(try ledger.member(email: owner))
            let listing = try #require(
                try Int64.fetchOne(db, sql: "SELECT id FROM listing WHERE ownerId = ? LIMIT 1", arguments: [to.id]))
            var referral = Referral(
                listingId: listing, ownerId: to.id ?? 0, referrerId: from.id ?? 0, customerName: "Dee Customer",
                need: "A new kitchen", createdAt: deliveredAt, deliveredAt: deliveredAt)
            try ledger.save(&referral)
            if let acceptedAt {
                referral.state = .accepted
                referral.acceptedAt = acceptedAt
                referral.updatedAt = acceptedAt
                try ledger.save(&referral)
            }
            if let wonAt {
                referral.state = .won
                referral.wonAmount = Money(amountMinor: amount, currency: "USD")
                referral.rewardOwed = Money(amountMinor: amount / 10, currency: "USD")
                referral.updatedAt = wonAt
                try ledger.save(&referral)
            }
            return referral.id ?? 0
        }
    }

    /// Runs one pass and returns the recognition mails it sent.
    static func recognitionMails(_ world: ReferralWorld) async throws -> [ParsedMessage] {
        let before = world.submitter.accepted.count
        _ = try await world.daemon.runOnce()
        return try world.submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
            .filter { $0.event == "recognition.monthly" }
    }

    static func moveClock(_ world: ReferralWorld, to time: Int64) {
        world.clock.advance(by: time - world.clock.now)
    }

    /// Any money figure: a currency sign or code, or a number with decimals or thousands separators.
    /// The first money figure in the text outside its links (whose signed tokens are random letters and digits).
    static func moneyFigure(in text: String) -> String? {
        let prose = text.split(separator: "\n").filter { !$0.contains("://") && !$0.contains("mailto:") }.joined(separator: "\n")
        return prose.firstMatch(of: /[$€£¥]|\b(USD|EUR|GBP)\b|\d[.,]\d{2}\b|\d{1,3},\d{3}|1234|123456/).map { String($0.output.0) }
    }

    @Test("On the first pass of January every member who has not sent STOP gets December's lists: counts, never amounts, ties to whoever got there first")
    func januaryMail() async throws {
        let world = try await Self.world()
        let dec = Self.december.start
        // Alice: 2 given in December, both accepted, one won ($1,234.56). Carl: 2 given, 1 accepted
        // — Alice reached 2 given later than Carl, so Carl ranks first on that tie.
        try await Self.referral(world, from: ReferralWorld.stranger, to: ReferralWorld.owner, deliveredAt: dec + 3600, acceptedAt: dec + 7200)
        try await Self.referral(world, from: ReferralWorld.stranger, to: ReferralWorld.owner, deliveredAt: dec + 86_400)
        try await Self.referral(
            world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: dec + 2 * 86_400,
            acceptedAt: dec + 3 * 86_400, wonAt: dec + 4 * 86_400)
        try await Self.referral(
            world, from: ReferralWorld.referrer, to: ReferralWorld.stranger, deliveredAt: dec + 5 * 86_400,
            acceptedAt: dec + 6 * 86_400)
        // Bob sent STOP: he is ranked nowhere (gave nothing) and gets no mail.
        try await world.daemon.store.write { db in
            try db.execute(sql: "UPDATE member SET announcementsOff = 1 WHERE email = ?", arguments: [ReferralWorld.owner])
        }
        Self.moveClock(world, to: Self.january.start + 60)
        let mails = try await Self.recognitionMails(world)
        #expect(Set(mails.flatMap(\.recipients)) == [ReferralWorld.referrer, ReferralWorld.stranger])
        let mail = try #require(mails.first { $0.recipients == [ReferralWorld.referrer] })
        #expect(mail.subject == "Referral recognition for December 2026")
        #expect(mail.header("Auto-Submitted") == "auto-generated")
        #expect(mail.header("List-Unsubscribe")?.contains("mailto:") == true)
        let text = mail.textBody
        #expect(text.contains("Most referrals given:\n  1. Carl Stranger: 2\n  2. Alice Example: 2\n"), "\(text)")
        #expect(text.contains("Most referrals accepted:\n  1. Alice Example: 2\n  2. Carl Stranger: 1\n"), "\(text)")
        #expect(text.contains("Most referrals won:\n  1. Alice Example: 1\n"), "\(text)")
        #expect(text.contains("Referrals you gave: 2 (rank 2 of 2)"))
        #expect(text.contains("Reply RECOGNITION off to this mail"))
        #expect(Self.moneyFigure(in: text) == nil, "\(text)")
        #expect(!mail.subject.contains("$"))
    }

    @Test("Month boundaries: the last second of December counts for December, the first of January for January; January's mail goes out in February")
    func monthBoundaries() async throws {
        let world = try await Self.world()
        let newYear = Self.january.start
        try await Self.referral(world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: newYear - 1)
        try await Self.referral(world, from: ReferralWorld.stranger, to: ReferralWorld.owner, deliveredAt: newYear)
        Self.moveClock(world, to: newYear + 1)
        let january = try await Self.recognitionMails(world)
        let forDecember = try #require(january.first { $0.recipients == [ReferralWorld.owner] }).textBody
        #expect(forDecember.contains("Most referrals given:\n  1. Alice Example: 1\n"))
        #expect(!forDecember.contains("Carl Stranger"))
        Self.moveClock(world, to: Self.january.next.start)
        let february = try await Self.recognitionMails(world)
        let forJanuary = try #require(february.first { $0.recipients == [ReferralWorld.owner] })
        #expect(forJanuary.subject.contains("January 2027"))
        #expect(forJanuary.textBody.contains("Most referrals given:\n  1. Carl Stranger: 1\n"))
        #expect(!forJanuary.textBody.contains("Alice Example"))
    }

    @Test("Once per month: later passes and a restart of the daemon on the same database send nothing more")
    func oncePerMonth() async throws {
        let world = try await Self.world()
        try await Self.referral(world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: Self.december.start + 10)
        Self.moveClock(world, to: Self.january.start + 10)
        #expect(try await Self.recognitionMails(world).count == 3)
        world.clock.advance(by: 86_400)
        #expect(try await Self.recognitionMails(world).isEmpty)
        // A new daemon over the same database (a restart) reads the record.
        var configuration = testConfiguration(in: world.directory)
        configuration.network.recognitionTop = 5
        let submitter = FakeSubmitter()
        let restarted = try await buildDaemon(
            configuration, environment: [:], logger: LogCapture().logger, clock: world.clock.daemonClock,
            mailbox: FakeMailbox(), submitter: submitter)
        _ = try await restarted.runOnce()
        #expect(try submitter.accepted.map { try MessageParser.parse($0.data) }.filter { $0.event == "recognition.monthly" }.isEmpty)
        let record = try await world.daemon.store.read { db -> (Int64?, Int64?) in
            let row = try Row.fetchOne(db, sql: "SELECT queued, finishedAt FROM recognitionMonth WHERE month = '2026-12'")
            return (row?["queued"], row?["finishedAt"])
        }
        #expect(record.0 == 3)
        #expect(record.1 != nil)
    }

    @Test("A month with no referral sends nothing; network.recognition_top = 0 turns the mail and the rank in STATUS off")
    func quietMonthAndOff() async throws {
        let quiet = try await Self.world()
        Self.moveClock(quiet, to: Self.january.start + 10)
        #expect(try await Self.recognitionMails(quiet).isEmpty)
        let off = try await Self.world(top: 0)
        try await Self.referral(off, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: Self.december.start + 10)
        Self.moveClock(off, to: Self.january.start + 10)
        #expect(try await Self.recognitionMails(off).isEmpty)
        let status = try await off.send(from: "Alice Example <\(ReferralWorld.referrer)>", subject: "STATUS")
        #expect(!(try the("dashboard", to: ReferralWorld.referrer, in: status).textBody.contains("Your recognition")))
    }

    @Test("network.recognition_top cuts each list; ranks below it are not named")
    func topCut() async throws {
        let world = try await Self.world(top: 1)
        try await Self.referral(world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: Self.december.start + 10)
        try await Self.referral(world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: Self.december.start + 20)
        try await Self.referral(world, from: ReferralWorld.stranger, to: ReferralWorld.owner, deliveredAt: Self.december.start + 30)
        Self.moveClock(world, to: Self.january.start + 10)
        let mail = try #require(try await Self.recognitionMails(world).first { $0.recipients == [ReferralWorld.owner] })
        #expect(mail.textBody.contains("Most referrals given:\n  1. Alice Example: 2\n\n"))
        #expect(!mail.textBody.contains("Carl Stranger"))
    }

    @Test("RECOGNITION off by proven mail masks the member in everyone's lists and keeps the other ranks; they still see their own rank")
    func optOutByMail() async throws {
        let world = try await Self.world()
        try await Self.referral(world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: Self.december.start + 10)
        try await Self.referral(world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: Self.december.start + 20)
        try await Self.referral(world, from: ReferralWorld.stranger, to: ReferralWorld.owner, deliveredAt: Self.december.start + 30)
        let answer = try await world.send(from: "Alice Example <\(ReferralWorld.referrer)>", subject: "RECOGNITION off")
        let done = try the("command.done", to: ReferralWorld.referrer, in: answer)
        #expect(done.textBody.contains("Your rank is private now."))
        #expect(try await world.member(ReferralWorld.referrer)?.recognitionOff == true)

        Self.moveClock(world, to: Self.january.start + 10)
        let mails = try await Self.recognitionMails(world)
        #expect(mails.count == 3)
        for mail in mails {
            // Her own mail greets her by name; nobody else's names her at all.
            if mail.recipients != [ReferralWorld.referrer] {
                #expect(!mail.textBody.contains("Alice"), "\(mail.textBody)")
            }
            #expect(mail.textBody.contains("Most referrals given:\n  1. \(Recognition.privateName): 2\n  2. Carl Stranger: 1\n"))
        }
        let own = try #require(mails.first { $0.recipients == [ReferralWorld.referrer] })
        #expect(own.textBody.contains("Referrals you gave: 2 (rank 1 of 2)"))
        #expect(own.textBody.contains("Your rank is private"))

        let status = try await world.send(from: "Alice Example <\(ReferralWorld.referrer)>", subject: "STATUS")
        let dashboard = try the("dashboard", to: ReferralWorld.referrer, in: status).textBody
        #expect(dashboard.contains("Your recognition for December 2026 (counts only; amounts are never shown):"))
        #expect(dashboard.contains("Referrals you gave: 2 (rank 1 of 2)"))
        #expect(dashboard.contains("Your rank is private"))

        let back = try await world.send(from: "Alice Example <\(ReferralWorld.referrer)>", subject: "RECOGNITION on")
        #expect(try the("command.done", to: ReferralWorld.referrer, in: back).textBody.contains("You will be named"))
        #expect(try await world.member(ReferralWorld.referrer)?.recognitionOff == false)
    }

    @Test("A reply RECOGNITION off to the member's own recognition mail is proven by its reply address; the address proves no other change")
    func replyToTheMail() async throws {
        let world = try await Self.world()
        try await Self.referral(world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: Self.december.start + 10)
        Self.moveClock(world, to: Self.january.start + 10)
        let mails = try await Self.recognitionMails(world)
        let own = try #require(mails.first { $0.recipients == [ReferralWorld.referrer] })
        let replyTo = try #require(own.replyAddress)
        let profile = try await world.send(
            from: ReferralWorld.referrer, to: replyTo, subject: "Re: \(own.subject)", body: "PROFILE\nName: Mallory",
            authenticated: false)
        #expect(profile.map(\.event) == ["command.confirm"])
        #expect(try await world.member(ReferralWorld.referrer)?.name == "Alice Example")
        let answer = try await world.send(
            from: ReferralWorld.referrer, to: replyTo, subject: "Re: \(own.subject)",
            body: "RECOGNITION off\n\nOn Fri, 1 Jan 2027 at 00:00, Example Referral Network wrote:\n> Most referrals given:",
            authenticated: false)
        #expect(answer.map(\.event) == ["command.done"])
        #expect(try await world.member(ReferralWorld.referrer)?.recognitionOff == true)
    }

    @Test("A digest due on the first pass of a month already shows last month's rank")
    func digestShowsRank() async throws {
        let world = try await ReferralWorld(configure: {
            $0.network.recognitionTop = 5
            $0.network.digestDays = 7
        })
        try await Self.referral(world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: Self.december.start + 10)
        try await world.daemon.store.write { db in
            try db.execute(sql: "INSERT INTO digest (memberId, sentAt) SELECT id, ? FROM member", arguments: [Self.december.start])
        }
        Self.moveClock(world, to: Self.january.start + 10)
        let before = world.submitter.accepted.count
        _ = try await world.daemon.runOnce()
        let digests = try world.submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
            .filter { $0.event == "digest" }
        let alice = try #require(digests.first { $0.recipients == [ReferralWorld.referrer] })
        #expect(alice.textBody.contains("Your recognition for December 2026"))
        #expect(alice.textBody.contains("Referrals you gave: 1 (rank 1 of 1)"))
    }

    @Test("RECOGNITION off from an unproven sender changes nothing until the member confirms; a bad word is answered with what works")
    func forgedAndBadArgument() async throws {
        let world = try await Self.world()
        let forged = try await world.send(
            from: "Alice Example <\(ReferralWorld.referrer)>", subject: "RECOGNITION off", authenticated: false)
        #expect(forged.map(\.event) == ["command.confirm"])
        #expect(try await world.member(ReferralWorld.referrer)?.recognitionOff == false)

        let bad = try await world.send(from: "Alice Example <\(ReferralWorld.referrer)>", subject: "RECOGNITION maybe")
        #expect(bad.map(\.event) == ["command.error"])
        #expect(bad.first?.textBody.contains("RECOGNITION takes on or off, not \"maybe\".") == true)
        #expect(bad.first?.textBody.contains("Send RECOGNITION off") == true)
        let stranger = try await world.send(from: "Zed <zed@nowhere.example>", subject: "RECOGNITION off")
        #expect(stranger.allSatisfy { $0.event != "command.done" })
    }

    @Test("STATUS shows last month's rank and counts once the month is ranked, and no rank where the member had none")
    func statusRank() async throws {
        let world = try await Self.world()
        let nov = RecognitionMonth(year: 2026, month: 11)!.start
        try await Self.referral(
            world, from: ReferralWorld.referrer, to: ReferralWorld.owner, deliveredAt: nov + 10, acceptedAt: nov + 20,
            wonAt: nov + 30)
        Self.moveClock(world, to: Self.december.start + 86_400)
        // The mail is read before the scheduler's first pass of December ranks November: no rank yet.
        let early = try await world.send(from: "Alice Example <\(ReferralWorld.referrer)>", subject: "STATUS")
        #expect(!(try the("dashboard", to: ReferralWorld.referrer, in: early).textBody.contains("Your recognition")))
        let status = try await world.send(from: "Alice Example <\(ReferralWorld.referrer)>", subject: "STATUS")
        let dashboard = try the("dashboard", to: ReferralWorld.referrer, in: status).textBody
        #expect(dashboard.contains("Your recognition for November 2026"))
        #expect(dashboard.contains("Referrals you gave: 1 (rank 1 of 1)"))
        #expect(dashboard.contains("Of yours accepted: 1 (rank 1 of 1)"))
        #expect(dashboard.contains("Of yours won: 1 (rank 1 of 1)"))
        let carl = try await world.send(from: "Carl Stranger <\(ReferralWorld.stranger)>", subject: "STATUS")
        let his = try the("dashboard", to: ReferralWorld.stranger, in: carl).textBody
        #expect(his.contains("Referrals you gave: 0\n"))
        #expect(!his.contains("Your rank is private"))
    }
}

@Suite("network.recognition_top")
struct RecognitionConfigTests {
    static let minimal = """
        [bot]
        address = "referrals@example.org"
        [imap]
        url = "imaps://mail.example.org/INBOX"
        username = "referrals@example.org"
        [smtp]
        url = "smtps://mail.example.org"
        """
    static let environment = ["REFBOT_IMAP_PASSWORD": "x"]

    @Test("Defaults to 5; 0 and 50 are read; 51, -1 and \"five\" are refused naming the key and what would work")
    func values() throws {
        #expect(try Configuration.parse(Self.minimal, environment: Self.environment).network.recognitionTop == 5)
        for top in [0, 50] {
            let c = try Configuration.parse(Self.minimal + "\n[network]\nrecognition_top = \(top)\n", environment: Self.environment)
            #expect(c.network.recognitionTop == top)
        }
        for bad in ["51", "-1", "\"five\""] {
            #expect {
                _ = try Configuration.parse(Self.minimal + "\n[network]\nrecognition_top = \(bad)\n", environment: Self.environment)
            } throws: { error in
                guard let error = error as? ConfigError, error.problems.count == 1, let problem = error.problems.first else {
                    return false
                }
                return problem.key == "network.recognition_top" && !problem.remedy.isEmpty
                    && (bad == "51" ? problem.remedy.contains("from 0 (no recognition mail) to 50") : true)
            }
        }
    }
}
