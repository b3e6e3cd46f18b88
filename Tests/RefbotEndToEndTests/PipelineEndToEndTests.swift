import Foundation
import GRDB
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `refbot` binary against real Dovecot and Postfix on loopback.
@Suite("refbot against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct PipelineEndToEndTests {
    @Test("A member mails HELP; refbot run --once answers; the answer lands in her INBOX and the original in Processed")
    func helpRoundTrip() async throws {
        try await BotFixture.with { bot in
            try await bot.send(subject: "HELP", body: "", messageID: "help-1@example.test")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)

            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stderr.contains("Command executed"))

            let answers = try await bot.mailbox("alice@example.test", atLeast: 1)
            try #require(answers.count == 1)
            let answer = answers[0]
            #expect(answer.header("X-Refbot-Event") == "help")
            #expect(answer.header("Auto-Submitted") == "auto-replied")
            #expect(answer.from?.address == "bot@example.test")
            #expect(answer.inReplyTo == ["help-1@example.test"])
            #expect(answer.messageID?.hasSuffix("@example.test") == true)
            #expect(answer.returnPath?.hasPrefix("bot+bounce-") == true, "VERP envelope sender")
            #expect(answer.subject == "How to use Test Referral Network")
            #expect(answer.textBody.contains("Sends you this list."))
            #expect(answer.textBody.contains("> HELP"))

            #expect(try await bot.count("bot@example.test") == 0)
            let processed = try await bot.mailbox("bot@example.test", folder: "Processed", atLeast: 1)
            #expect(processed.map(\.messageID) == ["help-1@example.test"])
        }
    }

    @Test("STARTTLS on imap:// and smtp://587 works the same")
    func starttls() async throws {
        try await BotFixture.with(imapTLS: "imap") { bot in
            let toml = try String(contentsOfFile: bot.configPath, encoding: .utf8).replacingOccurrences(
                of: "smtps://127.0.0.1:\(bot.stack.smtpsPort)", with: "smtp://127.0.0.1:\(bot.stack.submissionPort)")
            try toml.write(toFile: bot.configPath, atomically: true, encoding: .utf8)
            let check = try await RefbotProcess.run(["check-config", "--config", bot.configPath], environment: bot.environment)
            #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
            try await bot.send(subject: "help", body: "")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            #expect(try await bot.runOnce().status == 0)
            let answers = try await bot.mailbox("alice@example.test", atLeast: 1)
            #expect(answers.first?.header("X-Refbot-Event") == "help")
        }
    }

    @Test("An unknown command gets command.error; an auto-reply and a bounce get nothing")
    func errorsAndRobots() async throws {
        try await BotFixture.with { bot in
            try await bot.send(subject: "Hi", body: "Plese add me\n\nAlice")
            try await bot.send(subject: "Out of office", body: "I am away", extraHeaders: ["Auto-Submitted: auto-replied"])
            _ = try await bot.mailbox("bot@example.test", atLeast: 2)
            #expect(try await bot.runOnce().status == 0)
            let answers = try await bot.mailbox("alice@example.test", atLeast: 1)
            #expect(answers.count == 1)
            #expect(answers[0].header("X-Refbot-Event") == "command.error")
            #expect(answers[0].textBody.contains("> Plese add me"))
        }
    }

    @Test("While SMTP is down answers queue and it is logged once; when it is back each goes out exactly once")
    func smtpOutage() async throws {
        try await BotFixture.with(extraSMTP: "min_backoff_seconds = 1\nmax_backoff_seconds = 1") { bot in
            for i in 0..<3 { try await bot.send(subject: "HELP", body: "", messageID: "outage-\(i)@example.test") }
            _ = try await bot.mailbox("bot@example.test", atLeast: 3)
            try await bot.stack.stopSMTP()
            let down = try await bot.runOnce()
            #expect(down.status == 0)
            // Logged once for the three mails, naming the cause, not once per mail or retry.
            let unreachable = down.stderr.split(separator: "\n").filter { $0.contains("warning SMTP unreachable") }
            #expect(unreachable.count == 1, "\(down.stderr)")
            #expect(unreachable.first?.contains("could not connect to the SMTP server") == true, "\(unreachable)")
            let store = try Store(path: bot.databasePath)
            #expect(try await store.read { db in try Outbox.depth(in: db) } == 3)

            try await bot.stack.startSMTP()
            try await Task.sleep(for: .seconds(2))
            let up = try await bot.runOnce()
            #expect(up.status == 0, "\(up.stderr)")
            let answers = try await bot.mailbox("alice@example.test", atLeast: 3)
            #expect(answers.count == 3)
            #expect(Set(answers.flatMap(\.inReplyTo)) == ["outage-0@example.test", "outage-1@example.test", "outage-2@example.test"])
            #expect(try await store.read { db in try Outbox.depth(in: db) } == 0)
            // Every answer delivered once: a further pass sends nothing again.
            #expect(try await bot.runOnce().status == 0)
            try await Task.sleep(for: .seconds(1))
            #expect(try await bot.count("alice@example.test") == 3)
        }
    }

    @Test("While IMAP is down refbot logs it and exits 75 from --once; once it is back mail is handled")
    func imapOutage() async throws {
        try await BotFixture.with { bot in
            try await bot.stack.stopIMAP()
            let down = try await bot.runOnce()
            #expect(down.status == 75)
            #expect(down.stderr.contains("IMAP unreachable"))
            try await bot.stack.startIMAP()
            try await bot.send(subject: "HELP", body: "")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let up = try await bot.runOnce()
            #expect(up.status == 0)
            #expect(try await bot.mailbox("alice@example.test", atLeast: 1).count == 1)
        }
    }

    @Test("Bad MIME and a 20 MB mail are quarantined, NUL bytes arrive rewritten and are answered, the daemon carries on")
    func malformedQuarantined() async throws {
        try await BotFixture.with { bot in
            let badMIME = "From: Alice <alice@example.test>\r\nTo: bot@example.test\r\nSubject: HELP\r\nMessage-ID: <bad-mime@example.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nHELP\r\n"
            let nul = "From: Alice <alice@example.test>\r\nTo: bot@example.test\r\nSub\u{0}ject: HELP\r\nMessage-ID: <nul@example.test>\r\n\r\nHELP\r\n"
            var big = Array("From: Alice <alice@example.test>\r\nTo: bot@example.test\r\nSubject: HELP\r\nMessage-ID: <big@example.test>\r\n\r\n".utf8)
            let line = Array(String(repeating: "x", count: 998).utf8) + [13, 10]
            while big.count < 20 << 20 { big += line }
            try await bot.send(subject: "HELP", body: "", messageID: "good@example.test")
            try await bot.sendRaw(Array(badMIME.utf8))
            try await bot.sendRaw(big)
            // IMAP cannot carry NUL (RFC 3501): Dovecot serves NUL as 0x80 even from a Maildir file, so
            // the NUL mail reaches refbot as a harmless one and is answered. (The parser's refusal of
            // NUL in a header is covered by the pipeline tests.)
            try bot.dropIntoMaildir(user: "bot@example.test", Array(nul.utf8), name: "nul")
            _ = try await bot.rawMailbox("bot@example.test", atLeast: 4, timeout: .seconds(60))

            let result = try await bot.runOnce()
            #expect(result.status == 0, "\(result.stderr)")
            let store = try Store(path: bot.databasePath)
            let rows = try await store.read { db in
                try InboundMessage.order(Column("id")).fetchAll(db).map { "\($0.messageId ?? "-"):\($0.state.rawValue):\($0.disposition ?? "-")" }
            }
            #expect(Set(rows) == [
                "good@example.test:done:help", "bad-mime@example.test:quarantined:quarantined",
                "big@example.test:quarantined:quarantined", "nul@example.test:done:help",
            ])
            let quarantined = try await bot.rawMailbox("bot@example.test", folder: "Quarantine", atLeast: 2, timeout: .seconds(10))
            #expect(quarantined.count == 2)
            let answers = try await bot.mailbox("alice@example.test", atLeast: 2)
            #expect(answers.map { $0.header("X-Refbot-Event") } == ["help", "help"])
            let notices = try await bot.mailbox("admin@example.test", atLeast: 2)
            #expect(notices.count == 2)
            #expect(notices.allSatisfy { $0.header("X-Refbot-Event") == "message.quarantined" })
        }
    }
}
