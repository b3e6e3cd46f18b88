import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// A listing's whole path over real SMTP and IMAP: posted, reviewed, approved by reply, found.
@Suite(
    "Listings against real mail servers", .serialized,
    .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct ListingsEndToEndTests {
    static let trusted = "mx.example.test"

    @Test(
        "LISTING → listing.review to the admin → APPROVE to its Reply-To → listing.approved → SEARCH finds it"
    )
    func listingLifecycle() async throws {
        try await BotFixture.with(extraSMTP: "[auth]\ntrusted_authserv_id = \"\(Self.trusted)\"") { bot in
            // Alice is already a member (JOIN is another command's business).
            let store = try Store(path: bot.databasePath)
            try await store.write { db in
                var alice = Member(
                    email: "alice@example.test", name: "Alice Example", business: "Example Kitchens",
                    city: "Springfield",
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
                extraHeaders: [SenderProof.header()])
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
            let reply =
                [
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
            let state = try await store.read { db in
                try String.fetchOne(db, sql: "SELECT state FROM listing WHERE id = 1")
            }
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

/// `refbot admin listings | approve | decline | feature` run by the built binary on a database.
@Suite("refbot admin listing commands")
struct AdminListingCommandsTests {
    /// The passwords the configuration loader asks for, though these commands never log in.
    static let environment = ["REFBOT_IMAP_PASSWORD": "unused", "REFBOT_SMTP_PASSWORD": "unused"]

    /// A configuration and a database holding one member with a pending listing, L-1.
    func fixture() async throws -> (path: String, store: Store) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-admin-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let toml = """
            [bot]
            address = "referrals@example.org"
            admins = ["admin@example.org"]
            database = "\(dir)/refbot.sqlite"
            templates = "\(RefbotProcess.packageRoot)/mail-templates"
            [imap]
            url = "imaps://127.0.0.1:1/INBOX"
            username = "referrals@example.org"
            [smtp]
            url = "smtps://127.0.0.1:1"
            """
        try toml.write(toFile: dir + "/refbot.toml", atomically: true, encoding: .utf8)
        let store = try Store(path: dir + "/refbot.sqlite")
        try await store.write { db in
            let ledger = StoreLedger(db)
            var ann = Member(email: "ann@example.com", name: "Ann Lee", state: .active, joinedAt: 1_790_000_000)
            try ledger.save(&ann)
            var listing = Listing(
                ownerId: ann.id ?? 0, title: "Kitchen remodels", category: "Home", customer: "Homeowners",
                reward: .none, createdAt: 1_790_000_000)
            try ledger.save(&listing)
        }
        return (dir + "/refbot.toml", store)
    }

    private func outboxEvents(_ store: Store) async throws -> [String] {
        try await store.read { db in try String.fetchAll(db, sql: "SELECT event FROM outboxMessage ORDER BY id") }
    }

    @Test(
        "Each listing subcommand's --help says what it does and how to call it",
        arguments: [
            (["admin", "--help"], ["listings", "approve", "decline", "feature"]),
            (["admin", "listings", "--help"], ["--pending", "refbot admin approve L-n"]),
            (["admin", "approve", "--help"], ["<L-n>", "listing.approved", "64 usage"]),
            (["admin", "decline", "--help"], ["--reason", "listing.declined"]),
            (["admin", "feature", "--help"], ["--days", "(default: 7)"]),
        ])
    func help(arguments: [String], words: [String]) async throws {
        let result = try await RefbotProcess.run(arguments)
        #expect(result.status == 0)
        for word in words { #expect(result.stdout.contains(word), "\(arguments) help lacks \(word)") }
    }

    @Test("listings --pending, approve, feature and decline act like the mail commands and queue their mail")
    func lifecycle() async throws {
        let (path, store) = try await fixture()
        let pending = try await RefbotProcess.run(
            ["admin", "listings", "--pending", "--config", path], environment: Self.environment)
        #expect(pending.status == 0)
        #expect(pending.stdout.contains("L-1"))
        #expect(pending.stdout.contains("Kitchen remodels"))

        let approve = try await RefbotProcess.run(
            ["admin", "approve", "L-1", "--config", path], environment: Self.environment)
        #expect(approve.status == 0, "\(approve.stderr)")
        #expect(approve.stdout.contains("L-1 \"Kitchen remodels\" is live."))
        #expect(try await outboxEvents(store) == ["listing.approved"])

        let again = try await RefbotProcess.run(
            ["admin", "approve", "L-1", "--config", path], environment: Self.environment)
        #expect(again.status == 1)
        #expect(again.stderr.contains("L-1 is already live."))

        let feature = try await RefbotProcess.run(
            ["admin", "feature", "L-1", "--days", "3", "--config", path], environment: Self.environment)
        #expect(feature.status == 0, "\(feature.stderr)")
        #expect(feature.stdout.contains("featured for 3 days"))

        let decline = try await RefbotProcess.run(
            ["admin", "decline", "L-1", "--reason", "Not a fit", "--config", path], environment: Self.environment)
        #expect(decline.status == 0, "\(decline.stderr)")
        #expect(try await outboxEvents(store) == ["listing.approved", "listing.declined"])
        let reason = try await store.read { db in
            try String.fetchOne(db, sql: "SELECT declineReason FROM listing WHERE id = 1")
        }
        #expect(reason == "Not a fit")

        let none = try await RefbotProcess.run(
            ["admin", "listings", "--pending", "--config", path], environment: Self.environment)
        #expect(none.stdout.contains("No listing is waiting for review."))
    }

    @Test("A bad listing number or --days exits 64; a missing configuration exits 78")
    func exitCodes() async throws {
        let (path, _) = try await fixture()
        let badNumber = try await RefbotProcess.run(
            ["admin", "approve", "R-1", "--config", path], environment: Self.environment)
        #expect(badNumber.status == 64)
        #expect(badNumber.stderr.contains("write it like L-12"))
        let badDays = try await RefbotProcess.run(
            ["admin", "feature", "L-1", "--days", "0", "--config", path], environment: Self.environment)
        #expect(badDays.status == 64)
        let missing = try await RefbotProcess.run(
            ["admin", "approve", "L-1", "--config", "/nonexistent/refbot.toml"], environment: Self.environment)
        #expect(missing.status == 78)
        let unknown = try await RefbotProcess.run(
            ["admin", "approve", "L-9", "--config", path], environment: Self.environment)
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("There is no listing L-9."))
    }
}
