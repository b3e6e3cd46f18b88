import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// Bounces over real SMTP and IMAP (spec §2 "A bounce counts against a member only when…", §4
/// "Envelope sender (VERP)"): only a bounce to an envelope sender refbot minted, naming a recipient
/// of that mail, counts; at `mail.bounce_limit` a probe goes out, and mail stops only when it bounces.
@Suite("Bounces against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct BounceEndToEndTests {
    static func config(limit: Int) -> String {
        "[auth]\ntrusted_authserv_id = \"\(SenderProof.authservID)\"\n[mail]\nbounce_limit = \(limit)\n"
            + "replies_per_address_per_hour = 100000\nunproven_replies_per_hour = 100000"
    }

    /// An RFC 3464 report as a mail server writes it, saying mail to `recipient` failed for good.
    static func dsn(to address: String, naming recipient: String, id: String) -> [UInt8] {
        let text = """
            From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r
            To: \(address)\r
            Subject: Undelivered Mail Returned to Sender\r
            Message-ID: <\(id)@mx.example.net>\r
            Date: Mon, 23 Nov 2026 10:00:00 +0000\r
            Auto-Submitted: auto-replied\r
            MIME-Version: 1.0\r
            Content-Type: multipart/report; report-type=delivery-status; boundary="b1"\r
            \r
            --b1\r
            Content-Type: text/plain\r
            \r
            Your message could not be delivered.\r
            \r
            --b1\r
            Content-Type: message/delivery-status\r
            \r
            Reporting-MTA: dns; mx.example.net\r
            \r
            Final-Recipient: rfc822; \(recipient)\r
            Original-Recipient: rfc822; \(recipient)\r
            Action: failed\r
            Status: 5.1.1\r
            Diagnostic-Code: smtp; 550 5.1.1 no such user\r
            \r
            --b1\r
            Content-Type: text/rfc822-headers\r
            \r
            Return-Path: <\(address)>\r
            From: Test Referral Network <bot@example.test>\r
            To: \(recipient)\r
            Subject: Commands\r
            \r
            --b1--\r

            """
        return Array(text.utf8)
    }

    static func addMembers(_ emails: [String], to store: Store) async throws {
        try await store.write { db in
            for email in emails {
                var member = Member(
                    email: email, name: String(email.prefix { $0 != "@" }).capitalized, state: .active, credits: 1,
                    joinedAt: 1_790_000_000, confirmedAt: 1_790_000_000)
                try StoreLedger(db).save(&member)
            }
        }
    }

    /// Runs passes until `done` holds (Postfix's own bounces arrive in their own time), for 30 s at most.
    static func runUntil(_ bot: BotFixture, _ what: String, _ done: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        var last: RefbotProcess.Result?
        while ContinuousClock.now < deadline {
            if try await done() { return }
            last = try await bot.runOnce()
            if try await done() { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        let log = (try? String(contentsOfFile: bot.stack.directory + "/log/postfix.log", encoding: .utf8))?.suffix(5000) ?? ""
        Issue.record("not reached in 30 s: \(what)\n\(last?.stderr.suffix(2000) ?? "")\n\(log)")
        throw MailStackError("not reached: \(what)")
    }

    static func member(_ email: String, in store: Store) async throws -> Member? {
        try await store.read { db in try StoreLedger(db).member(email: email) }
    }

    @Test("Forged DSNs to the bare address and to guessed bot+bounce-<n> count nothing: the member still gets answers")
    func forgedBouncesCountNothing() async throws {
        try await BotFixture.with(extraSMTP: Self.config(limit: 3)) { bot in
            _ = try await bot.runOnce()  // creates the database
            let store = try Store(path: bot.databasePath)
            try await Self.addMembers(["alice@example.test"], to: store)
            // Four forged reports naming Alice, from the null sender: two to the bare address, two to
            // guessed VERP addresses in the old sequential form.
            for (n, address) in ["bot@example.test", "bot+bounce-1@example.test", "bot@example.test", "bot+bounce-2@example.test"]
                .enumerated()
            {
                try await bot.stack.deliver(
                    Self.dsn(to: address, naming: "alice@example.test", id: "forged-\(n)"), from: "", to: [address])
            }
            _ = try await bot.mailbox("bot@example.test", atLeast: 4)
            let first = try await bot.runOnce()
            #expect(first.status == 0, "stderr: \(first.stderr)")
            #expect(try await Self.member("alice@example.test", in: store)?.bounceCount == 0)

            try await bot.send(from: "alice@example.test", subject: "HELP", body: "HELP")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            let mail = try await bot.mailbox("alice@example.test", atLeast: 1)
            #expect(mail.contains { $0.header("X-Refbot-Event") == "help" }, "Alice is still mailed")
            let alice = try await Self.member("alice@example.test", in: store)
            #expect(alice?.bounceCount == 0)
            #expect(alice?.bounceStoppedAt == nil)
        }
    }

    @Test("A DSN to the genuine VERP address of mail to Alice counts for Alice only, never for Bob it names")
    func genuineVERPOtherRecipient() async throws {
        try await BotFixture.with(extraSMTP: Self.config(limit: 3)) { bot in
            _ = try await bot.runOnce()
            let store = try Store(path: bot.databasePath)
            try await Self.addMembers(["alice@example.test", "bob@example.test"], to: store)
            try await bot.send(from: "alice@example.test", subject: "HELP", body: "HELP")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            let help = try #require(try await bot.mailbox("alice@example.test", atLeast: 1).first)
            let verp = try #require(help.returnPath)
            #expect(verp.hasPrefix("bot+bounce-") && verp.split(separator: "-").count == 3, "bot+bounce-<id>-<mac>: \(verp)")

            // Alice, who has the mail and so its envelope sender, makes it bounce for Bob.
            try await bot.stack.deliver(Self.dsn(to: verp, naming: "bob@example.test", id: "other-1"), from: "", to: [verp])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            #expect(try await Self.member("bob@example.test", in: store)?.bounceCount == 0, "Bob was not mailed there")

            // The same address naming its own recipient counts: the VERP path works.
            try await bot.stack.deliver(Self.dsn(to: verp, naming: "alice@example.test", id: "own-1"), from: "", to: [verp])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            #expect(try await Self.member("alice@example.test", in: store)?.bounceCount == 1)
            #expect(try await Self.member("bob@example.test", in: store)?.bounceCount == 0)
        }
    }

    @Test("Postfix's own bounces count; at the limit a probe goes out; its bounce stops mail and tells the admins once")
    func realBouncesProbeAndStop() async throws {
        try await BotFixture.with(extraSMTP: Self.config(limit: 2)) { bot in
            _ = try await bot.runOnce()
            let store = try Store(path: bot.databasePath)
            // Ghost has no mailbox: mail to ghost@example.test bounces to its envelope sender.
            try await Self.addMembers(["ghost@example.test"], to: store)
            for n in 0..<2 {
                try await bot.send(from: "ghost@example.test", name: "Ghost", subject: "HELP", body: "HELP", messageID: "ghost-\(n)@example.test")
            }
            _ = try await bot.mailbox("bot@example.test", atLeast: 2)
            let sent = try await bot.runOnce()  // two answers to Ghost; Postfix bounces both
            #expect(sent.status == 0, "stderr: \(sent.stderr)")
            // Postfix's bounces come when they come (the pass that sent may already fetch the first).
            try await Self.runUntil(bot, "both bounces counted") {
                try await Self.member("ghost@example.test", in: store)?.bounceCount == 2
            }
            var ghost = try #require(try await Self.member("ghost@example.test", in: store))
            #expect(ghost.bounceCount == 2)
            #expect(ghost.bounceStoppedAt == nil, "bounces alone never stop mail")
            let probes = try await store.read { db in
                try String.fetchAll(db, sql: "SELECT recipients FROM outboxMessage WHERE event = 'member.probe'")
            }
            #expect(probes == ["ghost@example.test"])
            #expect(try await bot.count("admin@example.test") == 0, "no admin notice before the probe bounced")

            try await Self.runUntil(bot, "the probe's own bounce counted") {
                try await Self.member("ghost@example.test", in: store)?.bounceStoppedAt != nil
            }
            ghost = try #require(try await Self.member("ghost@example.test", in: store))
            #expect(ghost.bounceStoppedAt != nil, "the probe bounced: mail stops")
            let admin = try await bot.mailbox("admin@example.test", atLeast: 1)
            #expect(admin.filter { $0.header("X-Refbot-Event") == "member.bouncing" }.count == 1)

            // Mail to Ghost has stopped: a HELP from the address is not answered.
            let before = try await store.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE recipients LIKE '%ghost@example.test%'") ?? 0
            }
            try await bot.send(from: "ghost@example.test", name: "Ghost", subject: "HELP", body: "HELP", messageID: "ghost-late@example.test")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            let after = try await store.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE recipients LIKE '%ghost@example.test%'") ?? 0
            }
            #expect(after == before)
            #expect(try await bot.mailbox("admin@example.test", atLeast: 1).filter { $0.header("X-Refbot-Event") == "member.bouncing" }.count == 1)
        }
    }

    @Test("A member who answers the probe is reset and keeps getting mail")
    func answeredProbeResets() async throws {
        try await BotFixture.with(extraSMTP: Self.config(limit: 2)) { bot in
            _ = try await bot.runOnce()
            let store = try Store(path: bot.databasePath)
            try await Self.addMembers(["carol@example.test"], to: store)
            for n in 0..<2 {
                try await bot.send(from: "carol@example.test", name: "Carol", subject: "HELP", body: "HELP", messageID: "carol-\(n)@example.test")
            }
            _ = try await bot.mailbox("bot@example.test", atLeast: 2)
            _ = try await bot.runOnce()
            // Two genuine bounces of mail sent to Carol (her mail server lost them, say).
            let answers = try await bot.mailbox("carol@example.test", atLeast: 2)
            for (n, answer) in answers.prefix(2).enumerated() {
                let verp = try #require(answer.returnPath)
                try await bot.stack.deliver(Self.dsn(to: verp, naming: "carol@example.test", id: "carol-b\(n)"), from: "", to: [verp])
            }
            _ = try await bot.mailbox("bot@example.test", atLeast: 2)
            _ = try await bot.runOnce()
            let mail = try await bot.mailbox("carol@example.test", atLeast: 3)
            let probe = try #require(mail.first { $0.header("X-Refbot-Event") == "member.probe" })
            #expect(probe.header("Auto-Submitted") == "auto-generated")
            let probeVERP = try #require(probe.returnPath)
            #expect(!answers.compactMap(\.returnPath).contains(probeVERP), "the probe has its own VERP address")
            #expect(try await Self.member("carol@example.test", in: store)?.bounceCount == 2)

            // Carol replies to the probe from her client.
            let replyTo = try #require(probe.replyTo.first?.address)
            let reply = [
                "From: Carol <carol@example.test>", "To: \(replyTo)", "Subject: Re: \(probe.subject)",
                "Message-ID: <carol-probe-reply@example.test>", "In-Reply-To: <\(probe.messageID ?? "")>",
                "Date: Mon, 23 Nov 2026 10:05:00 +0000", "", "Yes, I'm here.",
            ]
            try await bot.stack.deliver(Array((reply.joined(separator: "\r\n") + "\r\n").utf8), from: "carol@example.test", to: [replyTo])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            let carol = try #require(try await Self.member("carol@example.test", in: store))
            #expect(carol.bounceCount == 0)
            #expect(carol.bounceStoppedAt == nil)
            let thanks = try await bot.mailbox("carol@example.test", atLeast: 4)
            #expect(thanks.contains { $0.header("X-Refbot-Event") == "command.done" && $0.subject.contains("keeps mailing you") })

            // The probe's late bounce (forwarded, say) no longer stops anything: the probe is closed.
            try await bot.stack.deliver(Self.dsn(to: probeVERP, naming: "carol@example.test", id: "carol-late"), from: "", to: [probeVERP])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            #expect(try await Self.member("carol@example.test", in: store)?.bounceStoppedAt == nil)
            try await bot.send(from: "carol@example.test", name: "Carol", subject: "HELP", body: "HELP", messageID: "carol-after@example.test")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            _ = try await bot.runOnce()
            let later = try await bot.mailbox("carol@example.test", atLeast: 5)
            #expect(later.filter { $0.header("X-Refbot-Event") == "help" }.count == 3, "Carol is still mailed")
        }
    }
}
