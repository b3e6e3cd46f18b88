import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// One reply clears a week: Bob's digest, sent by the built `refbot` over real SMTP and read from
/// his real IMAP inbox, numbers what waits on him; one reply with three numbered lines acts on a
/// referral to accept, a referral to report won and a connection request, and he gets one
/// `command.done` that lists all three.
///
/// With `REFBOT_TRANSCRIPT=<file>` set, the test writes the digest as received, the reply as sent
/// and the `command.done` as received to that file (`scripts/digest-transcript` runs it so).
@Suite("One reply clears a week", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct DigestEndToEndTests {
    static let alice = "alice@example.test"
    static let bob = "bob@example.test"
    static let carol = "carol@example.test"
    static let settings = "[network]\ndigest_days = 7"

    /// The mails with `event` in `user`'s INBOX, waiting until there are `count` of them.
    func mails(_ bot: BotFixture, _ user: String, _ event: String, count: Int = 1) async throws -> [ParsedMessage] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let found = try await bot.mailbox(user, atLeast: 0, timeout: .seconds(5))
                .filter { $0.header("X-Refbot-Event") == event }
            if found.count >= count { return found }
            if ContinuousClock.now > deadline {
                throw MailStackError("\(user) has \(found.count) \(event) mail, \(count) awaited")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Alice and Bob are connected; Bob has R-1 (Carol Diaz) waiting for ACCEPT, R-2 (Dan Ortiz)
    /// accepted and waiting for its outcome, and Carol's request to connect (C-2).
    func seed(_ bot: BotFixture) async throws -> Store {
        let store = try await bot.seedConnectedPair(referrer: Self.alice, owner: Self.bob)
        let now = Int64(Date().timeIntervalSince1970)
        try await store.write { db in
            let ledger = StoreLedger(db)
            let alice = try #require(try ledger.member(email: Self.alice))
            let bob = try #require(try ledger.member(email: Self.bob))
            var carol = Member(email: Self.carol, name: "Carol Chen", business: "Chen Plumbing", state: .active, credits: 10, joinedAt: 1_790_000_000)
            try ledger.save(&carol)
            var pending = Referral(
                listingId: 1, ownerId: bob.id ?? 0, referrerId: alice.id ?? 0, customerName: "Carol Diaz",
                customerEmail: "carol.diaz@example.com", need: "A new kitchen before summer", createdAt: now, deliveredAt: now)
            try ledger.save(&pending)
            var accepted = Referral(
                listingId: 1, ownerId: bob.id ?? 0, referrerId: alice.id ?? 0, customerName: "Dan Ortiz",
                customerEmail: "dan.ortiz@example.com", need: "A kitchen island", state: .accepted, createdAt: now,
                deliveredAt: now, updatedAt: now, acceptedAt: now)
            try ledger.save(&accepted)
            var request = Connection(requesterId: carol.id ?? 0, addresseeId: bob.id ?? 0, createdAt: now)
            try ledger.save(&request)
        }
        return store
    }

    @Test("Bob clears a referral to accept, an outcome to report and a connection request with one reply to his digest")
    func oneReplyClearsThree() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            let store = try await seed(bot)
            let first = try await bot.runOnce()
            #expect(first.status == 0, "stderr: \(first.stderr)")
            let digest = try #require(try await mails(bot, Self.bob, "digest").first)
            let listed = digest.textBody
            #expect(listed.contains("1. R-1: Carol Diaz for \"Kitchen remodels\" waits for your answer."))
            #expect(listed.contains("2. R-2: Dan Ortiz for \"Kitchen remodels\" (you accepted): how did it go?"))
            #expect(listed.contains("3. C-2: Carol Chen (Chen Plumbing) would like to connect."))

            // Bob's client: the new text on top, in any order, the digest quoted below.
            let replyTo = try #require(digest.header("Reply-To"))
            let typed = ["3 ACCEPT", "1 ACCEPT", "2 WON $1,200"]
            let reply = ([
                "From: Bob Roe <\(Self.bob)>", "To: \(replyTo)", "Subject: Re: \(digest.subject)",
                "Message-ID: <\(UUID().uuidString)@example.test>", "In-Reply-To: <\(digest.messageID ?? "")>",
                "Date: Mon, 23 Nov 2026 10:05:00 +0000", "",
            ] + typed + ["", "On Mon, 23 Nov 2026 at 10:01, Test Referral Network <bot@example.test> wrote:"]
                + listed.split(separator: "\n", omittingEmptySubsequences: false).map { "> \($0)" }).joined(separator: "\r\n") + "\r\n"
            try await bot.stack.deliver(Array(reply.utf8), from: Self.bob, to: [replyTo])
            try await bot.pass()

            let done = try await mails(bot, Self.bob, "command.done")
            #expect(done.count == 1, "one answer for the three lines")
            let answer = try #require(done.first)
            #expect(answer.subject == "Done: All 3 lines of your reply were carried out.")
            #expect(answer.textBody.contains("> 3 ACCEPT\nDone. You and Carol Chen (Chen Plumbing) are now connected (C-2)."))
            #expect(answer.textBody.contains("> 1 ACCEPT\nDone. You accepted R-1: Carol Diaz for \"Kitchen remodels\"."))
            #expect(answer.textBody.contains("> 2 WON $1,200\nDone. R-2 is now won; we told Alice Example."))

            let (one, two, request, credits) = try await store.read { db in
                let ledger = StoreLedger(db)
                return (
                    try ledger.referral(id: 1), try ledger.referral(id: 2), try ledger.connection(id: 2),
                    try ledger.member(email: Self.bob)?.credits)
            }
            #expect(one?.state == .accepted)
            #expect(two?.state == .won)
            #expect(two?.wonAmount == Money(amountMinor: 120_000, currency: "USD"))
            #expect(request?.state == .accepted)
            #expect(credits == 9)
            // The others hear of it as usual.
            _ = try await mails(bot, Self.alice, "referral.accepted")
            _ = try await mails(bot, Self.alice, "referral.updated")
            _ = try await mails(bot, Self.carol, "connection.accepted")
            #expect(try await mails(bot, Self.bob, "command.done").count == 1)

            if let path = ProcessInfo.processInfo.environment["REFBOT_TRANSCRIPT"], !path.isEmpty {
                let transcript = [
                    "=== The digest, as Bob's IMAP inbox has it ===", Self.shown(digest),
                    "=== Bob's reply, as sent ===", reply.replacingOccurrences(of: "\r\n", with: "\n"),
                    "=== The command.done, as Bob's IMAP inbox has it ===", Self.shown(answer),
                ].joined(separator: "\n")
                try transcript.write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
    }

    /// A received mail's main header fields and its text, as a mail client shows them.
    static func shown(_ mail: ParsedMessage) -> String {
        let fields = ["From", "To", "Reply-To", "Subject", "X-Refbot-Event"].compactMap { name in
            mail.header(name).map { "\(name): \($0)" }
        }
        return (fields + ["", mail.textBody]).joined(separator: "\n")
    }
}
