import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Testing

/// ARF complaints from a provider's feedback loop: authenticated like bounces (refbot's VERP
/// address with its mac, and the original's Message-ID), they stop announcements and digests to
/// the member at once and tell the admins.
@Suite("Complaints")
struct ComplaintTests {
    /// An ARF report as Microsoft's JMRP words it, about the mail sent with `envelopeFrom` and `messageID`.
    static func report(envelopeFrom: String, messageID: String, type: String = "abuse") -> String {
        """
        From: staff@hotmail.com\r
        To: fbl@example.org\r
        Subject: complaint about message from 198.51.100.25\r
        Message-ID: <\(UUID().uuidString)@hotmail.com>\r
        Date: Thu, 03 Dec 2026 14:22:08 +0000\r
        MIME-Version: 1.0\r
        Content-Type: multipart/report; report-type=feedback-report; boundary="arf"\r
        \r
        --arf\r
        Content-Type: text/plain\r
        \r
        This is an email abuse report for an email message received from IP 198.51.100.25.\r
        --arf\r
        Content-Type: message/feedback-report\r
        \r
        Feedback-Type: \(type)\r
        User-Agent: Hotmail FBL\r
        Version: 0.1\r
        Original-Mail-From: <\(envelopeFrom)>\r
        Original-Rcpt-To: <redacted@hotmail.com>\r
        \r
        --arf\r
        Content-Type: message/rfc822\r
        \r
        Return-Path: \(envelopeFrom)\r
        From: Example Referral Network <referrals@example.org>\r
        To: redacted@hotmail.com\r
        Subject: Help\r
        Message-ID: <\(messageID)>\r
        \r
        Hello.\r
        --arf--\r

        """
    }

    /// A member and the envelope sender and Message-ID of a mail refbot sent them.
    func memberWithMail(_ bot: MemberHarness) async throws -> (envelopeFrom: String, messageID: String) {
        try await bot.addMember("bob@example.com", name: "Bob")
        let answers = try await bot.send(mail(from: "Bob <bob@example.com>", subject: "HELP", body: "", authenticated: true))
        try #require(answers.count == 1)
        let sent = try #require(bot.submitter.accepted.last)
        return (sent.envelopeFrom, try #require(answers[0].messageID))
    }

    @Test("A verified complaint stops announcements and digests to the member at once and tells the admins")
    func verified() async throws {
        let bot = try await MemberHarness()
        let (envelopeFrom, messageID) = try await memberWithMail(bot)
        let sent = try await bot.send(Self.report(envelopeFrom: envelopeFrom, messageID: messageID))
        let member = try #require(try await bot.member("bob@example.com"))
        #expect(member.announcementsOff)
        #expect(member.bounceCount == 0, "a complaint is not a bounce")
        let complainedAt = try await bot.daemon.store.read { db in
            try Int64.fetchOne(db, sql: "SELECT complainedAt FROM member WHERE email = 'bob@example.com'")
        }
        #expect(complainedAt == bot.clock.now)
        #expect(sent.map(\.memberEvent) == ["member.complaint"])
        #expect(sent.first?.to.map(\.address) == ["admin@example.org"])
        #expect(sent.first?.textBody.contains("bob@example.com") == true)
        #expect(bot.logs.all.contains { $0.contains("Member complained") })
        let subscribers = try await bot.daemon.store.read { db in try StoreLedger(db).membersReceivingAnnouncements() }
        #expect(!subscribers.contains { $0.email == "bob@example.com" })
    }

    @Test("A forged complaint counts nothing: a wrong mac, another mail's Message-ID, the bare address")
    func forged() async throws {
        let bot = try await MemberHarness()
        let (envelopeFrom, messageID) = try await memberWithMail(bot)
        let verp = try #require(VERPAddress.parse(envelopeFrom, base: EmailAddress(localPart: "referrals", domain: "example.org")))
        let wrongMac = "referrals+bounce-\(verp.id)-aaaaaaaaaa@example.org"
        for report in [
            Self.report(envelopeFrom: wrongMac, messageID: messageID),
            Self.report(envelopeFrom: envelopeFrom, messageID: "another@example.org"),
            Self.report(envelopeFrom: "referrals@example.org", messageID: messageID),
            Self.report(envelopeFrom: "referrals+bounce-\(verp.id)@example.org", messageID: messageID),
        ] {
            let sent = try await bot.send(report)
            #expect(sent.isEmpty, "no answer to the forger, no notice to the admins")
        }
        #expect(try await bot.member("bob@example.com")?.announcementsOff == false)
        #expect(bot.logs.all.filter { $0.contains("Complaint not counted") }.count == 4)
    }

    @Test("A not-spam feedback note changes nothing")
    func notSpam() async throws {
        let bot = try await MemberHarness()
        let (envelopeFrom, messageID) = try await memberWithMail(bot)
        let sent = try await bot.send(Self.report(envelopeFrom: envelopeFrom, messageID: messageID, type: "not-spam"))
        #expect(sent.isEmpty)
        #expect(try await bot.member("bob@example.com")?.announcementsOff == false)
    }
}
