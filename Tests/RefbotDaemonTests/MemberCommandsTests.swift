import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import RefbotTestSupport
import Testing

/// A daemon over real SQLite with fake transports, and ways to read what it sent.
struct MemberHarness {
    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let clock = ManualClock()
    let logs = LogCapture()
    let daemon: Daemon

    init(configure: (inout RefbotDaemon.Configuration) -> Void = { _ in }) async throws {
        directory = try TemporaryDirectory()
        var configuration = testConfiguration(in: directory)
        configure(&configuration)
        daemon = try await buildDaemon(
            configuration, environment: [:], logger: logs.logger, clock: clock.daemonClock, mailbox: mailbox,
            submitter: submitter)
    }

    /// Delivers one mail, runs one pass, and returns the mails sent during it.
    @discardableResult
    func send(_ raw: String) async throws -> [ParsedMessage] {
        let before = submitter.accepted.count
        mailbox.deliver(raw)
        _ = try await daemon.runOnce()
        return try submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
    }

    /// A stored member.
    @discardableResult
    func addMember(
        _ email: String, name: String, state: MemberState = .active, credits: Int = 10, points: Int = 0,
        bounceCount: Int = 0, bounceStopped: Bool = false
    ) async throws -> Member {
        try await daemon.store.write { db in
            var member = Member(
                email: email, name: name, state: state, credits: credits, points: points, bounceCount: bounceCount,
                joinedAt: 1_789_000_000, confirmedAt: state == .active ? 1_789_000_000 : nil)
            if bounceStopped { member.bounceStoppedAt = 1_789_000_000 }
            try StoreLedger(db).save(&member)
            return member
        }
    }

    /// Lets `seconds` pass and runs one pass; returns the mails sent during it (paced announcements).
    func later(_ seconds: Int64) async throws -> [ParsedMessage] {
        let before = submitter.accepted.count
        clock.advance(by: seconds)
        _ = try await daemon.runOnce()
        return try submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
    }

    func member(_ email: String) async throws -> Member? {
        try await daemon.store.read { db in try StoreLedger(db).member(email: email) }
    }

    /// The member's reply tag for `action`, made now and owned by `email`.
    func tag(for email: String, action: String) async throws -> String {
        try await daemon.store.write { db in
            try StoreLedger(db).makeReplyTag(for: email, action: action, ref: nil, now: clock.now, expiresAt: clock.now + 86_400)
                .token
        }
    }
}

extension ParsedMessage {
    /// `X-Refbot-Event`.
    var memberEvent: String? { header("X-Refbot-Event") }
    /// The tagged Reply-To address.
    var memberReplyAddress: String? { replyTo.first?.address }
}

@Suite("Member commands")
struct MemberCommandsTests {
    @Test("JOIN makes a pending member and mails member.confirm; CONFIRM to its Reply-To makes her active and welcomes her")
    func joinAndConfirm() async throws {
        let bot = try await MemberHarness()
        let sent = try await bot.send(
            mail(from: "Carol Diaz <carol@example.com>", subject: "JOIN", body: "Name: Carol Diaz\nBusiness: Diaz Kitchens\nCity: Springfield"))
        try #require(sent.count == 1)
        #expect(sent[0].memberEvent == "member.confirm")
        #expect(sent[0].to.map(\.address) == ["carol@example.com"])
        #expect(sent[0].header("Auto-Submitted") == "auto-replied")
        let reply = try #require(sent[0].memberReplyAddress)
        #expect(reply.hasPrefix("referrals+"))
        #expect(sent[0].textBody.contains("CONFIRM"))
        #expect(sent[0].textBody.contains("mailto:\(reply)?subject=CONFIRM&body=CONFIRM"))
        #expect(sent[0].textBody.contains("> Name: Carol Diaz"))
        #expect(sent[0].htmlBody?.contains("href=\"mailto:\(reply)?subject=CONFIRM&amp;body=CONFIRM\"") == true)
        let pending = try #require(try await bot.member("carol@example.com"))
        #expect(pending.state == .pending)
        #expect(pending.credits == 10)
        #expect(pending.business == "Diaz Kitchens")

        let welcome = try await bot.send(mail(from: "carol@example.com", to: reply, subject: "Re: Please confirm", body: "CONFIRM\n\n> quoted"))
        try #require(welcome.count == 1)
        #expect(welcome[0].memberEvent == "member.welcome")
        #expect(welcome[0].textBody.contains("10 credits"))
        #expect(welcome[0].textBody.contains("LISTING"))
        let active = try #require(try await bot.member("carol@example.com"))
        #expect(active.state == .active)
        #expect(active.confirmedAt == bot.clock.now)
    }

