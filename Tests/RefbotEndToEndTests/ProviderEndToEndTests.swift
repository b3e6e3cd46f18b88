import Foundation
import GRDB
import RefbotCore
import RefbotCurl
import RefbotMail
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Testing

/// What providers need, against the real Dovecot and Postfix: the junk folder read through
/// `imap.also_poll`, ARF complaints, and check-config's plus-address probe.
@Suite("Provider needs against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct ProviderEndToEndTests {
    static let caps = "\n[mail]\nreplies_per_address_per_hour = 100000\nunproven_replies_per_hour = 100000\n"

    /// The fixture's configuration with `lines` added to its `[imap]` table.
    static func addToIMAP(_ bot: BotFixture, _ lines: String) throws {
        let toml = try String(contentsOfFile: bot.configPath, encoding: .utf8)
            .replacingOccurrences(of: "poll_seconds = 1\n", with: "poll_seconds = 1\n\(lines)\n")
        try toml.write(toFile: bot.configPath, atomically: true, encoding: .utf8)
    }

    @Test("A HELP the provider filed in the \\Junk folder is read through imap.also_poll, answered, and moved out of it")
    func junkFolder() async throws {
        try await BotFixture.with(extraSMTP: Self.caps) { bot in
            try Self.addToIMAP(bot, "also_poll = [\"\\\\Junk\"]")
            try await bot.send(subject: "HELP", body: "HELP", messageID: "junk-help@example.test")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            // The provider's spam filter files it: into the folder Dovecot lists as \Junk.
            let pool = CurlThreadPool(threads: 1)
            let mailbox = IMAPMailbox(
                settings: bot.stack.imapSettings(user: "bot@example.test", password: "botpass", tls: .imaps), pool: pool)
            try await mailbox.createFolderIfMissing("Junk")
            _ = try await mailbox.move(uids: try await mailbox.listInbox().uids, from: nil, to: "Junk")
            #expect(try await bot.count("bot@example.test") == 0)

            let run = try await bot.runOnce()
            #expect(run.status == 0, "\(run.stderr)")
            let answers = try await bot.mailbox("alice@example.test", atLeast: 1)
            #expect(answers.map { $0.header("X-Refbot-Event") } == ["help"])
            #expect(try await mailbox.list(folder: "Junk").uids.isEmpty, "moved out of the junk folder")
            let processed = try await bot.mailbox("bot@example.test", folder: "Processed", atLeast: 1)
            #expect(processed.map(\.messageID) == ["junk-help@example.test"])
            await pool.shutdown()
        }
    }

    @Test("An ARF complaint about a mail refbot sent stops announcements to the member and tells the admins; a forged one counts nothing")
    func complaint() async throws {
        try await BotFixture.with(extraSMTP: Self.caps) { bot in
            _ = try await bot.runOnce()
            let store = try Store(path: bot.databasePath)
            try await BounceEndToEndTests.addMembers(["alice@example.test"], to: store)
            try await bot.send(from: "alice@example.test", subject: "HELP", body: "HELP")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            let help = try #require(try await bot.mailbox("alice@example.test", atLeast: 1).first)
            let verp = try #require(help.returnPath)
            let messageID = try #require(help.messageID)

            // A forged report: the right row, a made-up mac.
            let forged = verp.split(separator: "-").dropLast().joined(separator: "-") + "-aaaaaaaaaa@example.test"
            try await bot.sendRaw(Self.report(envelopeFrom: forged, messageID: messageID), from: "")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            #expect(try await BounceEndToEndTests.member("alice@example.test", in: store)?.announcementsOff == false)

            try await bot.sendRaw(Self.report(envelopeFrom: verp, messageID: messageID), from: "")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            #expect(try await BounceEndToEndTests.member("alice@example.test", in: store)?.announcementsOff == true)
            let notices = try await bot.mailbox("admin@example.test", atLeast: 1)
            #expect(notices.map { $0.header("X-Refbot-Event") } == ["member.complaint"])
            #expect(notices.first?.textBody.contains("alice@example.test") == true)
        }
    }

    @Test("check-config proves plus addressing: its probe to bot+check@ arrives and is filed out of the inbox")
    func plusAddressProbe() async throws {
        try await BotFixture.with { bot in
            let check = try await RefbotProcess.run(["check-config", "--config", bot.configPath], environment: bot.environment)
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            #expect(check.stdout.contains("ok    plus addressing: mail to bot+check@example.test arrived"), "\(check.stdout)")
            #expect(try await bot.count("bot@example.test") == 0)
            let filed = try await bot.mailbox("bot@example.test", folder: "Processed", atLeast: 1)
            #expect(filed.first?.to.map(\.address) == ["bot+check@example.test"])

            let skipped = try await RefbotProcess.run(
                ["check-config", "--no-plus-address-check", "--config", bot.configPath], environment: bot.environment)
            #expect(skipped.status == 0)
            #expect(!skipped.stdout.contains("plus addressing"))
        }
    }

    /// An ARF report as Microsoft's JMRP words it.
    static func report(envelopeFrom: String, messageID: String) -> [UInt8] {
        let text = """
            From: staff@hotmail.test\r
            To: bot@example.test\r
            Subject: complaint about message from 127.0.0.1\r
            Message-ID: <\(UUID().uuidString)@hotmail.test>\r
            Date: Thu, 03 Dec 2026 14:22:08 +0000\r
            MIME-Version: 1.0\r
            Content-Type: multipart/report; report-type=feedback-report; boundary="arf"\r
            \r
            --arf\r
            Content-Type: text/plain\r
            \r
            This is an email abuse report for an email message received from IP 127.0.0.1.\r
            --arf\r
            Content-Type: message/feedback-report\r
            \r
            Feedback-Type: abuse\r
            User-Agent: Hotmail FBL\r
            Version: 0.1\r
            Original-Mail-From: <\(envelopeFrom)>\r
            \r
            --arf\r
            Content-Type: message/rfc822\r
            \r
            Return-Path: <\(envelopeFrom)>\r
            From: Test Referral Network <bot@example.test>\r
            To: redacted@hotmail.test\r
            Message-ID: <\(messageID)>\r
            Subject: Commands\r
            \r
            Hello.\r
            --arf--\r

            """
        return Array(text.utf8)
    }
}

