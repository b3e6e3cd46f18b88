import Foundation
import RefbotCurl
import RefbotTestSupport
import RefbotTransport
import Testing

/// Throughput figures, printed only; run with `REFBOT_BENCHMARKS=1 swift test --filter TransportBenchmarks`.
@Suite(
    "Transport benchmarks", .serialized,
    .enabled(if: ProcessInfo.processInfo.environment["REFBOT_BENCHMARKS"] != nil && TestEnvironment.serversAvailable))
struct TransportBenchmarks {
    @Test("IMAPS fetch rate: 1,000 unseen messages in batches of 50")
    func fetchRate() async throws {
        try await withMailStack { stack, pool in
            let maildir = stack.directory + "/mail/example.test/carol/Maildir"
            for folder in ["cur", "new", "tmp"] {
                try FileManager.default.createDirectory(
                    atPath: maildir + "/" + folder, withIntermediateDirectories: true)
            }
            for n in 1...1000 {
                let body = String(
                    repeating: "A line of about seventy characters to fill a typical message body.\r\n", count: 25)
                try Data(testMessage(id: "bench-\(n)@example.test", to: "carol@example.test", body: body))
                    .write(to: URL(fileURLWithPath: "\(maildir)/new/1700000000.M\(n)P1.bench"))
            }
            let chown = Process()
            chown.executableURL = URL(fileURLWithPath: "/bin/chown")
            chown.arguments = ["-R", "mail:mail", stack.directory + "/mail/example.test"]
            try chown.run()
            chown.waitUntilExit()

            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "carol@example.test", password: "carolpass"), pool: pool)
            let listing = try await mailbox.listInbox()
            #expect(listing.uids.count == 1000)
            let clock = ContinuousClock()
            let start = clock.now
            var count = 0
            var index = 0
            while index < listing.uids.count {
                let batch = Array(listing.uids[index..<min(index + 50, listing.uids.count)])
                count += try await mailbox.fetch(uids: batch).count
                index += 50
            }
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print("BENCH IMAPS fetch: \(count) messages in \(elapsed): \(Int(Double(count) / seconds)) msg/s")
            #expect(count == 1000)
        }
    }

    @Test("SMTP send rate: 200 messages in one batch over submission (STARTTLS + AUTH)")
    func sendRate() async throws {
        try await withMailStack { stack, pool in
            let submitter = CurlSMTPSubmitter(
                settings: stack.smtpSettings(user: "bot@example.test", password: "botpass", tls: .starttls), pool: pool)
            let batch = (1...200).map { n in
                OutgoingMail(
                    envelopeFrom: "bot+bounce-\(n)@example.test", recipients: ["alice@example.test"],
                    data: testMessage(id: "send-\(n)@example.test", from: "bot@example.test", to: "alice@example.test"))
            }
            let clock = ContinuousClock()
            let start = clock.now
            let results = await submitter.submit(batch)
            let elapsed = clock.now - start
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(
                "BENCH SMTP submit: \(results.count) messages in \(elapsed): \(Int(Double(results.count) / seconds)) msg/s"
            )
            #expect(results.allSatisfy { (try? $0.get()) != nil })
        }
    }
}