    @Test("JOIN without a name is refused and names the Name field")
    func joinNeedsName() async throws {
        let bot = try await MemberHarness()
        let sent = try await bot.send(mail(subject: "JOIN", body: "City: Springfield"))
        #expect(sent.map(\.memberEvent) == ["command.error"])
        #expect(sent.first?.textBody.contains("Name") == true)
        #expect(try await bot.member("alice@example.com") == nil)
    }

    @Test("JOIN from an active member is a friendly error that points to PROFILE")
    func joinTwice() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        let sent = try await bot.send(mail(subject: "JOIN", body: "Name: Alice"))
        #expect(sent.map(\.memberEvent) == ["command.error"])
        #expect(sent.first?.textBody.contains("already a member") == true)
        #expect(sent.first?.textBody.contains("PROFILE") == true)
    }

    @Test("CONFIRM to someone else's JOIN tag does not make them a member")
    func confirmFromAnotherAddress() async throws {
        let bot = try await MemberHarness()
        let sent = try await bot.send(mail(from: "carol@example.com", subject: "JOIN", body: "Name: Carol"))
        let reply = try #require(sent.first?.memberReplyAddress)
        let answer = try await bot.send(mail(from: "mallory@example.net", to: reply, subject: "CONFIRM", body: "CONFIRM"))
        #expect(answer.map(\.memberEvent) == ["command.error"])
        #expect(answer.first?.to.map(\.address) == ["mallory@example.net"])
        #expect(try await bot.member("carol@example.com")?.state == .pending)
    }

    @Test("Bare PROFILE shows the profile; PROFILE with fields updates it and answers command.done")
    func profile() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        let shown = try await bot.send(mail(subject: "PROFILE", body: ""))
        #expect(shown.map(\.memberEvent) == ["profile"])
        #expect(shown.first?.textBody.contains("Name: Alice") == true)

        let updated = try await bot.send(
            mail(subject: "PROFILE", body: "City: Springfield\nBusiness: Alice Bakes", authenticated: true))
        #expect(updated.map(\.memberEvent) == ["command.done"])
        #expect(updated.first?.textBody.contains("City: Springfield") == true)
        let member = try #require(try await bot.member("alice@example.com"))
        #expect(member.city == "Springfield")
        #expect(member.business == "Alice Bakes")
        #expect(member.name == "Alice")
    }

    @Test("Member commands from someone who is not a member say how to JOIN", arguments: ["PROFILE", "CREDITS", "STOP", "EXPORT"])
    func notAMember(word: String) async throws {
        let bot = try await MemberHarness()
        let sent = try await bot.send(mail(subject: word, body: "", authenticated: true))
        #expect(sent.map(\.memberEvent) == ["command.error"])
        #expect(sent.first?.textBody.contains("JOIN") == true)
    }

    @Test("STOP and START switch announcements off and on, each answered with command.done")
    func stopStart() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        #expect(try await bot.send(mail(subject: "STOP", body: "", authenticated: true)).map(\.memberEvent) == ["command.done"])
        #expect(try await bot.member("alice@example.com")?.announcementsOff == true)
        #expect(try await bot.send(mail(subject: "START", body: "", authenticated: true)).map(\.memberEvent) == ["command.done"])
        #expect(try await bot.member("alice@example.com")?.announcementsOff == false)
    }

    @Test("CREDITS shows credits and points and how to REDEEM; REDEEM turns points into credits")
    func creditsAndRedeem() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice", credits: 2, points: 3)
        let shown = try await bot.send(mail(subject: "CREDITS", body: ""))
        #expect(shown.map(\.memberEvent) == ["credits"])
        let text = try #require(shown.first?.textBody)
        #expect(text.contains("2 credits and 3 points"))
        #expect(text.contains("REDEEM 3"))

        let redeemed = try await bot.send(mail(subject: "REDEEM 2", body: "", authenticated: true))
        #expect(redeemed.map(\.memberEvent) == ["command.done"])
        #expect(redeemed.first?.textBody.contains("You turned 2 points into 2 credits") == true)
        let member = try #require(try await bot.member("alice@example.com"))
        #expect(member.credits == 4)
        #expect(member.points == 1)

        let tooMany = try await bot.send(mail(subject: "REDEEM 5", body: "", authenticated: true))
        #expect(tooMany.map(\.memberEvent) == ["command.error"])
        #expect(try await bot.member("alice@example.com")?.points == 1)
    }

    @Test("GRANT from an admin gives credits, answers the admin and tells the member")
    func grant() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("carol@example.com", name: "Carol", credits: 1)
        let sent = try await bot.send(
            mail(from: "admin@example.org", subject: "GRANT carol@example.com 5", body: "", authenticated: true))
        #expect(Set(sent.compactMap(\.memberEvent)) == ["command.done", "credits.granted"])
        let done = try #require(sent.first { $0.memberEvent == "command.done" })
        #expect(done.to.map(\.address) == ["admin@example.org"])
        #expect(done.textBody.contains("Gave 5 credits to carol@example.com"))
        let notice = try #require(sent.first { $0.memberEvent == "credits.granted" })
        #expect(notice.to.map(\.address) == ["carol@example.com"])
        #expect(notice.header("Auto-Submitted") == "auto-generated")
        #expect(try await bot.member("carol@example.com")?.credits == 6)
    }

    @Test("GRANT from a member who is not an admin, or to an unknown address, changes nothing")
    func grantRefused() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice", credits: 1)
        let notAdmin = try await bot.send(mail(subject: "GRANT alice@example.com 50", body: "", authenticated: true))
        #expect(notAdmin.map(\.memberEvent) == ["command.error"])
        #expect(notAdmin.first?.textBody.contains("admins") == true)
        let unknown = try await bot.send(
            mail(from: "admin@example.org", subject: "GRANT nobody@example.com 5", body: "", authenticated: true))
        #expect(unknown.map(\.memberEvent) == ["command.error"])
        #expect(unknown.first?.textBody.contains("nobody@example.com") == true)
        #expect(try await bot.member("alice@example.com")?.credits == 1)
    }

    @Test("LEAVE marks the member left; afterwards member commands say how to JOIN again")
    func leave() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        #expect(try await bot.send(mail(subject: "LEAVE", body: "", authenticated: true)).map(\.memberEvent) == ["command.done"])
        let member = try #require(try await bot.member("alice@example.com"))
        #expect(member.state == .left)
        #expect(member.leftAt == bot.clock.now)
        let after = try await bot.send(mail(subject: "CREDITS", body: ""))
        #expect(after.map(\.memberEvent) == ["command.error"])
        #expect(after.first?.textBody.contains("JOIN") == true)
    }

    @Test("EXPORT mails the member's own data as an RFC 4180 CSV attachment")
    func export() async throws {
        let bot = try await MemberHarness()
        let alice = try await bot.addMember("alice@example.com", name: "Alice, \"the baker\"")
        let bob = try await bot.addMember("bob@example.com", name: "Bob")
        try await bot.daemon.store.write { db in
            var listing = Listing(
                ownerId: try #require(alice.id), title: "Wedding cakes", category: "Food", customer: "Couples",
                reward: .none, terms: .standard, state: .live, createdAt: 1_789_000_000, updatedAt: 1_789_000_000)
            try StoreLedger(db).save(&listing)
            var other = Listing(
                ownerId: try #require(bob.id), title: "Bob's listing", category: "Food", customer: "Anyone",
                reward: .none, terms: .standard, state: .live, createdAt: 1_789_000_000, updatedAt: 1_789_000_000)
            try StoreLedger(db).save(&other)
        }
        let sent = try await bot.send(mail(subject: "EXPORT", body: ""))
        #expect(sent.map(\.memberEvent) == ["export"])
        let part = try #require(sent.first?.parts.first { $0.filename?.hasSuffix(".csv") == true })
        let csv = String(decoding: part.body, as: UTF8.self)
        let lines = csv.components(separatedBy: "\r\n")
        #expect(lines.first?.hasPrefix("section,ref,state,created,counterpart,name") == true)
        #expect(csv.contains("profile,alice@example.com,active,"))
        #expect(csv.contains("\"Alice, \"\"the baker\"\"\""))
        #expect(csv.contains("listing,L-1,live,"))
        #expect(csv.contains("Wedding cakes"))
        #expect(!csv.contains("Bob's listing"))
    }

    @Test("ANNOUNCE mails every active member who has not sent STOP, with List-Unsubscribe; STOP to that address unsubscribes")
    func announce() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        try await bot.addMember("bob@example.com", name: "Bob")
        try await bot.addMember("carol@example.com", name: "Carol", state: .pending)
        try await bot.daemon.store.write { db in
            var dave = Member(email: "dave@example.com", name: "Dave", state: .active, announcementsOff: true, joinedAt: 1)
            try StoreLedger(db).save(&dave)
        }
        let sent = try await bot.send(
            mail(
                from: "admin@example.org", subject: "ANNOUNCE",
                body: "Title: Asking for referrals\nLink: https://example.org/training\n\nThree ways to ask.\nSecond line.",
                authenticated: true))
            + (try await bot.later(60))
        let done = try #require(sent.first { $0.memberEvent == "command.done" })
        #expect(done.textBody.contains("queued for 2 members"))
        let announcements = sent.filter { $0.memberEvent == "training.announcement" }
        #expect(Set(announcements.flatMap { $0.to.map(\.address) }) == ["alice@example.com", "bob@example.com"])
        let toAlice = try #require(announcements.first { $0.to.first?.address == "alice@example.com" })
        #expect(toAlice.subject == "Asking for referrals")
        #expect(toAlice.header("Auto-Submitted") == "auto-generated")
        #expect(toAlice.textBody.contains("Three ways to ask.\nSecond line."))
        #expect(toAlice.textBody.contains("https://example.org/training"))
        #expect(toAlice.htmlBody?.contains("Three ways to ask.") == true)
        let reply = try #require(toAlice.memberReplyAddress)
        #expect(toAlice.header("List-Unsubscribe") == "<mailto:\(reply)?subject=STOP>")
        let stored = try await bot.daemon.store.read { db in
            try Int.fetchOne(db, sql: "SELECT sentCount FROM announcement WHERE title = 'Asking for referrals'")
        }
        #expect(stored == 2)

        let stop = try await bot.send(mail(from: "alice@example.com", to: reply, subject: "Re: Asking for referrals", body: "STOP"))
        #expect(stop.map(\.memberEvent) == ["command.done"])
        #expect(try await bot.member("alice@example.com")?.announcementsOff == true)
    }

    @Test("ANNOUNCE leaves out members whose mail bounces, and the count says so")
    func announceSkipsBouncing() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        try await bot.addMember("bob@example.com", name: "Bob", bounceCount: 4, bounceStopped: true)
        let sent = try await bot.send(
            mail(from: "admin@example.org", subject: "ANNOUNCE", body: "Title: Hi\n\nText", authenticated: true))
            + (try await bot.later(60))
        #expect(sent.filter { $0.memberEvent == "training.announcement" }.flatMap { $0.to.map(\.address) } == ["alice@example.com"])
        #expect(sent.first { $0.memberEvent == "command.done" }?.textBody.contains("queued for 1 member.") == true)
    }

    @Test("Announcements go out at mail.announcement_rate_per_minute")
    func announcementRate() async throws {
        let bot = try await MemberHarness { $0.mail.announcementRatePerMinute = 2 }
        for name in ["a", "b", "c"] { try await bot.addMember("\(name)@example.com", name: name.uppercased()) }
        let first = try await bot.send(
            mail(from: "admin@example.org", subject: "ANNOUNCE", body: "Title: Hi\n\nText", authenticated: true))
        #expect(first.filter { $0.memberEvent == "training.announcement" }.count == 1)
        #expect(first.contains { $0.memberEvent == "command.done" }, "the admin's answer is not held back")
        #expect(try await bot.later(29).isEmpty)
        #expect(try await bot.later(1).map(\.memberEvent) == ["training.announcement"])
        #expect(try await bot.later(30).map(\.memberEvent) == ["training.announcement"])
        #expect(try await bot.later(600).isEmpty)
    }

    @Test("ANNOUNCE from someone who is not an admin is refused")
    func announceNotAdmin() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        let sent = try await bot.send(mail(subject: "ANNOUNCE", body: "Title: Hi\n\nText", authenticated: true))
        #expect(sent.map(\.memberEvent) == ["command.error"])
        let count = try await bot.daemon.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM announcement") }
        #expect(count == 0)
    }

    @Test("A bounce to refbot's VERP address counts; at mail.bounce_limit a probe goes out; its bounce stops mail and tells the admins once")
    func bounces() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice", bounceCount: 1)
        _ = try await bot.send(mail(subject: "HELP", body: ""))
        let verp = try #require(bot.submitter.accepted.last?.envelopeFrom)
        #expect(verp.hasPrefix("referrals+bounce-"))

        let forged = try await bot.send(dsn(for: "alice@example.com", to: "referrals+bounce-1@example.org"))
        #expect(forged.isEmpty)
        #expect(try await bot.member("alice@example.com")?.bounceCount == 1, "a guessed VERP address counts nothing")
        #expect(bot.logs.all.contains { $0.contains("Bounce not counted") })

        let first = try await bot.send(dsn(for: "alice@example.com", to: verp))
        #expect(first.isEmpty)
        #expect(try await bot.member("alice@example.com")?.bounceCount == 2)
        let second = try await bot.send(dsn(for: "alice@example.com", to: verp))
        #expect(second.map(\.memberEvent) == ["member.probe"], "at the limit: a probe, not a stop")
        #expect(try await bot.member("alice@example.com")?.bounceStoppedAt == nil)
        let probeVERP = try #require(bot.submitter.accepted.last?.envelopeFrom)
        #expect(probeVERP != verp)

        let third = try await bot.send(dsn(for: "alice@example.com", to: probeVERP))
        #expect(third.map(\.memberEvent) == ["member.bouncing"])
        #expect(third.first?.to.map(\.address) == ["admin@example.org"])
        #expect(third.first?.textBody.contains("alice@example.com") == true)
        #expect(try await bot.member("alice@example.com")?.bounceStoppedAt != nil)
        let fourth = try await bot.send(dsn(for: "alice@example.com", to: probeVERP))
        #expect(fourth.isEmpty, "admins are told once")

        let answer = try await bot.send(mail(subject: "CREDITS", body: ""))
        #expect(answer.isEmpty)
        #expect(bot.logs.all.contains { $0.contains("Mail withheld from a bouncing member") })
    }

    @Test("A bounce counts only for the recipient the mail went to: a forward's Original-Recipient counts, a named stranger does not")
    func bounceRecipientMustBeTheRows() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        try await bot.addMember("bob@example.com", name: "Bob")
        _ = try await bot.send(mail(subject: "HELP", body: ""))
        let verp = try #require(bot.submitter.accepted.last?.envelopeFrom)
        _ = try await bot.send(dsn(for: "bob@example.com", to: verp))
        #expect(try await bot.member("bob@example.com")?.bounceCount == 0)
        #expect(try await bot.member("alice@example.com")?.bounceCount == 0)
        _ = try await bot.send(dsn(for: "alice@new.example", to: verp, original: "alice@example.com"))
        #expect(try await bot.member("alice@example.com")?.bounceCount == 1, "forwarded on, then bounced")
        _ = try await bot.send(dsn(for: "alice@example.com", to: verp, original: "bob@example.com"))
        #expect(try await bot.member("alice@example.com")?.bounceCount == 2)
        #expect(try await bot.member("bob@example.com")?.bounceCount == 0)
    }

    @Test("Proven mail from a member whose mail stopped clears the bounces, and its answer goes out")
    func provenMailClearsBounces() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice", bounceCount: 4, bounceStopped: true)
        let unproven = try await bot.send(mail(subject: "CREDITS", body: ""))
        #expect(unproven.isEmpty, "an unproven mail proves nothing about the address")
        #expect(try await bot.member("alice@example.com")?.bounceStoppedAt != nil)
        let proven = try await bot.send(mail(subject: "CREDITS", body: "", authenticated: true))
        #expect(proven.map(\.memberEvent) == ["credits"])
        let alice = try await bot.member("alice@example.com")
        #expect(alice?.bounceCount == 0)
        #expect(alice?.bounceStoppedAt == nil)
        #expect(bot.logs.all.contains { $0.contains("Bounces cleared") })
    }
}