/// A provider's "too many" answer from the loopback Postfix (`ratelimited@` gets `452 4.5.3 …
/// rate limited`, `overquota@` gets Gmail's `550 5.4.5 Daily user sending quota exceeded`).
@Suite("Provider quota answers against Postfix", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct QuotaEndToEndTests {
    static func rows(_ store: Store) async throws -> [OutboxMessage] {
        try await store.read { db in try OutboxMessage.fetchAll(db, sql: "SELECT * FROM outboxMessage ORDER BY id") }
    }

    @Test(
        "A quota answer defers the mail instead of failing it, tells no admin, and holds back the mail behind it",
        arguments: ["ratelimited@example.test", "overquota@example.test"])
    func quotaDefers(_ limited: String) async throws {
        try await BotFixture.with(extraSMTP: ProviderEndToEndTests.caps) { bot in
            _ = try await bot.runOnce()
            let store = try Store(path: bot.databasePath)
            try await bot.send(from: limited, subject: "HELP", body: "HELP")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            try await bot.send(from: "alice@example.test", subject: "HELP", body: "HELP")
            _ = try await bot.mailbox("bot@example.test", atLeast: 2)
            let run = try await bot.runOnce()
            #expect(run.status == 0, "\(run.stderr)")

            let rows = try await Self.rows(store)
            #expect(rows.map(\.event) == ["help", "help"], "no delivery.failed: \(rows.map(\.event))")
            #expect(rows.allSatisfy { $0.state == .pending }, "deferred, not failed")
            #expect(rows.first?.lastError?.contains("sending quota or rate limit") == true, "\(rows.first?.lastError ?? "")")
            #expect(rows.last?.recipientList == ["alice@example.test"])
            #expect(rows.last?.lastError?.contains("sending quota or rate limit") == true, "held back without being tried")
            #expect(try await bot.count("alice@example.test") == 0)
            #expect(run.stderr.contains("SMTP quota reached"), "\(run.stderr.suffix(2000))")
        }
    }
}
