import Foundation
import RefbotMail
import Testing

@Suite("AuthenticationResults")
struct AuthenticationResultsTests {
    static let from = EmailAddress(localPart: "dana", domain: "gmail.com")

    /// The receiving MTA's SMTP `Received:` field.
    static let received = "Received: from client.example.net (client.example.net [192.0.2.10]) by mx.example.org (Postfix) with ESMTPS id 4Ab1; Mon, 23 Nov 2026 10:00:01 +0000"

    /// A mail as the MTA hands it on: `mta` (its own fields) above its `Received:`, then `sender`
    /// (fields the sender wrote) and `From: dana@gmail.com`.
    static func message(_ mta: String, sender: String = "", from: String = "From: dana@gmail.com") throws -> ParsedMessage {
        let head = [mta, received, sender, from].filter { !$0.isEmpty }.joined(separator: "\n")
        return try MessageParser.parse(raw(head + "\n\nACCEPT"))
    }

    static func assess(_ message: ParsedMessage, _ trusted: String = "mx.example.org") -> AuthenticationAssessment {
        AuthenticationResults.assess(message, trustedAuthservID: trusted)
    }

    @Test("methods, results and properties are read; comments ignored")
    func parse() throws {
        let results = try #require(
            AuthenticationResults.parse(
                "mx.example.org 1; dkim=pass (2048-bit key) header.d=gmail.com header.i=@gmail.com header.s=20230601; spf=pass (sender ok) smtp.mailfrom=dana@gmail.com; dmarc=pass (p=NONE) header.from=gmail.com"
            ))
        #expect(results.authservID == "mx.example.org")
        #expect(results.results.map(\.method) == ["dkim", "spf", "dmarc"])
        #expect(results.results[0].properties["header.d"] == "gmail.com")
        #expect(results.results[2].result == "pass")
        #expect(AuthenticationResults.parse("")?.results.isEmpty ?? true)
        #expect(AuthenticationResults.parse("mx.example.org; none")?.results.isEmpty == true)
    }

    @Test("only the trusted authserv-id counts")
    func trusted() throws {
        let message = try Self.message("Authentication-Results: evil.example; dmarc=pass header.from=gmail.com")
        #expect(AuthenticationResults.verdict(in: message, trustedAuthservID: "mx.example.org", from: Self.from) == .none)
        #expect(Self.assess(message).forgerySign == false)
        #expect(Self.assess(message, "").verdict == .none)
    }

    @Test("dmarc=pass for the From domain, above the MTA's Received:, is a DMARC pass")
    func dmarc() throws {
        let message = try Self.message(
            "Authentication-Results: mx.example.org; dkim=pass header.d=gmail.com; dmarc=pass header.from=gmail.com")
        #expect(AuthenticationResults.verdict(in: message, trustedAuthservID: "MX.example.org", from: Self.from) == .dmarcPass)
        let other = try Self.message("Authentication-Results: mx.example.org; dmarc=pass header.from=other.example")
        #expect(Self.assess(other).verdict == .none)
        // No header.from: the pass may be for any domain.
        let unnamed = try Self.message("Authentication-Results: mx.example.org; dmarc=pass")
        #expect(Self.assess(unnamed).verdict == .none)
    }

    @Test("dkim=pass counts only when header.d is the From domain and the MTA's DMARC did not fail")
    func dkim() throws {
        let aligned = try Self.message("Authentication-Results: mx.example.org; dkim=pass header.d=gmail.com")
        #expect(Self.assess(aligned).verdict == .dkimPassAligned)
        let onlyIdentity = try Self.message("Authentication-Results: mx.example.org; dkim=pass header.i=@gmail.com")
        #expect(Self.assess(onlyIdentity).verdict == .none)
        let unaligned = try Self.message("Authentication-Results: mx.example.org; dkim=pass header.d=mailer.example")
        #expect(Self.assess(unaligned).verdict == .none)
        let failed = try Self.message("Authentication-Results: mx.example.org; dkim=fail header.d=gmail.com")
        #expect(Self.assess(failed).verdict == .none)
        let dmarcFailed = try Self.message(
            "Authentication-Results: mx.example.org; dkim=pass header.d=gmail.com; dmarc=fail header.from=gmail.com")
        #expect(Self.assess(dmarcFailed).verdict == .none)
    }

    @Test("a field with the trusted authserv-id below the MTA's Received: is a forgery sign, even under the MTA's own fail")
    func forgedBelowReceived() throws {
        let forged = try Self.message(
            "Authentication-Results: mx.example.org; dmarc=fail header.from=gmail.com",
            sender: "Authentication-Results: mx.example.org; dmarc=pass header.from=gmail.com")
        let assessment = Self.assess(forged)
        #expect(assessment.verdict == .none)
        #expect(assessment.forgerySign)
        #expect(assessment.reason.contains("below"))
        // A genuine pass above does not rescue a mail that also carries a forged one.
        let both = try Self.message(
            "Authentication-Results: mx.example.org; dmarc=pass header.from=gmail.com",
            sender: "Authentication-Results: mx.example.org; dmarc=pass header.from=gmail.com")
        #expect(Self.assess(both).verdict == .none)
        #expect(Self.assess(both).forgerySign)
        // With no SMTP Received: at all, no field is the MTA's own.
        let bare = try MessageParser.parse(raw("Authentication-Results: mx.example.org; dmarc=pass header.from=gmail.com\nFrom: dana@gmail.com\n\nACCEPT"))
        #expect(Self.assess(bare).verdict == .none)
        #expect(Self.assess(bare).forgerySign)
    }

    @Test("local delivery above the MTA's fields is fine: Return-Path, Delivered-To, Dovecot's LMTP Received:")
    func localDeliveryAbove() throws {
        let head = """
            Return-Path: <dana@gmail.com>
            Delivered-To: referrals@example.org
            Received: from mx.example.org by mx.example.org with LMTP id ah0o (envelope-from <dana@gmail.com>) for <referrals@example.org>; Fri, 04 Dec 2026 02:32:23 +0000
            Authentication-Results: mx.example.org; dkim=pass header.d=gmail.com header.s=s1; dmarc=pass (p=reject) header.from=gmail.com
            """
        let message = try Self.message(head)
        #expect(Self.assess(message).verdict == .dmarcPass)
    }

    @Test("more than one From: field or mailbox is never proven by a verdict")
    func severalFromMailboxes() throws {
        let pass = "Authentication-Results: mx.example.org; dmarc=pass header.from=gmail.com"
        let twoMailboxes = try Self.message(pass, from: "From: dana@gmail.com, mallory@gmail.com")
        #expect(Self.assess(twoMailboxes).verdict == .none)
        let twoFields = try Self.message(pass, from: "From: dana@gmail.com\nFrom: mallory@evil.example")
        #expect(Self.assess(twoFields).verdict == .none)
    }

    @Test("which Received: fields record an SMTP reception")
    func smtpReception() {
        #expect(AuthenticationResults.isSMTPReception("from a (a [1.2.3.4]) by mx (Postfix) with ESMTPSA id X; date"))
        #expect(AuthenticationResults.isSMTPReception("from a by mx with SMTP id X; date"))
        #expect(AuthenticationResults.isSMTPReception("from a by mx with UTF8SMTPS id X; date"))
        #expect(!AuthenticationResults.isSMTPReception("from mx by mx with LMTP id X; date"))
        #expect(!AuthenticationResults.isSMTPReception("by mx (Postfix, from userid 0) id X; date"))
    }
}

