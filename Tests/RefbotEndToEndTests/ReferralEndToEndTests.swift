import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// A referral's whole path over real SMTP and IMAP with the built `refbot` binary: REFER, the
/// agreement round trip, the owner's replies from a mail client, the referrer's RECEIVED.
@Suite("Referrals against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct ReferralEndToEndTests {
    static let trusted = "mx.example.test"
    static let referrer = "alice@example.test"
    static let owner = "bob@example.test"

    /// Alice and Bob are members and connected; Bob has a live listing paying $500 per sale.
    func seed(_ bot: BotFixture) async throws -> Store {
        try await bot.seedConnectedPair(referrer: Self.referrer, owner: Self.owner)
    }

    /// A reply as a member's client sends it: the new text, then a Gmail-style quote of `original`.
    func reply(
        _ bot: BotFixture, from: String, name: String, to original: ParsedMessage, body: String, id: String
    ) async throws {
        let replyTo = try #require(original.header("Reply-To"))
        let quoted = original.textBody.split(separator: "\n", omittingEmptySubsequences: false).map { "> \($0)" }
        let lines = [
            "From: \(name) <\(from)>", "To: \(replyTo)", "Subject: Re: \(original.subject)", "Message-ID: <\(id)>",
            "In-Reply-To: <\(original.messageID ?? "")>", "Date: Mon, 23 Nov 2026 10:05:00 +0000", "",
        ] + body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) + [
            "", "On Mon, 23 Nov 2026 at 10:01, Test Referral Network <bot@example.test> wrote:",
        ] + quoted
        try await bot.stack.deliver(Array((lines.joined(separator: "\r\n") + "\r\n").utf8), from: from, to: [replyTo])
    }

    func pass(_ bot: BotFixture) async throws { try await bot.pass() }

    func events(_ mails: [ParsedMessage]) -> [String] { mails.compactMap { $0.header("X-Refbot-Event") } }

    @Test("REFER → agreement.request → AGREE → copies and referral.received → ACCEPT, WON 5000, PAID → RECEIVED closes it")
    func referralLifecycle() async throws {
        try await BotFixture.with(extraSMTP: "[auth]\ntrusted_authserv_id = \"\(Self.trusted)\"") { bot in
            let store = try await seed(bot)

            try await bot.send(
                subject: "REFER L-1",
                body: """
                    Customer: Carol Diaz
                    Email: carol@example.test
                    Phone: 555-0100
                    Need: A new kitchen before summer
                    Consent: yes
                    """,
                messageID: "refer-1@example.test",
                extraHeaders: [SenderProof.header()])
            try await pass(bot)
            let afterRefer = try await bot.mailbox(Self.referrer, atLeast: 2)
            #expect(Set(events(afterRefer)) == ["referral.sent", "agreement.request"])
            let request = try #require(afterRefer.first { $0.header("X-Refbot-Event") == "agreement.request" })
            #expect(request.textBody.contains("REFERRAL PARTNERSHIP AGREEMENT"))

            try await reply(bot, from: Self.referrer, name: "Alice Example", to: request, body: "AGREE", id: "agree-1@example.test")
            try await pass(bot)
            let aliceCopies = try await bot.mailbox(Self.referrer, atLeast: 3)
            let bobMail = try await bot.mailbox(Self.owner, atLeast: 2)
            #expect(events(aliceCopies).last == "agreement.copy")
            #expect(Set(events(bobMail)) == ["agreement.copy", "referral.received"])
            let agreement = try #require(try await store.read { db in try Agreement.fetchOne(db) })
            #expect(agreement.messageId == "agree-1@example.test")
            #expect(agreement.referrerMethod == .reply)
            for copy in [aliceCopies[2], try #require(bobMail.first { $0.header("X-Refbot-Event") == "agreement.copy" })] {
                let file = try #require(copy.parts.first { $0.filename == "agreement-L-1.txt" })
                #expect(TextDigest.sha256Hex(file.body) == agreement.sha256)
                #expect(copy.textBody.contains(agreement.sha256))
            }
            let received = try #require(bobMail.first { $0.header("X-Refbot-Event") == "referral.received" })
            #expect(received.subject == "[R-1] New referral: Carol Diaz for \"Kitchen remodels\"")
            #expect(received.textBody.contains("carol@example.test"))

            // Bob answers from his client; the quote below names ACCEPT and REJECT too.
            try await reply(bot, from: Self.owner, name: "Bob Roe", to: received, body: "ACCEPT", id: "accept-1@example.test")
            try await pass(bot)
            try await reply(bot, from: Self.owner, name: "Bob Roe", to: received, body: "WON 5000", id: "won-1@example.test")
            try await pass(bot)
            try await reply(bot, from: Self.owner, name: "Bob Roe", to: received, body: "PAID", id: "paid-1@example.test")
            try await pass(bot)
            let aliceBeforeReceived = try await bot.mailbox(Self.referrer, atLeast: 6)
            #expect(Array(events(aliceBeforeReceived).suffix(3)) == ["referral.accepted", "referral.updated", "referral.updated"])
            let paidNote = try #require(aliceBeforeReceived.last)
            #expect(paidNote.textBody.contains("$500.00"))

            try await reply(bot, from: Self.referrer, name: "Alice Example", to: paidNote, body: "RECEIVED", id: "received-1@example.test")
            try await pass(bot)

            let alice = try await bot.mailbox(Self.referrer, atLeast: 7)
            let bob = try await bot.mailbox(Self.owner, atLeast: 6)
            #expect(events(alice).count == 7)
            #expect(Set(events(alice).prefix(2)) == ["referral.sent", "agreement.request"])
            #expect(Array(events(alice).dropFirst(2)) == [
                "agreement.copy", "referral.accepted", "referral.updated", "referral.updated", "referral.updated",
            ])
            #expect(events(bob).count == 6)
            #expect(Set(events(bob).prefix(2)) == ["agreement.copy", "referral.received"])
            #expect(Array(events(bob).dropFirst(2)) == ["command.done", "command.done", "command.done", "referral.updated"])
            #expect(bob.allSatisfy { $0.header("X-Refbot-Event") == "agreement.copy" || $0.subject.hasPrefix("[R-1]") })

            let referral = try #require(try await store.read { db in try StoreLedger(db).referral(id: 1) })
            #expect(referral.state == .closed)
            #expect(referral.wonAmount == Money(amountMinor: 500_000, currency: "USD"))
            #expect(referral.rewardOwed == Money(amountMinor: 50_000, currency: "USD"))
            #expect(referral.rewardPaid == Money(amountMinor: 50_000, currency: "USD"))
            let credits = try await store.read { db in try StoreLedger(db).member(email: Self.owner)?.credits }
            #expect(credits == 9)
        }
    }

    @Test("A half-time reminder, REJECT in reply to it, a redirect by replying REFER L-2, and an expiry")
    func reminderRejectRedirectExpiry() async throws {
        try await BotFixture.with(extraSMTP: "[auth]\ntrusted_authserv_id = \"\(Self.trusted)\"") { bot in
            let store = try await seed(bot)
            let now = Int64(Date().timeIntervalSince1970)
            let day: Int64 = 86_400
            try await store.write { db in
                let ledger = StoreLedger(db)
                var carol = Member(email: "carol@example.test", name: "Carol Tiler", state: .active, credits: 10, joinedAt: now)
                try ledger.save(&carol)
                var tiling = Listing(
                    ownerId: carol.id ?? 0, title: "Bathroom tiling", category: "Home improvement", customer: "Homeowners",
                    reward: .perLead(Money(amountMinor: 5_000, currency: "USD")), state: .live, createdAt: now)
                try ledger.save(&tiling)
                var connection = Connection(
                    requesterId: 1, addresseeId: carol.id ?? 0, state: .accepted, createdAt: now, decidedAt: now)
                try ledger.save(&connection)
                // R-1 reached Bob 8 days ago (expiry after 14): due for its half-time reminder.
                var waiting = Referral(
                    listingId: 1, ownerId: 2, referrerId: 1, customerName: "Dana Lee", customerEmail: "dana@lee.example",
                    need: "A kitchen and a bathroom", createdAt: now - 8 * day, deliveredAt: now - 8 * day)
                try ledger.save(&waiting)
            }

            let reminderPass = try await bot.runOnce()
            #expect(reminderPass.status == 0, "stderr: \(reminderPass.stderr)")
            let bobMail = try await bot.mailbox(Self.owner, atLeast: 1)
            let reminder = try #require(bobMail.first)
            #expect(reminder.header("X-Refbot-Event") == "referral.reminder")
            #expect(reminder.header("Auto-Submitted") == "auto-generated")

            try await reply(bot, from: Self.owner, name: "Bob Roe", to: reminder, body: "REJECT We do not do bathrooms", id: "reject-1@example.test")
            try await pass(bot)
            let rejected = try #require(try await bot.mailbox(Self.referrer, atLeast: 1).last)
            #expect(rejected.header("X-Refbot-Event") == "referral.rejected")
            #expect(rejected.textBody.contains("We do not do bathrooms"))

            try await reply(bot, from: Self.referrer, name: "Alice Example", to: rejected, body: "REFER L-2", id: "redirect-1@example.test")
            try await pass(bot)
            let afterRedirect = try await bot.mailbox(Self.referrer, atLeast: 3)
            #expect(Set(events(Array(afterRedirect.suffix(2)))) == ["referral.sent", "agreement.request"])
            let request = try #require(afterRedirect.first { $0.header("X-Refbot-Event") == "agreement.request" })
            try await reply(bot, from: Self.referrer, name: "Alice Example", to: request, body: "AGREE", id: "agree-2@example.test")
            try await pass(bot)
            let carolMail = try await bot.mailbox("carol@example.test", atLeast: 2)
            #expect(Set(events(carolMail)) == ["agreement.copy", "referral.received"])
            let received = try #require(carolMail.first { $0.header("X-Refbot-Event") == "referral.received" })
            #expect(received.subject == "[R-2] New referral: Dana Lee for \"Bathroom tiling\"")
            #expect(received.textBody.contains("dana@lee.example"))

            // R-2 is never answered: 15 days on it has expired and Alice hears so.
            try await store.write { db in
                try db.execute(sql: "UPDATE referral SET createdAt = ?, deliveredAt = ? WHERE id = 2", arguments: [now - 15 * day, now - 15 * day])
            }
            let expiryPass = try await bot.runOnce()
            #expect(expiryPass.status == 0, "stderr: \(expiryPass.stderr)")
            let expired = try #require(try await bot.mailbox(Self.referrer, atLeast: 5).last)
            #expect(expired.header("X-Refbot-Event") == "referral.updated")
            #expect(expired.subject.hasPrefix("[R-2] "))
            #expect(expired.textBody.contains("has expired"))
            let states = try await store.read { db in
                try String.fetchAll(db, sql: "SELECT state FROM referral ORDER BY id")
            }
            #expect(states == ["rejected", "expired"])
        }
    }
}
