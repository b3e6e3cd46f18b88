import Foundation
import RefbotMail
import Testing

/// ARF complaints (RFC 5965) as Microsoft's JMRP and Yahoo's CFL send them (`Fixtures/complaints`).
@Suite("Feedback reports")
struct FeedbackReportTests {
    static let bot = EmailAddress(localPart: "referrals", domain: "example.org")

    @Test("Microsoft JMRP: an abuse report naming the VERP sender, the original's Message-ID and event, with the recipient redacted")
    func jmrp() throws {
        let message = try MessageParser.parse(try FixtureFiles.bytes("complaints/microsoft_jmrp.eml"))
        let report = try #require(FeedbackReport.parse(message))
        #expect(report.feedbackType == "abuse")
        #expect(report.isComplaint)
        #expect(report.userAgent == "Hotmail FBL")
        #expect(report.originalMailFrom == "referrals+bounce-42-k3j5m2q7xa@example.org")
        #expect(report.originalRecipients == ["redacted@hotmail.com"])
        #expect(report.originalMessageID == "listing.new.17.k2@example.org")
        #expect(report.originalEvent == "listing.new")
        #expect(report.verpAddresses(base: Self.bot).map(\.id) == [42, 42])
        #expect(report.verpAddresses(base: Self.bot).first?.mac == "k3j5m2q7xa")
    }

    @Test("Yahoo CFL: an abuse report with an empty Original-Rcpt-To; the VERP sender and the digest it was")
    func cfl() throws {
        let message = try MessageParser.parse(try FixtureFiles.bytes("complaints/yahoo_cfl.eml"))
        let report = try #require(FeedbackReport.parse(message))
        #expect(report.feedbackType == "abuse")
        #expect(report.userAgent == "Yahoo!-Mail-Feedback/2.0")
        #expect(report.originalReturnPath == "referrals+bounce-58-q8w2e4r6ty@example.org")
        #expect(report.originalMessageID == "digest.m5.1733230000@example.org")
        #expect(report.originalEvent == "digest")
        #expect(report.verpAddresses(base: Self.bot).map(\.id) == [58, 58])
    }

    @Test("A bounce is not a feedback report, nor is a plain mail that talks about one")
    func notReports() throws {
        let bounce = try MessageParser.parse(try FixtureFiles.bytes("bounces/postfix_dsn.eml"))
        #expect(FeedbackReport.parse(bounce) == nil)
        let plain = try MessageParser.parse(Array(
            "From: a@example.com\r\nTo: referrals@example.org\r\nSubject: Feedback-Type: abuse\r\n\r\nFeedback-Type: abuse\r\n".utf8))
        #expect(FeedbackReport.parse(plain) == nil)
    }

    @Test("A not-spam note is read but is no complaint")
    func notSpam() throws {
        var text = try FixtureFiles.text("complaints/microsoft_jmrp.eml")
        text = text.replacingOccurrences(of: "Feedback-Type: abuse", with: "Feedback-Type: not-spam")
        let report = try #require(FeedbackReport.parse(try MessageParser.parse(Array(text.utf8))))
        #expect(!report.isComplaint)
    }
}
