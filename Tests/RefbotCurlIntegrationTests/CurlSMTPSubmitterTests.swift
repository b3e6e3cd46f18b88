import Foundation
import RefbotCurl
import RefbotTestSupport
import RefbotTransport
import Testing

@Suite(
    "CurlSMTPSubmitter against Postfix", .serialized,
    .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct CurlSMTPSubmitterTests {
    @Test("submission with STARTTLS and AUTH delivers the message unchanged")
    func submissionDelivers() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: .starttls), pool: pool)
            let data = testMessage(id: "sub-1@example.test", from: "bot@example.test", to: "alice@example.test")
            let results = await submitter.submit([
                OutgoingMail(envelopeFrom: "bot@example.test", recipients: ["alice@example.test"], data: data)
            ])
            #expect(results.count == 1)
            try results[0].get()

            let received = try await stack.messages(user: "alice@example.test", password: "alicepass")
            #expect(received.count == 1)
            let added = addedHeaderNames(fetched: received[0].raw, sent: data)
            #expect(added != nil)
            #expect(Set(added ?? []).isSubset(of: ["Return-Path", "Delivered-To", "Received"]))
            let log = try await waitForLog(stack.directory + "/log/postfix.log") { $0.contains("sasl_username=") }
            #expect(log.contains("sasl_method=PLAIN, sasl_username=bot@example.test"))
        }
    }

    @Test("SMTPS to two recipients reaches both mailboxes")
    func smtpsTwoRecipients() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: .smtps), pool: pool)
            let data = testMessage(id: "two@example.test", from: "bot@example.test", to: "alice@example.test")
            let results = await submitter.submit([
                OutgoingMail(
                    envelopeFrom: "bot@example.test", recipients: ["alice@example.test", "bob@example.test"], data: data
                )
            ])
            try results[0].get()
            let alice = try await stack.messages(user: "alice@example.test", password: "alicepass")
            let bob = try await stack.messages(user: "bob@example.test", password: "bobpass")
            #expect(addedHeaderNames(fetched: alice[0].raw, sent: data) != nil)
            #expect(addedHeaderNames(fetched: bob[0].raw, sent: data) != nil)
        }
    }

    @Test("the envelope sender, separate from From:, becomes Return-Path; an empty one is the null sender")
    func envelopeSender() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            let verp = testMessage(id: "verp@example.test", from: "bot@example.test", to: "alice@example.test")
            let null = testMessage(id: "null@example.test", from: "bot@example.test", to: "bob@example.test")
            let results = await submitter.submit([
                OutgoingMail(
                    envelopeFrom: "bot+bounce-42@example.test", recipients: ["alice@example.test"], data: verp),
                OutgoingMail(envelopeFrom: "", recipients: ["bob@example.test"], data: null),
            ])
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            let alice = try await stack.messages(user: "alice@example.test", password: "alicepass")
            #expect(headerValue("Return-Path", in: alice[0].raw) == "<bot+bounce-42@example.test>")
            #expect(headerValue("From", in: alice[0].raw) == "<bot@example.test>")
            let bob = try await stack.messages(user: "bob@example.test", password: "bobpass")
            #expect(headerValue("Return-Path", in: bob[0].raw) == "<>")
        }
    }

    @Test("a batch of 20 goes over one SMTP session")
    func batchOnOneConnection() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: .starttls), pool: pool)
            let batch = (1...20).map { n in
                OutgoingMail(
                    envelopeFrom: "bot+bounce-\(n)@example.test", recipients: ["carol@example.test"],
                    data: testMessage(id: "batch-\(n)@example.test", from: "bot@example.test", to: "carol@example.test")
                )
            }
            let results = await submitter.submit(batch)
            #expect(results.count == 20)
            #expect(results.allSatisfy { (try? $0.get()) != nil })
            // The session stays open for the next batch until it is closed.
            await submitter.close()
            // Postfix sums up each session when it ends: one session carried all 20 messages.
            let log = try await waitForLog(stack.directory + "/log/postfix.log") { $0.contains(" mail=20 ") }
            let sessions = log.split(whereSeparator: \.isNewline).filter {
                $0.contains("disconnect from") && $0.contains("auth=1")
            }
            #expect(sessions.count == 1, "\(sessions)")
            // Submission (587) offers CHUNKING, and a new connection's mails go as BDAT chunks.
            #expect(sessions.first?.contains("mail=20 rcpt=20 bdat=20") == true, "\(sessions)")
            let received = try await stack.messages(user: "carol@example.test", password: "carolpass", atLeast: 20)
            #expect(received.count == 20)
        }
    }

    @Test("results line up with the input: 550 is permanent, 450 temporary, the others are delivered")
    func mixedResults() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            let recipients = [
                "alice@example.test", "reject@example.test", "bob@example.test", "tempfail@example.test",
                "carol@example.test",
            ]
            let batch = recipients.enumerated().map { n, to in
                OutgoingMail(
                    envelopeFrom: "bot@example.test", recipients: [to],
                    data: testMessage(id: "mixed-\(n)@example.test", from: "bot@example.test", to: to))
            }
            let results = await submitter.submit(batch)
            #expect(results.count == 5)
            #expect((try? results[0].get()) != nil)
            #expect((try? results[2].get()) != nil)
            #expect((try? results[4].get()) != nil)
            guard case .failure(let rejected) = results[1], case .failure(let deferred) = results[3] else {
                Issue.record("expected failures for reject@ and tempfail@: \(results)")
                return
            }
            #expect(rejected.code == .rejected)
            #expect(rejected.isTemporary == false)
            #expect(rejected.serverCode == 550)
            #expect(rejected.message.contains("rejects all mail"))
            #expect(deferred.code == .rejected)
            #expect(deferred.isTemporary == true)
            #expect(deferred.serverCode == 450)
            for (user, password) in [("alice", "alicepass"), ("bob", "bobpass"), ("carol", "carolpass")] {
                let inbox = try await stack.messages(user: "\(user)@example.test", password: password)
                #expect(inbox.count == 1)
            }
        }
    }

    @Test("a message over Postfix's 30 MB limit gets a permanent 552; a 20 MB one passes")
    func sizeLimit() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            func big(_ megabytes: Int, id: String) -> [UInt8] {
                let line = String(repeating: "abcdefghij", count: 7) + "\r\n"  // 72 bytes
                let body = String(repeating: line, count: megabytes * 1_048_576 / 72)
                return testMessage(id: id, from: "bot@example.test", to: "alice@example.test", body: body)
            }
            let large = big(20, id: "large@example.test")
            let results = await submitter.submit([
                OutgoingMail(
                    envelopeFrom: "bot@example.test", recipients: ["alice@example.test"],
                    data: big(31, id: "huge@example.test")),
                OutgoingMail(envelopeFrom: "bot@example.test", recipients: ["alice@example.test"], data: large),
            ])
            guard case .failure(let error) = results[0] else {
                Issue.record("a 31 MB message was accepted")
                return
            }
            #expect(error.serverCode == 552)
            #expect(error.code == .tooLarge)
            #expect(error.isTemporary == false)
            try results[1].get()
            let received = try await stack.messages(user: "alice@example.test", password: "alicepass")
            #expect(received.count == 1)
            #expect(addedHeaderNames(fetched: received[0].raw, sent: large) != nil)
        }
    }

    @Test("a wrong password is a permanent authentication error for every message of the batch")
    func wrongPassword() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "wrong"), pool: pool)
            let mail = OutgoingMail(
                envelopeFrom: "bot@example.test", recipients: ["alice@example.test"],
                data: testMessage(id: "pw@example.test"))
            let results = await submitter.submit([mail, mail])
            for result in results {
                guard case .failure(let error) = result else {
                    Issue.record("sent with a wrong password")
                    continue
                }
                #expect(error.code == .authentication)
                #expect(error.isTemporary == false)
                #expect(error.message.contains("smtp.password_file"))
            }
            let failed = await transportError { try await submitter.checkLogin() }
            #expect(failed?.code == .authentication)
            try await CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass"), pool: pool
            ).checkLogin()
        }
    }

    @Test("submission without a login is refused with a permanent 5xx")
    func submissionWithoutLogin() async throws {
        try await withMailStack { stack, pool in
            var settings = stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: .starttls)
            settings.username = ""
            settings.password = ""
            let results = await CurlSMTPSubmitter(settings: settings, pool: pool).submit([
                OutgoingMail(
                    envelopeFrom: "bot@example.test", recipients: ["alice@example.test"],
                    data: testMessage(id: "noauth@example.test"))
            ])
            guard case .failure(let error) = results[0] else {
                Issue.record("submission accepted mail without a login")
                return
            }
            #expect(error.isTemporary == false)
            #expect((500..<600).contains(error.serverCode ?? 0))
        }
    }

    @Test("SMTP down is a temporary connection error; the same submitter sends once it is back")
    func smtpOutage() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            let mail = OutgoingMail(
                envelopeFrom: "bot@example.test", recipients: ["alice@example.test"],
                data: testMessage(id: "down@example.test"))
            try await stack.stopSMTP()
            let results = await submitter.submit([mail, mail])
            #expect(results.count == 2)
            for result in results {
                guard case .failure(let error) = result else {
                    Issue.record("sent while Postfix was down")
                    continue
                }
                #expect(error.code == .connection)
                #expect(error.isTemporary == true)
                #expect(error.message.contains("smtp.url"))
            }
            try await stack.startSMTP()
            try await submitter.submit([mail])[0].get()
            #expect(try await stack.messages(user: "alice@example.test", password: "alicepass").count == 1)
        }
    }

    @Test("an untrusted certificate is a temporary TLS error naming smtp.ca_file")
    func untrustedCertificate() async throws {
        try await withMailStack { stack, pool in
            for tls in [MailStack.TLSMode.smtps, .starttls] {
                var settings = stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: tls)
                settings.caFile = ""
                let results = await CurlSMTPSubmitter(settings: settings, pool: pool).submit([
                    OutgoingMail(
                        envelopeFrom: "bot@example.test", recipients: ["alice@example.test"],
                        data: testMessage(id: "tls@example.test"))
                ])
                guard case .failure(let error) = results[0] else {
                    Issue.record("sent over \(tls) without trusting the certificate")
                    continue
                }
                #expect(error.code == .tls)
                #expect(error.isTemporary == true)
                #expect(error.message.contains("smtp.ca_file"))
            }
        }
    }

    @Test("envelope addresses with line breaks or brackets are refused before anything is sent")
    func hostileEnvelope() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(settings: stack.relaySettings(), pool: pool)
            let data = testMessage(id: "hostile@example.test")
            let results = await submitter.submit([
                OutgoingMail(
                    envelopeFrom: "a@example.test>\r\nRCPT TO:<bob@example.test", recipients: ["alice@example.test"],
                    data: data),
                OutgoingMail(envelopeFrom: "a@example.test", recipients: ["alice@example.test>\r\nDATA"], data: data),
                OutgoingMail(envelopeFrom: "a@example.test", recipients: [], data: data),
                OutgoingMail(envelopeFrom: "a@example.test", recipients: ["carol@example.test"], data: data),
            ])
            for result in results.prefix(3) {
                guard case .failure(let error) = result else {
                    Issue.record("a hostile envelope was sent")
                    continue
                }
                #expect(error.isTemporary == false)
                #expect(error.code == .rejected)
            }
            try results[3].get()
            #expect(try await stack.messages(user: "carol@example.test", password: "carolpass").count == 1)
        }
    }
}
