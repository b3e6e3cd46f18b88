import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// Joining and sender authentication over real SMTP and IMAP.
@Suite("Members against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct MembersEndToEndTests {
    static let trusted = "mx.example.test"

    @Test("JOIN → member.confirm in her mailbox → CONFIRM to its Reply-To from her client → member.welcome")
    func joinAndConfirm() async throws {
        try await BotFixture.with(extraSMTP: "[auth]\ntrusted_authserv_id = \"\(Self.trusted)\"") { bot in
            try await bot.send(
                from: "carol@example.test", name: "Carol Diaz", subject: "JOIN",
                body: "Name: Carol Diaz\nBusiness: Diaz Kitchens\nCity: Springfield", messageID: "join-1@example.test")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let first = try await bot.runOnce()
            #expect(first.status == 0, "stderr: \(first.stderr)")

            let confirms = try await bot.mailbox("carol@example.test", atLeast: 1)
            let confirm = try #require(confirms.first { $0.header("X-Refbot-Event") == "member.confirm" })
            #expect(confirm.header("Auto-Submitted") == "auto-replied")
            #expect(confirm.inReplyTo == ["join-1@example.test"])
            let replyTo = try #require(confirm.replyTo.first?.address)
            #expect(replyTo.hasPrefix("bot+"))
            #expect(confirm.textBody.contains("mailto:\(replyTo)?subject=CONFIRM&body=CONFIRM"))
            let store = try Store(path: bot.databasePath)
            #expect(try await store.read { db in try StoreLedger(db).member(email: "carol@example.test")?.state } == .pending)

            // Carol answers in her client: CONFIRM above the quoted mail.
            let quoted = confirm.textBody.split(separator: "\n", omittingEmptySubsequences: false).map { "> \($0)" }
            let reply = [
                "From: Carol Diaz <carol@example.test>", "To: \(replyTo)", "Subject: Re: \(confirm.subject)",
                "Message-ID: <confirm-1@example.test>", "In-Reply-To: <\(confirm.messageID ?? "")>",
                "Date: Mon, 23 Nov 2026 10:05:00 +0000", "",
                "CONFIRM", "", "On Mon, 23 Nov 2026 at 10:01, Test Referral Network wrote:",
            ] + quoted
            try await bot.stack.deliver(
                Array((reply.joined(separator: "\r\n") + "\r\n").utf8), from: "carol@example.test", to: [replyTo])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let second = try await bot.runOnce()
            #expect(second.status == 0, "stderr: \(second.stderr)")

            let mail = try await bot.mailbox("carol@example.test", atLeast: 2)
            let welcome = try #require(mail.first { $0.header("X-Refbot-Event") == "member.welcome" })
            #expect(welcome.subject == "Welcome to Test Referral Network")
            #expect(welcome.textBody.contains("10 credits"))
            let member = try await store.read { db in try StoreLedger(db).member(email: "carol@example.test") }
            #expect(member?.state == .active)
            #expect(member?.business == "Diaz Kitchens")
        }
    }

    @Test("A forged GRANT and a forged STOP change nothing; the real owners get command.confirm")
    func forgedSendersChangeNothing() async throws {
        try await BotFixture.with(extraSMTP: "[auth]\ntrusted_authserv_id = \"\(Self.trusted)\"") { bot in
            let store = try Store(path: bot.databasePath)
            try await store.write { db in
                var alice = Member(
                    email: "alice@example.test", name: "Alice Example", state: .active, credits: 1, joinedAt: 1_790_000_000,
                    confirmedAt: 1_790_000_000)
                try StoreLedger(db).save(&alice)
            }
            // Bob's server lets him write any From: the bot's MTA adds no trusted verdict.
            try await bot.stack.deliver(
                Array(
                    ("From: Admin <admin@example.test>\r\nTo: bot@example.test\r\nSubject: GRANT alice@example.test 100\r\n"
                        + "Message-ID: <forged-grant@example.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n").utf8),
                from: "bob@example.test", to: ["bot@example.test"])
            try await bot.stack.deliver(
                Array(
                    ("From: Alice Example <alice@example.test>\r\nTo: bot@example.test\r\nSubject: STOP\r\n"
                        + "Message-ID: <forged-stop@example.test>\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
                        + "Authentication-Results: elsewhere.example; dmarc=pass header.from=example.test\r\n\r\n").utf8),
                from: "bob@example.test", to: ["bot@example.test"])
            _ = try await bot.mailbox("bot@example.test", atLeast: 2)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")

            let adminMail = try await bot.mailbox("admin@example.test", atLeast: 1)
            #expect(adminMail.map { $0.header("X-Refbot-Event") } == ["command.confirm"])
            #expect(adminMail.first?.textBody.contains("> GRANT alice@example.test 100") == true)
            let aliceMail = try await bot.mailbox("alice@example.test", atLeast: 1)
            #expect(aliceMail.map { $0.header("X-Refbot-Event") } == ["command.confirm"])
            #expect(try await bot.count("bob@example.test") == 0)

            let alice = try await store.read { db in try StoreLedger(db).member(email: "alice@example.test") }
            #expect(alice?.credits == 1)
            #expect(alice?.announcementsOff == false)
            let held = try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM heldCommand WHERE confirmedAt IS NULL") }
            #expect(held == 2)
        }
    }
}
