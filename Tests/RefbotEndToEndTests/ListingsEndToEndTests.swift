import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// A listing's whole path over real SMTP and IMAP: posted, reviewed, approved by reply, found.
@Suite("Listings against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct ListingsEndToEndTests {
    static let trusted = "mx.example.test"

    @Test("LISTING → listing.review in the admin's mailbox → APPROVE to its Reply-To → listing.approved → SEARCH finds it")
    func listingLifecycle() async throws {
        try await BotFixture.with(extraSMTP: "[auth]\ntrusted_authserv_id = \"\(Self.trusted)\"") { bot in
            // Alice is already a member (JOIN is another command's business).
            let store = try Store(path: bot.databasePath)
            try await store.write { db in
                var alice = Member(
                    email: "alice@example.test", name: "Alice Example", business: "Example Kitchens", city: "Springfield",
                    state: .active, credits: 10, joinedAt: 1_790_000_000, confirmedAt: 1_790_000_000)
                try StoreLedger(db).save(&alice)
            }

            try await bot.send(
                subject: "LISTING",
                body: """
                    Title: Kitchen remodels
                    Category: Home improvement
                    Location: Springfield
                    Customer: Homeowners planning a new kitchen
                    Reward: $500 per sale
                    """,
                messageID: "listing-1@example.test",
                extraHeaders: ["Authentication-Results: \(Self.trusted); dmarc=pass header.from=example.test"])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let first = try await bot.runOnce()
            #expect(first.status == 0, "stderr: \(first.stderr)")

            let submitted = try await bot.mailbox("alice@example.test", atLeast: 1)
            #expect(submitted.first?.header("X-Refbot-Event") == "listing.submitted")
            #expect(submitted.first?.header("X-Refbot-Ref") == "L-1")
            let reviews = try await bot.mailbox("admin@example.test", atLeast: 1)
            let review = try #require(reviews.first { $0.header("X-Refbot-Event") == "listing.review" })
            let replyTo = try #require(review.header("Reply-To"))
            #expect(replyTo.hasPrefix("bot+"))
            #expect(review.subject.hasPrefix("[L-1] "))

            // The admin answers in their client: a bare APPROVE above the quoted review.
            let quoted = review.textBody.split(separator: "\n", omittingEmptySubsequences: false).map { "> \($0)" }
            let reply = [
                "From: Admin <admin@example.test>", "To: \(replyTo)", "Subject: Re: \(review.subject)",
                "Message-ID: <approve-1@example.test>", "In-Reply-To: <\(review.messageID ?? "")>",
                "Date: Mon, 23 Nov 2026 10:05:00 +0000", "",
                "APPROVE", "", "On Mon, 23 Nov 2026 at 10:01, Test Referral Network wrote:",
            ] + quoted
            try await bot.stack.deliver(
                Array((reply.joined(separator: "\r\n") + "\r\n").utf8), from: "admin@example.test", to: [replyTo])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let second = try await bot.runOnce()
            #expect(second.status == 0, "stderr: \(second.stderr)")

            let aliceMail = try await bot.mailbox("alice@example.test", atLeast: 2)
            #expect(aliceMail.contains { $0.header("X-Refbot-Event") == "listing.approved" })
            let adminMail = try await bot.mailbox("admin@example.test", atLeast: 2)
            #expect(adminMail.contains { $0.header("X-Refbot-Event") == "command.done" })
            let state = try await store.read { db in try String.fetchOne(db, sql: "SELECT state FROM listing WHERE id = 1") }
            #expect(state == "live")

            // Bob, not a member, searches and finds it.
            try await bot.send(from: "bob@example.test", name: "Bob Roe", subject: "SEARCH kitchen", body: "")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let third = try await bot.runOnce()
            #expect(third.status == 0, "stderr: \(third.stderr)")
            let results = try await bot.mailbox("bob@example.test", atLeast: 1)
            let found = try #require(results.first { $0.header("X-Refbot-Event") == "search.results" })
            #expect(found.textBody.contains("L-1  Kitchen remodels"))
            #expect(found.textBody.contains("SHOW L-1"))
        }
    }
}
