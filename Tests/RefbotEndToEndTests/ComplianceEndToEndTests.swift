import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// The compliance guardrails over real SMTP and IMAP with the built `refbot` binary: a listing that
/// breaks RESPA section 8 refused by mail and published by an admin's recorded override; a lawyer's
/// listing whose agreement carries the reciprocal-referral disclosure.
@Suite("Compliance against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct ComplianceEndToEndTests {
    static let trusted = SenderProof.authservID
    static let config = "[auth]\ntrusted_authserv_id = \"\(SenderProof.authservID)\""

    func events(_ mails: [ParsedMessage]) -> [String] { mails.compactMap { $0.header("X-Refbot-Event") } }

    func addMembers(_ bot: BotFixture, connect: Bool = false) async throws -> Store {
        let store = try Store(path: bot.databasePath)
        try await store.write { db in
            let ledger = StoreLedger(db)
            var alice = Member(email: "alice@example.test", name: "Alice Example", state: .active, credits: 10, joinedAt: 1_790_000_000)
            var bob = Member(email: "bob@example.test", name: "Bob Roe", business: "Roe Law", state: .active, credits: 10, joinedAt: 1_790_000_000)
            try ledger.save(&alice)
            try ledger.save(&bob)
            if connect {
                var connection = Connection(
                    requesterId: alice.id ?? 0, addresseeId: bob.id ?? 0, state: .accepted, createdAt: 1_790_000_000,
                    decidedAt: 1_790_000_000)
                try ledger.save(&connection)
            }
        }
        return store
    }

    @Test("A RESPA-breaking real estate LISTING is refused by mail with the rule and 'not legal advice'; admin compliance override publishes it with the reason recorded")
    func respaRefusedThenOverridden() async throws {
        try await BotFixture.with(extraSMTP: Self.config) { bot in
            let store = try await addMembers(bot)
            try await bot.send(
                subject: "LISTING",
                body: """
                    Title: Home buyers in Springfield
                    Category: Homes
                    Customer: Families moving to town
                    Reward: 1% of sale
                    Profession: Realtor
                    Jurisdiction: California
                    """,
                extraHeaders: [SenderProof.header()])
            try await bot.pass()

            let alice = try await bot.mailbox("alice@example.test", atLeast: 1)
            let refused = try #require(alice.first { $0.header("X-Refbot-Event") == "listing.refused" })
            #expect(refused.header("X-Refbot-Ref") == "L-1")
            #expect(refused.textBody.contains("RESPA section 8 (12 U.S.C. 2607)"))
            #expect(refused.textBody.contains("a percentage of the sale (1% of sale)"))
            #expect(refused.textBody.contains("Offer thanks instead: write Reward: none."))
            #expect(refused.textBody.contains("This is not legal advice"))
            let admin = try await bot.mailbox("admin@example.test", atLeast: 1)
            let held = try #require(admin.first { $0.header("X-Refbot-Event") == "listing.held" })
            #expect(held.textBody.contains("refbot admin compliance override L-1 --reason"))
            #expect(!events(admin).contains("listing.review"))

            // The admin publishes it at the server, with a reason.
            let override = try await RefbotProcess.run(
                ["admin", "compliance", "override", "L-1", "--reason", "Unpaid referral network; cleared by counsel", "--config", bot.configPath],
                environment: bot.environment)
            #expect(override.status == 0, "\(override.stderr)")
            #expect(override.stdout.contains("L-1 \"Home buyers in Springfield\" is live: you overrode compliance rule respa-8."))
            let listings = try await RefbotProcess.run(["admin", "listings", "--config", bot.configPath], environment: bot.environment)
            #expect(listings.stdout.contains("compliance rule respa-8 overridden by admin@example.test"))
            #expect(listings.stdout.contains("Unpaid referral network; cleared by counsel"))
            let again = try await RefbotProcess.run(
                ["admin", "compliance", "override", "L-1", "--reason", "twice", "--config", bot.configPath], environment: bot.environment)
            #expect(again.status == 1)
            #expect(again.stderr.contains("already overridden"))

            let stored = try #require(try await store.read { db in try StoreLedger(db).listing(id: 1) })
            #expect(stored.state == .live)
            #expect(stored.compliance.overrideReason == "Unpaid referral network; cleared by counsel")
            let history = try await store.read { db in try LedgerHistory.events(ref: "L-1", in: db) }
            #expect(history.map(\.action) == ["compliance hold", "compliance override"])
            let overrideEvent = try #require(history.last)
            #expect(overrideEvent.method == .admin)
            #expect(overrideEvent.actor?.hasPrefix("admin@example.test") == true)
            #expect(overrideEvent.fromState == "pending")
            #expect(overrideEvent.toState == "live")
            #expect(overrideEvent.detail == "rule respa-8: Unpaid referral network; cleared by counsel")

            // The daemon's next pass mails the owner: live, overridden, not legal advice.
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let approved = try #require(
                try await bot.mailbox("alice@example.test", atLeast: 2).first { $0.header("X-Refbot-Event") == "listing.approved" })
            #expect(approved.textBody.contains("reviewed it and published it with this reason: Unpaid referral network; cleared by counsel"))
            #expect(approved.textBody.contains("This is not legal advice"))
        }
    }

    @Test("A lawyer's LISTING passes with Reward: none; REFER → AGREE gives both sides an agreement carrying the disclosure, under its SHA-256")
    func lawyerAgreementCarriesDisclosure() async throws {
        try await BotFixture.with(extraSMTP: Self.config + "\n[network]\nauto_approve_listings = true") { bot in
            let store = try await addMembers(bot, connect: true)
            try await bot.send(
                from: "bob@example.test", name: "Bob Roe", subject: "LISTING",
                body: """
                    Title: Estate planning clients
                    Category: Legal
                    Customer: Families who need a will
                    Reward: none
                    Profession: attorney at law
                    Jurisdiction: US-NY
                    """,
                extraHeaders: [SenderProof.header()])
            try await bot.pass()
            let bobMail = try await bot.mailbox("bob@example.test", atLeast: 1)
            let submitted = try #require(bobMail.first { $0.header("X-Refbot-Event") == "listing.submitted" })
            #expect(submitted.textBody.contains("Reciprocal referral disclosure"))
            #expect(submitted.textBody.contains("This is not legal advice"))

            try await bot.send(
                subject: "REFER L-1",
                body: "Customer: Carol Diaz\nEmail: carol@example.test\nNeed: A will\nConsent: yes",
                extraHeaders: [SenderProof.header()])
            try await bot.pass()
            let request = try #require(
                try await bot.mailbox("alice@example.test", atLeast: 2).first { $0.header("X-Refbot-Event") == "agreement.request" })
            #expect(request.textBody.contains("Reciprocal referral disclosure: this agreement is not exclusive."))
            try await bot.reply(from: "alice@example.test", to: request, body: "AGREE")
            try await bot.pass()

            let agreement = try #require(try await store.read { db in try Agreement.fetchOne(db) })
            let aliceCopy = try #require(
                try await bot.mailbox("alice@example.test", atLeast: 3).first { $0.header("X-Refbot-Event") == "agreement.copy" })
            let bobCopy = try #require(
                try await bot.mailbox("bob@example.test", atLeast: 2).first { $0.header("X-Refbot-Event") == "agreement.copy" })
            for copy in [aliceCopy, bobCopy] {
                let file = try #require(copy.parts.first { $0.filename == "agreement-L-1.txt" })
                let text = String(decoding: file.body, as: UTF8.self)
                #expect(text.contains("DISCLOSURE required by the network's compliance rules for this listing:"))
                #expect(text.contains("Reciprocal referral disclosure: this agreement is not exclusive."))
                #expect(text.contains("not legal advice"))
                #expect(TextDigest.sha256Hex(file.body) == agreement.sha256)
            }
        }
    }
}
