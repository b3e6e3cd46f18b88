import Foundation
@testable import RefbotCurl
import RefbotTestSupport
import RefbotTransport
import Testing

/// What refbot's own SMTP session (``SMTPConnection``) does that libcurl's transfers did for it:
/// reading the server's capabilities, dot-stuffing, and keeping a mail's text out of the session.
@Suite("SMTP session: pipelining and dot-stuffing")
struct SMTPPipeliningUnitTests {
    @Test("PIPELINING counts only when the EHLO answer after STARTTLS lists it")
    func pipeliningFromTheLastEHLO() {
        let plain = Array(
            "220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250 STARTTLS\r\n".utf8)
        #expect(SMTPConnection.offers("PIPELINING", plain))
        let upgraded = Array(
            ("220 mx ESMTP\r\n250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n"
                + "250-mx\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n235 2.7.0 Authentication successful\r\n").utf8)
        #expect(!SMTPConnection.offers("PIPELINING", upgraded), "after TLS only the new list counts")
        let lowercase = Array("220 mx\r\n250-mx\r\n250 pipelining\r\n".utf8)
        #expect(SMTPConnection.offers("PIPELINING", lowercase))
        let lookalike = Array("220 mx\r\n250-mx\r\n250 XPIPELINING\r\n".utf8)
        #expect(!SMTPConnection.offers("PIPELINING", lookalike))
    }

    @Test("CHUNKING counts only when the last EHLO answer lists it, and a BDAT chunk ends with CRLF")
    func chunkingFromTheLastEHLO() {
        let upgraded = Array(
            ("220 mx ESMTP\r\n250-mx\r\n250-CHUNKING\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n"
                + "250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n").utf8)
        #expect(!SMTPConnection.offers("CHUNKING", upgraded), "after TLS only the new list counts")
        #expect(SMTPConnection.offers("PIPELINING", upgraded))
        #expect(SMTPConnection.offers("CHUNKING", Array("220 mx\r\n250-mx\r\n250-chunking\r\n250 SIZE\r\n".utf8)))
        #expect(!SMTPConnection.offers("CHUNKING", Array("220 mx\r\n250-mx\r\n250 XCHUNKING\r\n".utf8)))
        func chunk(_ text: String) -> String { String(decoding: SMTPConnection.endingInCRLF(Array(text.utf8)), as: UTF8.self) }
        #expect(chunk("a\r\n.\r\nb\r\n") == "a\r\n.\r\nb\r\n", "a chunk is sent as it is: no dot-stuffing")
        #expect(chunk("no line end") == "no line end\r\n")
        #expect(chunk("ends in CR\r") == "ends in CR\r\n")
        #expect(chunk("") == "\r\n")
    }

    @Test("a line that begins with a dot gets another; the mail ends with CRLF and the end-of-data line")
    func dotStuffing() {
        func stuffed(_ text: String) -> String {
            String(decoding: SMTPConnection.dotStuffed(Array(text.utf8)), as: UTF8.self)
        }
        #expect(stuffed("a\r\n.b\r\n") == "a\r\n..b\r\n.\r\n")
        #expect(stuffed(".first\r\n") == "..first\r\n.\r\n")
        #expect(stuffed("a\r\n.\r\nMAIL FROM:<x@y>\r\n") == "a\r\n..\r\nMAIL FROM:<x@y>\r\n.\r\n")
        #expect(stuffed("no line end") == "no line end\r\n.\r\n")
        #expect(stuffed("ends in CR\r") == "ends in CR\r\n.\r\n")
        // bare line ends, which some servers honour, start lines too
        #expect(stuffed("a\n.\nb\r.\r\n") == "a\n..\nb\r..\r\n.\r\n")
        #expect(stuffed("") == ".\r\n")
    }
}

