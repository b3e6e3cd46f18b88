import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// The whole network over real mail, nothing seeded: members join, a listing is approved, a
/// connection made, a customer referred and paid for; a forged REFER changes nothing; an
/// announcement skips the member who sent STOP.
@Suite("The referral network end to end", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct NetworkEndToEndTests {
    static let trusted = "mx.example.test"
    static let alice = "alice@example.test"
    static let bob = "bob@example.test"
    static let carol = "carol@example.test"
    static let admin = "admin@example.test"
    static let dmarcPass = SenderProof.header()

    /// Runs `refbot run --once` after the bot's inbox has mail.
    func pass(_ bot: BotFixture) async throws { try await bot.pass() }

    /// The newest mail with `event` in `user`'s INBOX, waiting until there are `count` of them.
    func latest(_ bot: BotFixture, _ user: String, _ event: String, count: Int = 1) async throws -> ParsedMessage {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let mails = try await bot.mailbox(user, atLeast: 0, timeout: .seconds(5))
                .filter { $0.header("X-Refbot-Event") == event }
            if mails.count >= count, let last = mails.last { return last }
            if ContinuousClock.now > deadline {
                throw MailStackError("\(user) has \(mails.count) \(event) mail, \(count) awaited")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// A reply from a member's client to `original`'s Reply-To: new text on top, Gmail-style quote below.
    func reply(_ bot: BotFixture, from: String, to original: ParsedMessage, body: String) async throws {
        try await bot.reply(from: from, to: original, body: body)
    }

    @Test("JOIN → LISTING → APPROVE → SEARCH → CONNECT → REFER → AGREE → ACCEPT → WON → PAID → RECEIVED; forged REFER; STOP and ANNOUNCE")
    func wholeNetwork() async throws {
        // Announcements go out at once here (600 a minute), so one --once pass sends them all.
        let settings = "[auth]\ntrusted_authserv_id = \"\(Self.trusted)\"\n[mail]\nannouncement_rate_per_minute = 600"
        try await BotFixture.with(extraSMTP: settings) { bot in
            let store = try Store(path: bot.databasePath)

            // Three people join (double opt-in) and confirm by replying to the confirmation.
            for (address, name) in [(Self.alice, "Alice Example"), (Self.bob, "Bob Roe"), (Self.carol, "Carol Diaz")] {
                try await bot.send(from: address, name: name, subject: "JOIN", body: "Name: \(name)\nCity: Springfield")
            }
            try await pass(bot)
            for address in [Self.alice, Self.bob, Self.carol] {
                let confirm = try await latest(bot, address, "member.confirm")
                try await reply(bot, from: address, to: confirm, body: "CONFIRM")
            }
            try await pass(bot)
            for address in [Self.alice, Self.bob, Self.carol] { _ = try await latest(bot, address, "member.welcome") }

            // Bob posts a listing; the admin approves it by replying to the review mail.
            try await bot.send(
                from: Self.bob, name: "Bob Roe", subject: "LISTING",
                body: """
                    Title: Kitchen remodels
                    Category: Home improvement
                    Location: Springfield
                    Customer: Homeowners planning a new kitchen
                    Reward: $500 per sale
                    """, extraHeaders: [Self.dmarcPass])
            try await pass(bot)
            _ = try await latest(bot, Self.bob, "listing.submitted")
            let review = try await latest(bot, Self.admin, "listing.review")
            try await reply(bot, from: Self.admin, to: review, body: "APPROVE")
            try await pass(bot)
            _ = try await latest(bot, Self.bob, "listing.approved")

            // Alice finds it and asks Bob to connect; Bob accepts by reply.
            try await bot.send(from: Self.alice, subject: "SEARCH kitchen", body: "")
            try await pass(bot)
            let results = try await latest(bot, Self.alice, "search.results")
            #expect(results.textBody.contains("L-1"))
            #expect(results.textBody.contains("Kitchen remodels"))
            try await bot.send(from: Self.alice, subject: "CONNECT L-1", body: "We share customers.", extraHeaders: [Self.dmarcPass])
            try await pass(bot)
            let request = try await latest(bot, Self.bob, "connection.request")
            try await reply(bot, from: Self.bob, to: request, body: "ACCEPT")
            try await pass(bot)
            _ = try await latest(bot, Self.alice, "connection.accepted")

            // A REFER with Alice's From: but no proof is held, and nothing changes.
            let form = "Customer: Dan Smith\nEmail: dan@example.test\nNeed: A new kitchen before summer\nConsent: yes"
            try await bot.send(from: Self.alice, subject: "REFER L-1", body: form)
            try await pass(bot)
            _ = try await latest(bot, Self.alice, "command.confirm")
            #expect(try await store.read { db in try Referral.fetchCount(db) } == 0)

            // The real REFER, the agreement, and the referral's whole life.
            try await bot.send(from: Self.alice, subject: "REFER L-1", body: form, extraHeaders: [Self.dmarcPass])
            try await pass(bot)
            let agreementRequest = try await latest(bot, Self.alice, "agreement.request")
            try await reply(bot, from: Self.alice, to: agreementRequest, body: "AGREE")
            try await pass(bot)
            _ = try await latest(bot, Self.alice, "agreement.copy")
            _ = try await latest(bot, Self.bob, "agreement.copy")
            let received = try await latest(bot, Self.bob, "referral.received")
            #expect(received.subject.hasPrefix("[R-1]"))
            for (word, count) in [("ACCEPT", 1), ("WON 5000", 2), ("PAID", 3)] {
                try await reply(bot, from: Self.bob, to: received, body: word)
                try await pass(bot)
                if count == 1 { _ = try await latest(bot, Self.alice, "referral.accepted") }
            }
            let paid = try await latest(bot, Self.alice, "referral.updated", count: 2)
            try await reply(bot, from: Self.alice, to: paid, body: "RECEIVED")
            try await pass(bot)
            _ = try await latest(bot, Self.bob, "referral.updated")
            let referral = try #require(try await store.read { db in try StoreLedger(db).referral(id: 1) })
            #expect(referral.state == .closed)
            #expect(referral.rewardOwed == Money(amountMinor: 50_000, currency: "USD"))
            #expect(referral.rewardPaid == Money(amountMinor: 50_000, currency: "USD"))

            // Carol sends STOP; the admin's announcement reaches Alice and Bob only.
            try await bot.send(from: Self.carol, subject: "STOP", body: "", extraHeaders: [Self.dmarcPass])
            try await pass(bot)
            try await bot.send(
                from: Self.admin, subject: "ANNOUNCE", body: "Title: Asking for referrals\n\nThree ways to ask.",
                extraHeaders: [Self.dmarcPass])
            try await pass(bot)
            let announcement = try await latest(bot, Self.alice, "training.announcement")
            #expect(announcement.header("List-Unsubscribe")?.contains("mailto:") == true)
            _ = try await latest(bot, Self.bob, "training.announcement")
            let carolMail = try await bot.mailbox(Self.carol, atLeast: 0, timeout: .seconds(5))
            #expect(!carolMail.contains { $0.header("X-Refbot-Event") == "training.announcement" })
            let queued = try await store.read { db in
                try OutboxMessage.filter(Column("event") == "training.announcement").fetchAll(db).flatMap(\.recipientList)
            }
            #expect(Set(queued) == [Self.alice, Self.bob])
        }
    }
}
