import Foundation
import RefbotMail
import Testing

@Suite("AuthenticationResults")
struct AuthenticationResultsTests {
    static let from = EmailAddress(localPart: "dana", domain: "gmail.com")

    static func message(_ headers: String) throws -> ParsedMessage {
        try MessageParser.parse(raw(headers + "\nFrom: dana@gmail.com\n\nACCEPT"))
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
    }

    @Test("dmarc=pass for the From domain is a DMARC pass")
    func dmarc() throws {
        let message = try Self.message(
            "Authentication-Results: mx.example.org; dkim=pass header.d=gmail.com; dmarc=pass header.from=gmail.com")
        #expect(AuthenticationResults.verdict(in: message, trustedAuthservID: "MX.example.org", from: Self.from) == .dmarcPass)
        let other = try Self.message("Authentication-Results: mx.example.org; dmarc=pass header.from=other.example")
        #expect(AuthenticationResults.verdict(in: other, trustedAuthservID: "mx.example.org", from: Self.from) == .none)
    }

    @Test("dkim=pass counts only when header.d or header.i is the From domain")
    func dkim() throws {
        let aligned = try Self.message("Authentication-Results: mx.example.org; dkim=pass header.i=@gmail.com; dmarc=fail")
        #expect(AuthenticationResults.verdict(in: aligned, trustedAuthservID: "mx.example.org", from: Self.from) == .dkimPassAligned)
        let unaligned = try Self.message("Authentication-Results: mx.example.org; dkim=pass header.d=mailer.example")
        #expect(AuthenticationResults.verdict(in: unaligned, trustedAuthservID: "mx.example.org", from: Self.from) == .none)
        let failed = try Self.message("Authentication-Results: mx.example.org; dkim=fail header.d=gmail.com")
        #expect(AuthenticationResults.verdict(in: failed, trustedAuthservID: "mx.example.org", from: Self.from) == .none)
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
