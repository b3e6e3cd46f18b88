import Foundation
import RefbotCurl
import RefbotTestSupport
import RefbotTransport
import Testing

/// The SMTP session ``CurlSMTPSubmitter`` keeps open between batches, and what happens when the
/// server has closed it.
@Suite(
    "CurlSMTPSubmitter's kept session against Postfix", .serialized,
    .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct CurlSMTPSessionTests {
    /// A mail to carol with this Message-ID.
    private func mail(_ id: String, body: String = "Hello.\r\n") -> OutgoingMail {
        OutgoingMail(
            envelopeFrom: "bot+bounce-1@example.test", recipients: ["carol@example.test"],
            data: testMessage(id: id, from: "bot@example.test", to: "carol@example.test", body: body))
    }

    /// How many times Postfix queued a message with this Message-ID (its cleanup logs each one).
    private func queuedCount(_ id: String, in log: String) -> Int {
        log.split(whereSeparator: \.isNewline).filter { $0.contains("message-id=<\(id)>") }.count
    }

    /// A 1 MB mail to carol (lines of 70 letters), long enough to be cut in the middle.
    private func megabyteMail(_ id: String) -> OutgoingMail {
        let line = String(repeating: "abcdefghij", count: 7) + "\r\n"
        return mail(id, body: String(repeating: line, count: 1_048_576 / 72))
    }

    /// Submission through `proxy` to the stack's STARTTLS submission port.
    private func settings(_ stack: MailStack, through proxy: IdleDropProxy) -> SMTPServerSettings {
        var settings = stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: .starttls)
        settings.url = "smtp://127.0.0.1:\(proxy.port)"
        return settings
    }

    @Test("batches sent one after another share one SMTP session (one TLS handshake, one login) until close()")
    func batchesShareOneSession() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: .starttls), pool: pool)
            try await submitter.submit([mail("keep-1@example.test")])[0].get()
            let second = await submitter.submit([mail("keep-2@example.test"), mail("keep-3@example.test")])
            #expect(second.allSatisfy { (try? $0.get()) != nil })
            await submitter.close()
            // Postfix sums up each session when it ends: one session carried all three.
            let log = try await waitForLog(stack.directory + "/log/postfix.log") { $0.contains(" mail=3 ") }
            let sessions = log.split(whereSeparator: \.isNewline).filter {
                $0.contains("disconnect from") && $0.contains("auth=1")
            }
            #expect(sessions.count == 1, "\(sessions)")
            // The first mail of the second batch, on the kept connection, goes by DATA; the others as BDAT chunks.
            #expect(sessions.first?.contains("starttls=1 auth=1 mail=3 rcpt=3 data=1 bdat=2 quit=1") == true, "\(sessions)")
            let received = try await stack.messages(user: "carol@example.test", password: "carolpass", atLeast: 3)
            #expect(received.count == 3)
        }
    }

    @Test("the server closed the kept connection while it was idle: the next mail goes out once, over a new one")
    func reconnectsAfterIdleClose() async throws {
        try await withMailStack { stack, pool in
            let proxy = try IdleDropProxy(targetPort: stack.submissionPort)
            defer { proxy.stop() }
            let submitter = CurlSMTPSubmitter(settings: settings(stack, through: proxy), pool: pool)
            try await submitter.submit([mail("idle-1@example.test")])[0].get()
            #expect(proxy.connections == 1)
            proxy.closeOpenConnections()
            while proxy.openConnections > 0 { try await Task.sleep(for: .milliseconds(20)) }

            let results = await submitter.submit([mail("idle-2@example.test")])
            try results[0].get()
            #expect(proxy.connections == 2)
            try await submitter.submit([mail("idle-3@example.test")])[0].get()
            #expect(proxy.connections == 2, "the new connection is kept in turn")

            let received = try await stack.messages(user: "carol@example.test", password: "carolpass", atLeast: 3)
            let log = try await waitForLog(stack.directory + "/log/postfix.log") { $0.contains("<idle-3@example.test>") }
            for id in ["idle-1@example.test", "idle-2@example.test", "idle-3@example.test"] {
                #expect(queuedCount(id, in: log) == 1, "\(id)")
                #expect(received.filter { headerValue("Message-ID", in: $0.raw) == "<\(id)>" }.count == 1, "\(id)")
            }
        }
    }

    @Test("the kept connection dies just as the next mail begins (before DATA): that mail goes out once, over a new one")
    func retriesAMailTheDeadConnectionNeverStarted() async throws {
        try await withMailStack { stack, pool in
            let proxy = try IdleDropProxy(targetPort: stack.submissionPort)
            defer { proxy.stop() }
            let submitter = CurlSMTPSubmitter(settings: settings(stack, through: proxy), pool: pool)
            try await submitter.submit([mail("race-1@example.test")])[0].get()
            // The connection still looks open; it ends the moment the client sends MAIL FROM.
            proxy.dropOnNextClientBytes()

            let results = await submitter.submit([mail("race-2@example.test"), mail("race-3@example.test")])
            #expect(proxy.drops == 1)
            try results[0].get()
            try results[1].get()
            #expect(proxy.connections == 2)

            let received = try await stack.messages(user: "carol@example.test", password: "carolpass", atLeast: 3)
            let log = try await waitForLog(stack.directory + "/log/postfix.log") { $0.contains("<race-3@example.test>") }
            for id in ["race-1@example.test", "race-2@example.test", "race-3@example.test"] {
                #expect(queuedCount(id, in: log) == 1, "\(id)")
                #expect(received.filter { headerValue("Message-ID", in: $0.raw) == "<\(id)>" }.count == 1, "\(id)")
            }
        }
    }

    @Test("a connection that breaks inside a BDAT chunk: the mail arrives once if it was reported sent, and not at all if not")
    func cutInsideAChunk() async throws {
        try await withMailStack { stack, pool in
            let proxy = try IdleDropProxy(targetPort: stack.submissionPort)
            defer { proxy.stop() }
            let submitter = CurlSMTPSubmitter(settings: settings(stack, through: proxy), pool: pool)
            try await submitter.submit([mail("chunk-1@example.test")])[0].get()
            // The next batch: its first mail goes by DATA on the kept connection, the second as one
            // chunk, of which about 200 kB pass before the cut. A write that fails has not handed
            // the chunk over whole, so the mail goes once more on a new connection; a cut noticed
            // only while waiting for the replies leaves it unknown, and the mail is reported failed.
            proxy.dropOnNextClientBytes(after: 200_000)
            let big = megabyteMail("chunk-cut@example.test")
            let results = await submitter.submit([mail("chunk-2@example.test"), big])
            #expect(proxy.drops == 1)
            try results[0].get()
            let reportedSent = (try? results[1].get()) != nil
            if case .failure(let error) = results[1] { #expect(error.isTemporary) }
            try await submitter.submit([mail("chunk-3@example.test")])[0].get()
            #expect(proxy.connections == 2)
            let received = try await stack.messages(user: "carol@example.test", password: "carolpass", atLeast: reportedSent ? 4 : 3)
            let ids = received.compactMap { headerValue("Message-ID", in: $0.raw) }
            #expect(ids.filter { $0 == "<chunk-cut@example.test>" }.count == (reportedSent ? 1 : 0), "\(ids)")
            for id in ["chunk-1", "chunk-2", "chunk-3"] { #expect(ids.filter { $0 == "<\(id)@example.test>" }.count == 1, "\(id)") }
            // (Postfix's log names the cut mail's Message-ID once more: its cleanup read the headers of
            // the part that came before the cut, then dropped the transaction. The mailbox counts.)
        }
    }

    @Test("a connection that breaks inside the message (after 354) is a temporary failure, not sent again by the submitter")
    func noRetryOnceDataBegan() async throws {
        try await withMailStack { stack, pool in
            let proxy = try IdleDropProxy(targetPort: stack.submissionPort)
            defer { proxy.stop() }
            let submitter = CurlSMTPSubmitter(settings: settings(stack, through: proxy), pool: pool)
            try await submitter.submit([mail("cut-1@example.test")])[0].get()
            // 200 kB pass (MAIL FROM, RCPT TO, DATA and the start of the 1 MB message), then the cut.
            proxy.dropOnNextClientBytes(after: 200_000)
            let big = megabyteMail("cut-2@example.test")

            let results = await submitter.submit([big])
            #expect(proxy.drops == 1)
            guard case .failure(let error) = results[0] else {
                Issue.record("a message cut in the middle was reported sent")
                return
            }
            #expect(error.isTemporary)
            #expect(proxy.connections == 1, "the submitter did not try the message again on a new connection")

            // The same submitter carries on over a new connection.
            try await submitter.submit([mail("cut-3@example.test")])[0].get()
            #expect(proxy.connections == 2)
            let received = try await stack.messages(user: "carol@example.test", password: "carolpass", atLeast: 2)
            let ids = received.compactMap { headerValue("Message-ID", in: $0.raw) }
            #expect(ids.contains("<cut-1@example.test>"))
            #expect(ids.contains("<cut-3@example.test>"))
            #expect(!ids.contains("<cut-2@example.test>"))
        }
    }
}
