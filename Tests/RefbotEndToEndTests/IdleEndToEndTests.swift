import Foundation
import RefbotMail
import RefbotTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's IMAP IDLE watch, with the real Dovecot and Postfix.
@Suite("refbot with IMAP IDLE", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct IdleEndToEndTests {
    /// With `poll_seconds = 300` only IDLE can bring a mail in before five minutes: the answer
    /// arriving well before then shows the watch woke the Fetcher. A graceful stop ends the IDLE
    /// with DONE and LOGOUT.
    @Test("With imap.poll_seconds = 300, a HELP is answered long before the next poll, and SIGTERM ends the IDLE with DONE and LOGOUT")
    func idleWakesTheFetcher() async throws {
        try await BotFixture.with { bot in
            let toml = try String(contentsOfFile: bot.configPath, encoding: .utf8)
                .replacingOccurrences(of: "poll_seconds = 1\n", with: "poll_seconds = 300\n")
            try toml.write(toFile: bot.configPath, atomically: true, encoding: .utf8)
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while !daemon.stderr.contains("IMAP IDLE watching the inbox"), clock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(daemon.stderr.contains("IMAP IDLE watching the inbox"), "\(daemon.stderr.suffix(3000))")
            // the first poll ran at the start; the next one is five minutes away
            try await Task.sleep(for: .seconds(1))

            let sent = clock.now
            try await bot.send(subject: "HELP", body: "", messageID: "idle-help@example.test")
            let answers = try await FaultEndToEndTests.answers(for: ["idle-help@example.test"], bot: bot, timeout: .seconds(60))
            let took = clock.now - sent
            #expect(answers.contains { $0.inReplyTo.contains("idle-help@example.test") }, "no answer within 60 s")
            print("idle: HELP answered \(took) after it was submitted (poll_seconds = 300)")

            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0, "graceful stop: \(daemon.stderr.suffix(3000))")
            let log = (try? String(contentsOfFile: bot.stack.directory + "/log/dovecot.log", encoding: .utf8)) ?? ""
            let sessions = log.split(whereSeparator: \.isNewline).filter { $0.contains("imap(bot@example.test)") }
            #expect(!sessions.contains { $0.contains("IDLE running") }, "an IDLE was dropped: \(sessions)")
            #expect(sessions.contains { $0.contains("Logged out") }, "\(sessions)")
            // Both of refbot's connections, the watch and the one that fetches and files, say LOGOUT.
            let ended = sessions.filter { $0.contains("Disconnected") }
            #expect(ended.count >= 2, "\(sessions)")
            #expect(ended.allSatisfy { $0.contains("Logged out") }, "a connection was dropped without LOGOUT: \(ended)")
        }
    }
}
