import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import Testing

@Suite("Sender authentication in the pipeline")
struct SenderAuthenticationPipelineTests {
    private func heldRows(_ bot: MemberHarness) async throws -> [(sender: String, confirmed: Bool)] {
        try await bot.daemon.store.read { db in
            try Row.fetchAll(db, sql: "SELECT sender, confirmedAt FROM heldCommand ORDER BY id").map { row in
                (sender: row["sender"] as String, confirmed: (row["confirmedAt"] as Int64?) != nil)
            }
        }
    }

    @Test("A forged admin GRANT changes nothing; command.confirm goes to the real admin address only")
    func forgedGrantIsHeld() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("mallory@example.com", name: "Mallory", credits: 0)
        let sent = try await bot.send(
            mail(from: "Admin <admin@example.org>", subject: "GRANT mallory@example.com 100", body: ""))
        try #require(sent.count == 1)
        #expect(sent[0].memberEvent == "command.confirm")
        #expect(sent[0].to.map(\.address) == ["admin@example.org"])
        #expect(sent[0].header("Auto-Submitted") == "auto-replied")
        let reply = try #require(sent[0].memberReplyAddress)
        #expect(reply.hasPrefix("referrals+"))
        #expect(sent[0].textBody.contains("> GRANT mallory@example.com 100"))
        #expect(sent[0].textBody.contains("ignore"))
        #expect(sent[0].textBody.contains("mailto:\(reply)?subject=CONFIRM&body=CONFIRM"))
        #expect(try await bot.member("mallory@example.com")?.credits == 0)
        let held = try await heldRows(bot)
        #expect(held.map(\.sender) == ["admin@example.org"])
        #expect(held.map(\.confirmed) == [false])
        let row = try await bot.daemon.store.read { db in try InboundMessage.fetchOne(db) }
        #expect(row?.disposition == "held")
    }

    @Test("A forged STOP from a member's address leaves announcements on")
    func forgedStopIsHeld() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        let sent = try await bot.send(mail(from: "alice@example.com", subject: "STOP", body: ""))
        #expect(sent.map(\.memberEvent) == ["command.confirm"])
        #expect(try await bot.member("alice@example.com")?.announcementsOff == false)
    }

    @Test("CONFIRM from the owner runs the held command once, as authenticated; a second CONFIRM is a clear error")
    func confirmRunsOnce() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("carol@example.com", name: "Carol", credits: 1)
        let held = try await bot.send(mail(from: "admin@example.org", subject: "GRANT carol@example.com 5", body: ""))
        let reply = try #require(held.first?.memberReplyAddress)

        let ran = try await bot.send(mail(from: "admin@example.org", to: reply, subject: "Re: Please confirm", body: "CONFIRM"))
        #expect(Set(ran.compactMap(\.memberEvent)) == ["command.done", "credits.granted"])
        #expect(try await bot.member("carol@example.com")?.credits == 6)
        #expect(try await heldRows(bot).map(\.confirmed) == [true])
        #expect(bot.logs.all.contains { $0.contains("Held command confirmed") && $0.contains("auth=confirmed") })

        let again = try await bot.send(mail(from: "admin@example.org", to: reply, subject: "Re: Please confirm", body: "CONFIRM"))
        #expect(again.map(\.memberEvent) == ["command.error"])
        #expect(again.first?.textBody.contains("already confirmed") == true)
        #expect(try await bot.member("carol@example.com")?.credits == 6)
    }

    @Test("CONFIRM from another address to the confirmation tag does not run the held command")
    func confirmFromStranger() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("mallory@example.com", name: "Mallory", credits: 0)
        let held = try await bot.send(mail(from: "admin@example.org", subject: "GRANT mallory@example.com 100", body: ""))
        let reply = try #require(held.first?.memberReplyAddress)
        let answer = try await bot.send(mail(from: "mallory@example.com", to: reply, subject: "CONFIRM", body: "CONFIRM"))
        #expect(answer.map(\.memberEvent) == ["command.error"])
        #expect(try await bot.member("mallory@example.com")?.credits == 0)
        #expect(try await heldRows(bot).map(\.confirmed) == [false])
    }

    @Test("A held command expires after links.expiry_days; CONFIRM then changes nothing and says to send it again")
    func expired() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        let held = try await bot.send(mail(from: "alice@example.com", subject: "STOP", body: ""))
        let reply = try #require(held.first?.memberReplyAddress)
        bot.clock.advance(by: 14 * 86_400 + 1)
        let answer = try await bot.send(mail(from: "alice@example.com", to: reply, subject: "CONFIRM", body: "CONFIRM"))
        #expect(answer.map(\.memberEvent) == ["command.error"])
        #expect(answer.first?.textBody.contains("expired") == true)
        #expect(answer.first?.textBody.contains("again") == true)
        #expect(try await bot.member("alice@example.com")?.announcementsOff == false)
    }

    @Test("A DMARC pass from an authserv-id that is not trusted does not count")
    func untrustedAuthservID() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        let sent = try await bot.send(
            mail(
                from: "alice@example.com", subject: "STOP", body: "",
                extraHeaders: ["Authentication-Results: evil.example.net; dmarc=pass header.from=example.com"]))
        #expect(sent.map(\.memberEvent) == ["command.confirm"])
        #expect(try await bot.member("alice@example.com")?.announcementsOff == false)
    }

    @Test("With no trusted authserv-id configured, even a DMARC pass header is not trusted")
    func noTrustedAuthservID() async throws {
        let bot = try await MemberHarness { $0.auth.trustedAuthservID = "" }
        try await bot.addMember("alice@example.com", name: "Alice")
        let sent = try await bot.send(mail(from: "alice@example.com", subject: "STOP", body: "", authenticated: true))
        #expect(sent.map(\.memberEvent) == ["command.confirm"])
    }

    @Test("A trusted aligned DKIM pass counts; a DKIM pass for another domain does not")
    func dkim() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        let other = try await bot.send(
            mail(
                from: "alice@example.com", subject: "STOP", body: "",
                mtaResults: "mx.example.org; dkim=pass header.d=elsewhere.example"))
        #expect(other.map(\.memberEvent) == ["command.confirm"])
        let aligned = try await bot.send(
            mail(
                from: "alice@example.com", subject: "STOP", body: "",
                mtaResults: "mx.example.org; dkim=pass header.d=example.com"))
        #expect(aligned.map(\.memberEvent) == ["command.done"])
        #expect(try await bot.member("alice@example.com")?.announcementsOff == true)
    }

    @Test("A reply to a tag the sender owns runs at once; the same tag from another address is held")
    func ownedTag() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        try await bot.addMember("bob@example.com", name: "Bob")
        let token = try await bot.tag(for: "alice@example.com", action: "unsubscribe")
        let forged = try await bot.send(mail(from: "bob@example.com", to: "referrals+\(token)@example.org", subject: "STOP", body: ""))
        #expect(forged.map(\.memberEvent) == ["command.confirm"])
        #expect(forged.first?.to.map(\.address) == ["bob@example.com"])
        #expect(try await bot.member("bob@example.com")?.announcementsOff == false)
        let own = try await bot.send(mail(from: "alice@example.com", to: "referrals+\(token)@example.org", subject: "STOP", body: ""))
        #expect(own.map(\.memberEvent) == ["command.done"])
        #expect(try await bot.member("alice@example.com")?.announcementsOff == true)
    }

    @Test("Past mail.error_replies_per_hour held commands from one address in an hour, no more confirmations go out")
    func confirmationsAreCapped() async throws {
        // The per-address cap on answers to unproven addresses is set above this one here.
        let bot = try await MemberHarness { $0.mail.repliesPerAddressPerHour = 20 }
        try await bot.addMember("alice@example.com", name: "Alice")
        var events: [String?] = []
        for _ in 0..<7 { events += try await bot.send(mail(from: "alice@example.com", subject: "STOP", body: "")).map(\.memberEvent) }
        #expect(events == Array(repeating: "command.confirm", count: 5))
        let withheld = try await bot.daemon.store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage WHERE disposition = 'held-rate-limit'")
        }
        #expect(withheld == 2)
        #expect(try await bot.later(3601).isEmpty)
        #expect(try await bot.send(mail(from: "alice@example.com", subject: "STOP", body: "")).map(\.memberEvent) == ["command.confirm"])
    }

    @Test("JOIN's form notes reach the confirmation mail")
    func joinWarnings() async throws {
        let bot = try await MemberHarness()
        let sent = try await bot.send(mail(from: "new@example.com", subject: "JOIN", body: "Name: New\nColour: blue"))
        #expect(sent.map(\.memberEvent) == ["member.confirm"])
        #expect(sent.first?.textBody.contains("A note on your form:") == true)
        #expect(sent.first?.textBody.contains("Colour") == true)
    }

    @Test("Read-only commands and JOIN are answered without confirmation")
    func exempt() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        #expect(try await bot.send(mail(subject: "CREDITS", body: "")).map(\.memberEvent) == ["credits"])
        #expect(try await bot.send(mail(subject: "HELP", body: "")).map(\.memberEvent) == ["help"])
        #expect(try await bot.send(mail(from: "new@example.com", subject: "JOIN", body: "Name: New")).map(\.memberEvent)
            == ["member.confirm"])
        let held = try await heldRows(bot)
        #expect(held.isEmpty)
    }
}
