import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// The caps on automatic mail (issue 10 §5): answers to unproven addresses, and admin notices.
@Suite("Caps on automatic mail")
struct ReplyCapTests {
    @Test("Answers to one unproven address stop at mail.replies_per_address_per_hour; case and + variants count as one")
    func perAddressCap() async throws {
        let bot = try await MemberHarness { $0.mail.repliesPerAddressPerHour = 3 }
        var answered = 0
        for from in ["carol@diaz.example", "Carol@Diaz.Example", "carol+a@diaz.example", "CAROL+b@diaz.example", "carol@diaz.example"] {
            answered += try await bot.send(mail(from: from, subject: "HELP", body: "")).count
        }
        #expect(answered == 3)
        let withheld = try await bot.daemon.store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage WHERE disposition = 'reply-cap'")
        }
        #expect(withheld == 2)
        #expect(bot.logs.all.filter { $0.contains("Answer withheld") && $0.contains("rule=reply-cap") }.count == 2)
        // Another address is not held back by Carol's count.
        #expect(try await bot.send(mail(from: "dan@evans.example", subject: "HELP", body: "")).count == 1)
        // An hour on, Carol is answered again.
        bot.clock.advance(by: 3601)
        #expect(try await bot.send(mail(from: "carol+c@diaz.example", subject: "HELP", body: "")).count == 1)
    }

    @Test("For counting, a KELVIN SIGN look-alike shares its address's count (a server may deliver both to one mailbox)")
    func lookalikesShareACount() async throws {
        let bot = try await MemberHarness { $0.mail.repliesPerAddressPerHour = 2 }
        var answered = 0
        for from in ["kim@diaz.example", "\u{212A}im@diaz.example", "KIM+x@diaz.example"] {
            answered += try await bot.send(mail(from: from, subject: "HELP", body: "")).count
        }
        #expect(answered == 2)
    }

    @Test("A withheld JOIN changes nothing: no pending member without the mail that would confirm it")
    func withheldJoinChangesNothing() async throws {
        let bot = try await MemberHarness { $0.mail.repliesPerAddressPerHour = 1 }
        #expect(try await bot.send(mail(from: "carol@diaz.example", subject: "HELP", body: "")).count == 1)
        let sent = try await bot.send(mail(from: "carol+x@diaz.example", subject: "JOIN", body: "Name: Mallory"))
        #expect(sent.isEmpty)
        #expect(try await bot.member("carol+x@diaz.example") == nil)
    }

    @Test("All unproven addresses together stop at mail.unproven_replies_per_hour")
    func globalCap() async throws {
        let bot = try await MemberHarness { $0.mail.unprovenRepliesPerHour = 2 }
        var answered = 0
        for name in ["a", "b", "c", "d"] {
            answered += try await bot.send(mail(from: "\(name)@strangers.example", subject: "SEARCH plumbing", body: "")).count
        }
        #expect(answered == 2)
        #expect(bot.logs.all.filter { $0.contains("rule=reply-cap-global") }.count == 2)
    }

    @Test("A proven member's answers are not counted; the same member unproven is")
    func provenMembersAreNotCounted() async throws {
        let bot = try await MemberHarness { $0.mail.repliesPerAddressPerHour = 2 }
        try await bot.addMember("alice@example.com", name: "Alice")
        var proven = 0
        for _ in 0..<5 {
            proven += try await bot.send(mail(subject: "STATUS", body: "", authenticated: true)).count
        }
        #expect(proven == 5)
        var unproven = 0
        for _ in 0..<4 { unproven += try await bot.send(mail(subject: "STATUS", body: "")).count }
        #expect(unproven == 2)
    }

    @Test("A mail from a KELVIN SIGN look-alike of a member is a stranger's: no dashboard, no action")
    func kelvinSignIsAnotherAddress() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("kim@example.com", name: "Kim")
        let status = try await bot.send(mail(from: "\u{212A}im@example.com", subject: "STATUS", body: ""))
        #expect(status.map(\.memberEvent) == ["command.error"])
        #expect(status.first?.textBody.contains("not a member") == true)
        let leave = try await bot.send(mail(from: "\u{212A}IM@EXAMPLE.COM", subject: "LEAVE", body: "", authenticated: true))
        #expect(leave.map(\.memberEvent) == ["command.error"])
        #expect(try await bot.member("kim@example.com")?.state == .active)
    }

    @Test("Quarantined mail: mail.admin_notices_per_hour notices, then one summary an hour, then notices again")
    func adminNoticesAreCappedAndSummarised() async throws {
        let bot = try await MemberHarness {
            $0.mail.adminNoticesPerHour = 2
            $0.mail.maxMessageBytes = 1024
        }
        let big = String(repeating: "x", count: 2000)
        var events: [String] = []
        for index in 0..<5 {
            events += try await bot.send(mail(subject: "HELP big \(index)", body: big)).compactMap(\.memberEvent)
        }
        // Each pass runs the Scheduler too: the third notice went straight into a summary.
        #expect(events == ["message.quarantined", "message.quarantined", "admin.summary"])
        let summary = try #require(
            try bot.submitter.accepted.map { try MessageParser.parse($0.data) }.first { $0.memberEvent == "admin.summary" })
        #expect(summary.to.map(\.address) == ["admin@example.org"])
        #expect(summary.textBody.contains("HELP big 2"))
        #expect(bot.logs.all.filter { $0.contains("Admin notice kept for the summary") }.count == 3)

        // The two kept since come in the next summary, an hour after the first.
        #expect(try await bot.later(1800).isEmpty)
        let next = try await bot.later(1801)
        #expect(next.map(\.memberEvent) == ["admin.summary"])
        #expect(next.first?.textBody.contains("HELP big 3") == true)
        #expect(next.first?.textBody.contains("HELP big 4") == true)
        #expect(next.first?.textBody.contains("HELP big 2") == false)
        // The hour's notices are free again.
        #expect(try await bot.send(mail(subject: "HELP big 5", body: big)).map(\.memberEvent) == ["message.quarantined"])
    }

    @Test("Mail given up on is reported in one delivery.failed summary an hour, not one notice per failure")
    func deliveryFailuresAreCapped() async throws {
        let bot = try await MemberHarness { $0.mail.adminNoticesPerHour = 1 }
        bot.submitter.refuse(with: .permanent(.rejected, "550 no such user"))
        for index in 0..<3 {
            _ = try await bot.send(mail(from: "x\(index)@strangers.example", subject: "HELP", body: ""))
        }
        let notices = try await bot.daemon.store.read { db in
            try String.fetchAll(db, sql: "SELECT event FROM outboxMessage WHERE recipients = 'admin@example.org' ORDER BY id")
        }
        #expect(notices.filter { $0 == "delivery.failed" }.count == 1, "\(notices)")
        let waiting = try await bot.daemon.store.read { db in
            try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE event = 'help' AND state = 'failed' AND failureReportedAt IS NULL")
        }
        #expect(waiting == 2, "the next two wait for the next hourly summary")
    }
}