@Suite(
    "SMTP session against Postfix: smuggling and pipelined refusals", .serialized,
    .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct SMTPPipeliningTests {
    /// A mail to alice whose text tries to end the mail early and send bob one of its own.
    private func smugglingMail(id: String, ending: String) -> [UInt8] {
        let smuggled =
            "MAIL FROM:<bot@example.test>\(ending)RCPT TO:<bob@example.test>\(ending)DATA\(ending)"
            + "From: <bot@example.test>\(ending)To: <bob@example.test>\(ending)Subject: smuggled\(ending)\(ending)"
            + "Pay here.\(ending).\(ending)"
        return testMessage(
            id: id, from: "bot@example.test", to: "alice@example.test",
            body: "A listing's text:\r\n.\(ending)" + smuggled + "The end.\r\n")
    }

    /// Port 465 offers no CHUNKING (the mail goes after DATA, dot-stuffed); 587 does (one BDAT chunk).
    static let transfers: [(tls: MailStack.TLSMode, command: String)] = [(.implicit, "data"), (.starttls, "bdat")]

    @Test(
        "a mail whose text holds an end-of-data line and SMTP commands reaches its recipient whole, and nobody else (after DATA, and as a BDAT chunk)",
        arguments: ["\r\n", "\n"], [0, 1])
    func noSmuggling(_ ending: String, _ transfer: Int) async throws {
        let (tls, command) = Self.transfers[transfer]
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: tls), pool: pool)
            let data = smugglingMail(id: "smuggle-\(ending.count)@example.test", ending: ending)
            let marker = testMessage(id: "after-smuggle@example.test", from: "bot@example.test", to: "bob@example.test")
            let results = await submitter.submit([
                OutgoingMail(envelopeFrom: "bot@example.test", recipients: ["alice@example.test"], data: data),
                OutgoingMail(envelopeFrom: "bot@example.test", recipients: ["bob@example.test"], data: marker),
            ])
            #expect(results.allSatisfy { (try? $0.get()) != nil }, "\(results)")
            let alice = try await stack.messages(user: "alice@example.test", password: "alicepass")
            #expect(alice.count == 1)
            let text = String(decoding: alice.first?.raw ?? [], as: UTF8.self)
            #expect(text.contains("Subject: smuggled"), "the whole text arrived, as text")
            #expect(text.contains("The end."))
            // bob's own mail went after the attempt on the same session: once it is there, a smuggled one would be too
            let bob = try await stack.messages(user: "bob@example.test", password: "bobpass")
            #expect(bob.count == 1)
            #expect(bob.allSatisfy { !String(decoding: $0.raw, as: UTF8.self).contains("smuggled") })
            await submitter.close()
            // Postfix sums up the session when it ends: two mails, each by the command this port leads to.
            let log = try await waitForLog(stack.directory + "/log/postfix.log") { $0.contains(" \(command)=2 ") }
            #expect(log.contains(" mail=2 rcpt=2 \(command)=2 "), "the mails went by \(command)")
        }
    }

    @Test(
        "pipelined refusals (550 and 450 to RCPT TO, then DATA or the BDAT chunk refused) leave the session in step: the next mails go out on it",
        arguments: [0, 1])
    func refusalsKeepTheSessionInStep(_ transfer: Int) async throws {
        let (tls, command) = Self.transfers[transfer]
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: tls), pool: pool)
            func mail(_ n: Int, to: String) -> OutgoingMail {
                OutgoingMail(
                    envelopeFrom: "bot@example.test", recipients: [to],
                    data: testMessage(id: "step-\(n)@example.test", from: "bot@example.test", to: to))
            }
            let results = await submitter.submit([
                mail(1, to: "reject@example.test"),
                mail(2, to: "alice@example.test"),
                mail(3, to: "tempfail@example.test"),
                mail(4, to: "reject@example.test"),
                mail(5, to: "alice@example.test"),
            ])
            #expect(results.count == 5)
            #expect((try? results[1].get()) != nil, "\(results[1])")
            #expect((try? results[4].get()) != nil, "\(results[4])")
            guard case .failure(let rejected) = results[0], case .failure(let deferred) = results[2],
                case .failure(let again) = results[3]
            else {
                Issue.record("expected failures for reject@ and tempfail@: \(results)")
                return
            }
            #expect(rejected.serverCode == 550 && !rejected.isTemporary)
            #expect(deferred.serverCode == 450 && deferred.isTemporary)
            #expect(again.serverCode == 550, "a refusal right after another is read as its own, not the one before")
            let delivered = try await stack.messages(user: "alice@example.test", password: "alicepass", atLeast: 2)
            let ids = delivered.map { String(decoding: $0.raw, as: UTF8.self) }
            #expect(ids.contains { $0.contains("step-2@") } && ids.contains { $0.contains("step-5@") })
            await submitter.close()
            // Postfix sums up each session when it ends: one session, five transactions, two delivered.
            let log = try await waitForLog(stack.directory + "/log/postfix.log") { $0.contains(" mail=5 ") }
            let sessions = log.split(whereSeparator: \.isNewline).filter {
                $0.contains("disconnect from") && $0.contains("auth=1")
            }
            #expect(sessions.count == 1, "\(sessions)")
            #expect(sessions.first?.contains("mail=5 rcpt=2/5 \(command)=2/5") == true, "\(sessions)")
        }
    }
}
