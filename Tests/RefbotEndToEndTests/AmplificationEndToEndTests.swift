import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// refbot must not be a relay or an amplifier (issue 10, §5): forged `From:` addresses, plus and
/// case variants, Unicode look-alikes and floods of bad mail, against the real mail servers.
@Suite("No relay, no amplification", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct AmplificationEndToEndTests {
    static let proofConfig = "[auth]\ntrusted_authserv_id = \"\(SenderProof.authservID)\""

    @Test("20 mails forged From: one victim, in case and plus variants, reach her at most 5 times in the hour")
    func forgedFloodIsCappedPerAddress() async throws {
        try await BotFixture.with { bot in
            let variants = ["carol@example.test", "Carol@Example.Test", "carol+news@example.test", "CAROL+x@EXAMPLE.TEST"]
            let commands: [(subject: String, body: String)] = [
                ("HELP", ""), ("SEARCH plumbing", ""), ("STATUS", ""), ("LEAVE", ""),
                ("JOIN", "Name: Carol Diaz\nBusiness: Cheap pills at pills.example.net\nAbout: Visit pills.example.net today"),
            ]
            for index in 0..<20 {
                let command = commands[index % commands.count]
                // The attacker's own server takes the mail; only the headers name Carol.
                let raw = [
                    "From: Carol Diaz <\(variants[index % variants.count])>", "To: bot@example.test",
                    "Subject: \(command.subject)", "Message-ID: <forged-\(index)@attacker.example.net>",
                    "Date: Mon, 23 Nov 2026 10:00:00 +0000", "", command.body,
                ].joined(separator: "\r\n") + "\r\n"
                try await bot.stack.deliver(Array(raw.utf8), from: "bob@example.test", to: ["bot@example.test"])
            }
            _ = try await bot.mailbox("bot@example.test", atLeast: 20)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")

            let store = try Store(path: bot.databasePath)
            let queued = try await Self.queuedCount(store) { $0.contains("carol") }
            let mail = try await bot.mailbox("carol@example.test", atLeast: queued)
            try await Task.sleep(for: .seconds(1))
            let delivered = try await bot.count("carol@example.test")
            #expect(delivered == queued)
            #expect(delivered <= 5, "Carol got \(delivered) mails: \(mail.map { $0.header("X-Refbot-Event") ?? "?" })")
            #expect(delivered >= 1, "the first answers still go out")
            #expect(result.stderr.contains("reply-cap"), "every withheld answer is logged")
            #expect(try await bot.count("bob@example.test") == 0)
        }
    }

    @Test("Answers to many different unproven addresses stop at mail.unproven_replies_per_hour, logged")
    func unprovenAnswersStopAtTheGlobalCap() async throws {
        try await BotFixture.with(extraSMTP: "[mail]\nunproven_replies_per_hour = 3") { bot in
            let extra = ["dave@example.test", "erin@example.test", "frank@example.test"]
            for user in extra { try await bot.stack.addUser(user, password: "pass") }
            let senders = ["alice@example.test", "bob@example.test", "carol@example.test"] + extra
            for (index, sender) in senders.enumerated() {
                try await bot.send(from: sender, name: "Someone", subject: "HELP", body: "", messageID: "help-\(index)@example.net")
            }
            _ = try await bot.mailbox("bot@example.test", atLeast: senders.count)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")

            let store = try Store(path: bot.databasePath)
            let queued = try await Self.queuedCount(store) { _ in true }
            #expect(queued == 3)
            try await Task.sleep(for: .seconds(2))
            var delivered = 0
            for sender in senders {
                let password = MailStack.standardUsers[sender] ?? "pass"
                delivered += try await bot.stack.messages(
                    user: sender, password: password, atLeast: 0, timeout: .seconds(5)
                ).count
            }
            #expect(delivered == 3)
            let withheld = result.stderr.components(separatedBy: "reply-cap-global").count - 1
            #expect(withheld == 3, "stderr: \(result.stderr)")
        }
    }

    @Test("From: \u{212A}im@ (KELVIN SIGN) and other Unicode case tricks never act for kim@ nor get her STATUS")
    func unicodeLookalikesAreOtherAddresses() async throws {
        try await BotFixture.with(extraSMTP: Self.proofConfig) { bot in
            try await bot.stack.addUser("kim@example.test", password: "kimpass")
            let store = try Store(path: bot.databasePath)
            try await store.write { db in
                var kim = Member(
                    email: "kim@example.test", name: "Kim Park", business: "Park Roofing", state: .active, credits: 7,
                    joinedAt: 1_790_000_000, confirmedAt: 1_790_000_000)
                try StoreLedger(db).save(&kim)
            }
            // Raw UTF-8 addresses (RFC 6532), as a provider that allows them would pass on; the two
            // state-changing ones even carry a trusted verdict for the domain.
            let mails: [(from: String, subject: String, proven: Bool)] = [
                ("\u{212A}im@example.test", "STATUS", false),
                ("\u{212A}im@example.test", "LEAVE", true),
                ("\u{212A}IM@EXAMPLE.TEST", "STOP", true),
                ("\u{212A}im@example.test", "CREDITS", true),
            ]
            for (index, mail) in mails.enumerated() {
                var lines = [
                    "From: Kim Park <\(mail.from)>", "To: bot@example.test", "Subject: \(mail.subject)",
                    "Message-ID: <kelvin-\(index)@example.net>", "Date: Mon, 23 Nov 2026 10:00:00 +0000",
                ]
                if mail.proven { lines.append(SenderProof.header()) }
                let raw = (lines + ["", ""]).joined(separator: "\r\n")
                try await bot.stack.deliver(Array(raw.utf8), from: "bob@example.test", to: ["bot@example.test"])
            }
            _ = try await bot.mailbox("bot@example.test", atLeast: mails.count)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")

            let kim = try await store.read { db in try StoreLedger(db).member(email: "kim@example.test") }
            #expect(kim?.state == .active, "a look-alike address made kim leave")
            #expect(kim?.announcementsOff == false, "a look-alike address sent STOP for kim")
            let rows = try await store.read { db in try OutboxMessage.fetchAll(db) }
            #expect(!rows.contains { $0.event == "dashboard" || $0.event == "credits" }, "kim's data went to a look-alike")
            #expect(!rows.contains { $0.recipientList.contains("kim@example.test") })
            let answers = rows.filter { $0.recipients.unicodeScalars.contains("\u{212A}") }
            #expect(answers.count == mails.count, "each look-alike is answered as the stranger it is")
            for answer in answers {
                #expect(answer.event == "command.error")
                #expect(String(decoding: answer.raw, as: UTF8.self).contains("not a member"))
            }
            let kimMail = try await bot.stack.messages(user: "kim@example.test", password: "kimpass", atLeast: 0, timeout: .seconds(5))
            #expect(kimMail.isEmpty)
        }
    }

    @Test("14 quarantined mails: admins get 10 notices and one summary of the other 4, and no second summary that hour")
    func quarantineNoticesAreCappedAndBatched() async throws {
        try await BotFixture.with(extraSMTP: "[mail]\nmax_message_bytes = 2048") { bot in
            let filler = Array(repeating: String(repeating: "x", count: 70), count: 40).joined(separator: "\n")
            for index in 0..<14 {
                try await bot.send(
                    from: "bob@example.test", name: "Bob", subject: "HELP oversized \(index)", body: filler,
                    messageID: "big-\(index)@example.net")
            }
            _ = try await bot.mailbox("bot@example.test", atLeast: 14)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")

            let store = try Store(path: bot.databasePath)
            let queued = try await Self.queuedCount(store) { $0.contains("admin@") }
            let mail = try await bot.mailbox("admin@example.test", atLeast: queued)
            try await Task.sleep(for: .seconds(1))
            #expect(try await bot.count("admin@example.test") == queued)
            let events = mail.map { $0.header("X-Refbot-Event") ?? "?" }
            #expect(events.filter { $0 == "message.quarantined" }.count == 10, "events: \(events)")
            #expect(events.filter { $0 == "admin.summary" }.count == 1, "events: \(events)")
            #expect(mail.count == 11)
            // Postfix delivers in any order: the summary names exactly the four that had no notice.
            func named(_ text: String) -> Set<Int> {
                Set((0..<14).filter { text.contains("HELP oversized \($0)\n") || text.contains("HELP oversized \($0)\"") })
            }
            let noticed = mail.filter { $0.header("X-Refbot-Event") == "message.quarantined" }
                .reduce(into: Set<Int>()) { $0.formUnion(named($1.textBody)) }
            let summary = try #require(mail.first { $0.header("X-Refbot-Event") == "admin.summary" })
            let summarised = named(summary.textBody)
            #expect(noticed.count == 10)
            #expect(summarised.count == 4, "\(summary.textBody)")
            #expect(noticed.isDisjoint(with: summarised))
            #expect(noticed.union(summarised) == Set(0..<14))
            #expect(summary.textBody.contains("(4 notices)"))

            // Two more within the hour: kept for the next summary, not mailed now.
            for index in 14..<16 {
                try await bot.send(
                    from: "bob@example.test", name: "Bob", subject: "HELP oversized \(index)", body: filler,
                    messageID: "big-\(index)@example.net")
            }
            _ = try await bot.mailbox("bot@example.test", atLeast: 2)
            let again = try await bot.runOnce()
            #expect(again.status == 0, "stderr: \(again.stderr)")
            try await Task.sleep(for: .seconds(2))
            #expect(try await bot.count("admin@example.test") == 11)
            let quarantined = try await store.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage WHERE state = 'quarantined'")
            }
            #expect(quarantined == 16)
        }
    }

    @Test("command.confirm shows every line the held command will run; a command too long to show is refused")
    func confirmationShowsTheWholeCommand() async throws {
        try await BotFixture.with { bot in
            let store = try Store(path: bot.databasePath)
            try await store.write { db in
                var alice = Member(
                    email: "alice@example.test", name: "Alice Example", state: .active, credits: 3, joinedAt: 1_790_000_000,
                    confirmedAt: 1_790_000_000)
                try StoreLedger(db).save(&alice)
            }
            // A listing whose Customer: runs over 45 lines: more than a quote of 40 lines shows.
            let customer = (1...45).map { "  point \($0) - homeowners who need item \($0) done" }
            let form = ["Title: Kitchen remodels", "Category: Home improvement", "Location: Springfield",
                        "Customer: Homeowners planning a remodel"] + customer
                + ["Reward: $500 per sale", "Terms: standard", "Expires: 2027-12-31"]
            try await bot.send(
                from: "alice@example.test", name: "Alice Example", subject: "LISTING", body: form.joined(separator: "\n"),
                messageID: "listing-long@example.test")
            // Far past what a confirmation shows.
            let huge = ["Title: Roofs", "Category: Roofing", "Reward: $50 per lead", "Customer: Anyone"]
                + (1...300).map { "  line \($0) of a very long customer description that goes on" }
            try await bot.send(
                from: "alice@example.test", name: "Alice Example", subject: "LISTING", body: huge.joined(separator: "\n"),
                messageID: "listing-huge@example.test")
            _ = try await bot.mailbox("bot@example.test", atLeast: 2)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")

            let mail = try await bot.mailbox("alice@example.test", atLeast: 2)
            let confirm = try #require(mail.first { $0.inReplyTo == ["listing-long@example.test"] })
            #expect(confirm.header("X-Refbot-Event") == "command.confirm")
            let shown = confirm.textBody.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            for line in ["LISTING"] + form {
                #expect(shown.contains("> \(line)"), "command.confirm does not show: \(line)")
            }
            let refused = try #require(mail.first { $0.inReplyTo == ["listing-huge@example.test"] })
            #expect(refused.header("X-Refbot-Event") == "command.error")
            #expect(refused.textBody.contains("too long"), "body: \(refused.textBody)")
            let held = try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM heldCommand") }
            #expect(held == 1)

            // Alice confirms: what runs is what she was shown.
            let replyTo = try #require(confirm.replyTo.first?.address)
            let reply = [
                "From: Alice Example <alice@example.test>", "To: \(replyTo)", "Subject: Re: \(confirm.subject)",
                "Message-ID: <confirm-long@example.test>", "Date: Mon, 23 Nov 2026 10:05:00 +0000", "", "CONFIRM", "",
            ].joined(separator: "\r\n")
            try await bot.stack.deliver(Array(reply.utf8), from: "alice@example.test", to: [replyTo])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let second = try await bot.runOnce()
            #expect(second.status == 0, "stderr: \(second.stderr)")
            let listings = try await store.read { db in try Listing.fetchAll(db) }
            #expect(listings.count == 1)
            #expect(listings.first?.customer.contains("point 45 - homeowners who need item 45 done") == true)
        }
    }

    /// Outbox rows queued so far whose recipients match `predicate`, waiting for nothing.
    static func queuedCount(_ store: Store, _ predicate: @escaping @Sendable (String) -> Bool) async throws -> Int {
        try await store.read { db in
            try OutboxMessage.fetchAll(db).filter { row in row.recipientList.contains { predicate($0.lowercased()) } }.count
        }
    }
}