@Suite("AutoReplySignals")
struct AutoReplySignalsTests {
    @Test("each rule names itself", arguments: [
        ("Auto-Submitted: auto-generated", "auto-submitted"), ("Precedence: junk", "precedence"),
        ("X-Autorespond: yes", "auto-reply-header"), ("List-Id: <x.example.org>", "list-id"),
        ("Return-Path: <>", "null-sender"), ("Subject: Out of Office: hello", "out-of-office"),
        ("Content-Type: multipart/report; report-type=delivery-status; boundary=b", "dsn-report"),
    ])
    func rules(_ header: String, _ rule: String) throws {
        let message = try MessageParser.parse(raw("From: bob@example.org\n\(header)\n\n--b--\n"))
        #expect(AutoReplySignals.reason(for: message) == rule)
    }

    @Test("Auto-Submitted: no and ordinary mail are not automated")
    func ordinary() throws {
        let message = try MessageParser.parse(raw("From: bob@example.org\nAuto-Submitted: no\nSubject: Re: hello\n\nACCEPT"))
        #expect(AutoReplySignals.reason(for: message) == nil)
    }

    @Test("mail from MAILER-DAEMON is automated")
    func mailerDaemon() throws {
        let message = try MessageParser.parse(raw("From: MAILER-DAEMON@mx.example.org (Mail Delivery System)\n\nx"))
        #expect(AutoReplySignals.reason(for: message) == "mailer-daemon")
    }
}