/// A Postfix-style delivery status report for a failed recipient.
private func dsn(for recipient: String, to address: String, original: String? = nil) -> String {
    let boundary = "B\(UUID().uuidString.prefix(8))"
    return """
        Return-Path: <>\r
        From: MAILER-DAEMON@mail.example.org (Mail Delivery System)\r
        To: \(address)\r
        Subject: Undelivered Mail Returned to Sender\r
        Message-ID: <\(UUID().uuidString)@mail.example.org>\r
        Auto-Submitted: auto-replied\r
        MIME-Version: 1.0\r
        Content-Type: multipart/report; report-type=delivery-status; boundary="\(boundary)"\r
        \r
        --\(boundary)\r
        Content-Type: text/plain\r
        \r
        Your message could not be delivered.\r
        --\(boundary)\r
        Content-Type: message/delivery-status\r
        \r
        Reporting-MTA: dns; mail.example.org\r
        \r
        Final-Recipient: rfc822; \(recipient)\r
        \(original.map { "Original-Recipient: rfc822; \($0)\r\n" } ?? "")Action: failed\r
        Status: 5.1.1\r
        \r
        --\(boundary)--\r

        """
}

extension MemberCommandsTests {
    @Test("A bounce after mail.bounce_reset_days without bounces starts the count again: no probe for two old bounces and a new one")
    func bounceCountDecays() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice", bounceCount: 2)
        let now = bot.clock.now
        try await bot.daemon.store.write { db in
            try BounceLog.record(outboxId: nil, recipient: "alice@example.com", status: "5.1.1", inboundId: nil, now: now - 31 * 86_400, in: db)
        }
        _ = try await bot.send(mail(subject: "HELP", body: ""))
        let verp = try #require(bot.submitter.accepted.last?.envelopeFrom)
        let bounced = try await bot.send(dsn(for: "alice@example.com", to: verp))
        #expect(bounced.isEmpty, "no probe: the two old bounces no longer count")
        #expect(try await bot.member("alice@example.com")?.bounceCount == 1)
        #expect(bot.logs.all.contains { $0.contains("Bounces reset") && $0.contains("alice@example.com") })
    }
}
