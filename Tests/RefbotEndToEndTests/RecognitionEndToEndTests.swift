import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// The monthly recognition mail and `RECOGNITION off`, through the real mail servers.
@Suite("Recognition against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct RecognitionEndToEndTests {
    static let proven = "[auth]\ntrusted_authserv_id = \"\(SenderProof.authservID)\""

    @Test("Alice's and Bob's referrals last month reach Carol's INBOX as recognition: counts, no amounts, and Bob, who sent RECOGNITION off, unnamed")
    func monthlyMail() async throws {
        try await BotFixture.with(extraSMTP: Self.proven, recognitionTop: 5) { bot in
            let store = try await bot.seedConnectedPair(referrer: "alice@example.test", owner: "bob@example.test")
            // Last month (UTC, as the daemon reads it): Alice gave Bob two referrals, he accepted
            // both and won one for $1,234.56; Bob gave Alice one. Carol did nothing.
            let month = RecognitionMonth(containing: Int64(Date().timeIntervalSince1970)).previous
            let t = month.start + 86_400
            try await store.write { db in
                let ledger = StoreLedger(db)
                var carol = Member(email: "carol@example.test", name: "Carol Diaz", state: .active, credits: 10, joinedAt: t)
                try ledger.save(&carol)
                let alice = try #require(try ledger.member(email: "alice@example.test"))
                let bob = try #require(try ledger.member(email: "bob@example.test"))
                var listing = Listing(
                    ownerId: alice.id ?? 0, title: "Garden design", category: "Gardens", customer: "Homeowners",
                    reward: .perLead(Money(amountMinor: 9_900, currency: "USD")), state: .live, createdAt: t)
                try ledger.save(&listing)
                for (index, won) in [true, false].enumerated() {
                    let at = t + Int64(index) * 3600
                    var referral = Referral(
                        listingId: 1, ownerId: bob.id ?? 0, referrerId: alice.id ?? 0, customerName: "Dee \(index)",
                        need: "A kitchen", createdAt: at, deliveredAt: at)
                    try ledger.save(&referral)
                    referral.state = .accepted
                    referral.acceptedAt = at + 600
                    referral.updatedAt = at + 600
                    try ledger.save(&referral)
                    if won {
                        referral.state = .won
                        referral.wonAmount = Money(amountMinor: 123_456, currency: "USD")
                        referral.rewardOwed = Money(amountMinor: 50_000, currency: "USD")
                        referral.updatedAt = at + 1200
                        try ledger.save(&referral)
                    }
                }
                var back = Referral(
                    listingId: listing.id ?? 0, ownerId: alice.id ?? 0, referrerId: bob.id ?? 0, customerName: "Eve",
                    need: "A garden", createdAt: t + 7200, deliveredAt: t + 7200)
                try ledger.save(&back)
            }
            try await bot.send(
                from: "bob@example.test", name: "Bob Roe", subject: "RECOGNITION off", body: "",
                extraHeaders: [SenderProof.header()])
            try await bot.pass()

            let carols = try await bot.mailbox("carol@example.test", atLeast: 1)
            let mail = try #require(carols.first { $0.header("X-Refbot-Event") == "recognition.monthly" })
            #expect(mail.subject == "Referral recognition for \(month.name)")
            #expect(mail.header("Auto-Submitted") == "auto-generated")
            #expect(mail.header("List-Unsubscribe") != nil)
            let text = mail.textBody
            #expect(text.contains("Most referrals given:\n  1. Alice Example: 2\n  2. \(Recognition.privateName): 1\n"), "\(text)")
            #expect(text.contains("Most referrals accepted:\n  1. Alice Example: 2\n"), "\(text)")
            #expect(text.contains("Most referrals won:\n  1. Alice Example: 1\n"), "\(text)")
            #expect(!text.contains("Bob Roe") && !text.contains("Roe Kitchens"), "\(text)")
            let prose = text.split(separator: "\n").filter { !$0.contains("://") && !$0.contains("mailto:") }.joined(separator: "\n")
            #expect(prose.firstMatch(of: /[$€£]|USD|\d[.,]\d{2}\b|\d,\d{3}|1234|123456|500/) == nil, "\(prose)")

            let bobs = try await bot.mailbox("bob@example.test", atLeast: 2)
            let done = try #require(bobs.first { $0.header("X-Refbot-Event") == "command.done" })
            #expect(done.textBody.contains("Your rank is private now."))
            let own = try #require(bobs.first { $0.header("X-Refbot-Event") == "recognition.monthly" })
            #expect(own.textBody.contains("Referrals you gave: 1 (rank 2 of 2)"))
            #expect(own.textBody.contains("Your rank is private"))
            #expect(try await store.read { db in try StoreLedger(db).member(email: "bob@example.test")?.recognitionOff } == true)

            // A second pass this month sends no second recognition.
            try await bot.send(from: "carol@example.test", name: "Carol Diaz", subject: "HELP", body: "")
            try await bot.pass()
            let again = try await bot.mailbox("carol@example.test", atLeast: 2)
            #expect(again.filter { $0.header("X-Refbot-Event") == "recognition.monthly" }.count == 1)
        }
    }
}