/// What a confirmation shows and what a JOIN confirmation quotes to an unproven address.
@Suite("Confirmations show what runs")
struct ConfirmationContentTests {
    @Test("command.confirm shows every line, long lines whole; past 100 lines or 8000 characters it is refused and nothing is held")
    func wholeCommandOrRefusal() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        let long = "Customer:" + String(repeating: " homeowners with big kitchens", count: 30)
        let body = (["Title: Kitchens", "Category: Home"] + [long] + (1...60).map { "  line \($0) of the description" }
            + ["Reward: $500 per sale"]).joined(separator: "\n")
        let sent = try await bot.send(mail(subject: "LISTING", body: body))
        let confirm = try #require(sent.first)
        #expect(confirm.memberEvent == "command.confirm")
        for line in ["LISTING"] + body.split(separator: "\n").map(String.init) {
            #expect(confirm.textBody.contains("> \(line)\n"), "not shown whole: \(line.prefix(40))")
        }

        for body in [
            (1...100).map { "  line \($0)" }.joined(separator: "\n"),
            "Title: T\nCustomer: " + String(repeating: "x", count: 8000),
        ] {
            let refused = try await bot.send(mail(subject: "LISTING", body: body))
            #expect(refused.map(\.memberEvent) == ["command.error"])
            #expect(refused.first?.textBody.contains("too long for us to show you whole") == true)
        }
        let held = try await bot.daemon.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM heldCommand") }
        #expect(held == 1)
    }

    @Test("member.confirm quotes the JOIN line and the kept fields, each cut to 100 characters, and at most 3 notes")
    func joinQuotesLittle() async throws {
        let bot = try await MemberHarness()
        let spam = String(repeating: "Buy pills at pills.example.net ", count: 20)
        let body = (["Name: Carol Diaz", "About: \(spam)"] + (1...30).map { "Junk\($0): \(spam)" }).joined(separator: "\n")
        let sent = try await bot.send(mail(from: "carol@diaz.example", subject: "JOIN", body: body))
        let confirm = try #require(sent.first)
        #expect(confirm.memberEvent == "member.confirm")
        let quoted = confirm.textBody.split(separator: "\n").filter { $0.hasPrefix("> ") }
        #expect(quoted == ["> JOIN", "> Name: Carol Diaz", "> About: \(spam.prefix(100))…"])
        #expect(!confirm.textBody.contains("Junk4"))
        #expect(confirm.textBody.contains("27 more notes"))
        #expect(confirm.textBody.utf8.count < 4000, "\(confirm.textBody.utf8.count) bytes")
    }
}
