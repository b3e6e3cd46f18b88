import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// Sender authentication path 2 against a real MTA: Postfix with a milter that writes the receiving
/// server's `Authentication-Results` at the top of the header (scripts/mailstack/authres-milter.py),
/// read back from Dovecot. Only that field counts; one the sender wrote never does.
@Suite("Authentication-Results from the receiving MTA only", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct SenderVerdictEndToEndTests {
    static let settings = "[auth]\ntrusted_authserv_id = \"\(SenderProof.authservID)\""

    /// Alice as an active member who gets announcements.
    func seedAlice(_ store: Store) async throws {
        try await store.write { db in
            var alice = Member(
                email: "alice@example.test", name: "Alice Example", state: .active, credits: 1, joinedAt: 1_790_000_000,
                confirmedAt: 1_790_000_000)
            try StoreLedger(db).save(&alice)
        }
    }

    func announcementsOff(_ store: Store) async throws -> Bool? {
        try await store.read { db in try StoreLedger(db).member(email: "alice@example.test")?.announcementsOff }
    }

    func deliver(_ bot: BotFixture, _ headers: [String], envelope: String = "bob@example.test") async throws {
        let raw = (headers + ["To: bot@example.test", "Date: Mon, 23 Nov 2026 10:00:00 +0000", "Message-ID: <\(UUID().uuidString)@example.test>"])
            .joined(separator: "\r\n") + "\r\n\r\n"
        try await bot.stack.deliver(Array(raw.utf8), from: envelope, to: ["bot@example.test"])
    }

    @Test("The MTA writes its verdict above its own Received:, where refbot looks for it")
    func whereTheMTAWrites() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            try await bot.send(subject: "HELP", body: "", extraHeaders: [SenderProof.header()])
            let raw = try #require(try await bot.rawMailbox("bot@example.test", atLeast: 1).first)
            let message = try MessageParser.parse(raw)
            let names = message.headers.map { $0.name.lowercased() }
            let results = try #require(names.firstIndex(of: "authentication-results"))
            let smtpReceived = try #require(
                message.headers.firstIndex {
                    $0.name.lowercased() == "received" && AuthenticationResults.isSMTPReception($0.rawValue)
                })
            #expect(results < smtpReceived, "\(names)")
            #expect(message.headers[results].rawValue.hasPrefix(SenderProof.authservID))
            #expect(AuthenticationResults.assess(message, trustedAuthservID: SenderProof.authservID).verdict == .dmarcPass)
        }
    }

    @Test("A DMARC pass the sender wrote, under the MTA's own dmarc=fail, is a forgery sign: held, logged, nothing changes")
    func forgedPassUnderTheMTAsFail() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            let store = try Store(path: bot.databasePath)
            try await seedAlice(store)
            // Mallory sends STOP in Alice's name through her own server, with a pass written in.
            try await deliver(
                bot,
                [
                    "From: Alice Example <alice@example.test>", "Subject: STOP",
                    "Authentication-Results: \(SenderProof.authservID); dkim=pass header.d=example.test; dmarc=pass header.from=example.test",
                ])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try await announcementsOff(store) == false)
            let aliceMail = try await bot.mailbox("alice@example.test", atLeast: 1)
            #expect(aliceMail.map { $0.header("X-Refbot-Event") } == ["command.confirm"])
            #expect(result.stderr.contains("Forged Authentication-Results"), "stderr: \(result.stderr)")
            #expect(result.stderr.contains("stand below the MTA's Received"), "stderr: \(result.stderr)")

            // The same command with the MTA's own pass acts, so the check above can fail.
            try await bot.send(subject: "STOP", body: "", extraHeaders: [SenderProof.header()])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let second = try await bot.runOnce()
            #expect(second.status == 0, "stderr: \(second.stderr)")
            #expect(try await announcementsOff(store) == true)
        }
    }

    @Test("A genuine pass for the first of two From: mailboxes, or with a second From: field, proves nobody")
    func severalFromMailboxes() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            let store = try Store(path: bot.databasePath)
            try await seedAlice(store)
            // The signature is genuine for example.test, so the MTA says dmarc=pass for the first mailbox.
            try await deliver(
                bot, ["From: Alice Example <alice@example.test>, Mallory <mallory@evil.example>", "Subject: STOP", SenderProof.header()])
            try await deliver(
                bot, ["From: Alice Example <alice@example.test>", "From: Mallory <mallory@evil.example>", "Subject: STOP", SenderProof.header()])
            _ = try await bot.mailbox("bot@example.test", atLeast: 2)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try await announcementsOff(store) == false)
            let held = try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM heldCommand WHERE confirmedAt IS NULL") }
            #expect(held == 2)
        }
    }

    @Test("A pass for another domain than the From: domain proves nothing")
    func unalignedPass() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            let store = try Store(path: bot.databasePath)
            try await seedAlice(store)
            // Signed by mallory's domain: the MTA says dkim=pass header.d=evil.example, dmarc=fail for example.test.
            try await deliver(bot, ["From: Alice Example <alice@example.test>", "Subject: STOP", SenderProof.header(domain: "evil.example")])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(try await announcementsOff(store) == false)
            let aliceMail = try await bot.mailbox("alice@example.test", atLeast: 1)
            #expect(aliceMail.map { $0.header("X-Refbot-Event") } == ["command.confirm"])
        }
    }

    @Test("A signed command delivered again with new trace fields runs once per Message-ID and From:")
    func replayedSignedMail() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            let store = try Store(path: bot.databasePath)
            try await seedAlice(store)
            // The admin's genuine, signed GRANT, captured and sent again: each delivery gets its own
            // Received: and Authentication-Results, so the stored bytes differ.
            let grant = [
                "From: Admin <admin@example.test>", "To: bot@example.test", "Subject: GRANT alice@example.test 5",
                "Message-ID: <grant-once@example.test>", "Date: Mon, 23 Nov 2026 10:00:00 +0000", SenderProof.header(),
            ].joined(separator: "\r\n") + "\r\n\r\n"
            try await bot.stack.deliver(Array(grant.utf8), from: "admin@example.test", to: ["bot@example.test"])
            try await bot.stack.deliver(Array(grant.utf8), from: "mallory@evil.example", to: ["bot@example.test"])
            try await bot.stack.deliver(
                Array(("Received: from relay.evil.example by relay.evil.example with ESMTP id 1; Mon, 23 Nov 2026 11:00:00 +0000\r\n" + grant).utf8),
                from: "mallory@evil.example", to: ["bot@example.test"])
            _ = try await bot.mailbox("bot@example.test", atLeast: 3)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")
            let credits = try await store.read { db in try StoreLedger(db).member(email: "alice@example.test")?.credits }
            #expect(credits == 6)
            #expect(result.stderr.contains("Replayed command ignored"), "stderr: \(result.stderr)")

            // A new GRANT (its own Message-ID) does run, so the count above can fail.
            try await bot.send(
                from: "admin@example.test", name: "Admin", subject: "GRANT alice@example.test 5", body: "",
                extraHeaders: [SenderProof.header()])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let second = try await bot.runOnce()
            #expect(second.status == 0, "stderr: \(second.stderr)")
            #expect(try await store.read { db in try StoreLedger(db).member(email: "alice@example.test")?.credits } == 11)
        }
    }
}
