import Foundation
import GRDB
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// kill -9 at varied points while mail flows: nothing lost, nothing answered twice (bar RFC 1047).
///
/// The size comes from the environment, so `scripts/fault-kill` can run the same test for longer:
/// `REFBOT_CRASH_MAILS` (default 200), `REFBOT_CRASH_KILLS` (default 12) and `REFBOT_CRASH_SEED`
/// (default: a random one), and `REFBOT_CRASH_MAX_DELAY_MS` (default 3000), the longest a daemon
/// runs before it is killed. The kill delays come from a generator seeded with it, printed first,
/// so a failing run can be repeated.
@Suite("Exactly once across SIGKILL", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct CrashEndToEndTests {
    static let mails = environmentInt("REFBOT_CRASH_MAILS") ?? 200
    static let rounds = environmentInt("REFBOT_CRASH_KILLS") ?? 12
    static let maxDelayMilliseconds = environmentInt("REFBOT_CRASH_MAX_DELAY_MS") ?? 3000
    static let seed = environmentInt("REFBOT_CRASH_SEED").map(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))

    static func environmentInt(_ name: String) -> Int? {
        ProcessInfo.processInfo.environment[name].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
    }

    @Test("Mails arrive while refbot is killed with SIGKILL again and again: every mail answered exactly once")
    func killNineRounds() async throws {
        print("exactly-once: \(Self.mails) mails, \(Self.rounds) kills, REFBOT_CRASH_SEED=\(Self.seed)")
        try await BotFixture.with(extraSMTP: BotFixture.uncappedReplies) { bot in
            // Mail keeps arriving while the daemon is killed and restarted.
            let ids = (0..<Self.mails).map { "crash-\($0)@example.test" }
            let feeder = Task {
                for (index, id) in ids.enumerated() {
                    try await bot.send(subject: "HELP", body: "", messageID: id)
                    if index % 20 == 19 { try await Task.sleep(for: .milliseconds(150)) }
                }
            }
            // Kill points spread from "just started" to "well into a pass" (30 ms to 3 s by default), seeded.
            var generator = SplitMix64(seed: Self.seed)
            let delays = (0..<Self.rounds).map { _ in Int(generator.next() % UInt64(max(Self.maxDelayMilliseconds - 29, 1))) + 30 }
            print("exactly-once: kill delays in ms: \(delays.map(String.init).joined(separator: " "))")
            var killed = 0
            for round in 0..<Self.rounds {
                let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
                try await Task.sleep(for: .milliseconds(delays[round]))
                daemon.signal(SIGKILL)
                let status = await daemon.wait()
                if status == SIGKILL || status == 9 { killed += 1 }
            }
            try await feeder.value
            #expect(killed >= Self.rounds * 5 / 6, "the daemon was killed in \(killed) rounds")

            // A last run, left to finish: every mail must get its answer.
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            // Wait until every mail has its answer (copies may arrive first, so count distinct parents).
            var answers: [ParsedMessage] = []
            let patience = Duration.seconds(max(180, Self.mails / 4))
            _ = try? await bot.rawMailbox("alice@example.test", atLeast: Self.mails, timeout: patience)
            let deadline = ContinuousClock.now + patience
            while ContinuousClock.now < deadline {
                answers = try await bot.mailbox("alice@example.test", atLeast: 0, timeout: .seconds(5))
                if Set(answers.flatMap(\.inReplyTo)).isSuperset(of: ids) { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0, "graceful stop: \(daemon.stderr.suffix(2000))")

            // Each inbound mail has exactly one answer, except copies of one outbox row (same
            // Message-ID) sent again after a kill between the server's 250 and markSent.
            var byInbound: [String: [String]] = [:]
            for answer in answers {
                for parent in answer.inReplyTo { byInbound[parent, default: []].append(answer.messageID ?? "") }
            }
            let lost = Set(ids).subtracting(byInbound.keys)
            #expect(lost.isEmpty, "answers for \(byInbound.count) of \(ids.count) mails; none for \(lost.sorted().prefix(10))")
            var rfc1047Copies = 0
            for (parent, messageIDs) in byInbound where messageIDs.count > 1 {
                #expect(Set(messageIDs).count == 1, "\(parent) got different answers: \(messageIDs)")
                rfc1047Copies += messageIDs.count - 1
            }
            // At most one such copy per kill: the window is one message wide.
            #expect(rfc1047Copies <= killed, "\(rfc1047Copies) resent copies for \(killed) kills")
            let extraAnswers = answers.count - byInbound.count
            print("exactly-once: \(ids.count) mails, \(killed) kills, \(lost.count) lost, \(extraAnswers) duplicate answers, of which \(rfc1047Copies) RFC 1047 copies (same Message-ID), seed \(Self.seed)")

            let store = try Store(path: bot.databasePath)
            let (inbound, sent, pending) = try await store.read { db in
                (try InboundMessage.fetchCount(db),
                 try OutboxMessage.filter(Column("state") == "sent").fetchCount(db),
                 try Outbox.depth(in: db))
            }
            #expect(inbound == Self.mails)
            #expect(sent == Self.mails)
            #expect(pending == 0)
            #expect(try await bot.count("bot@example.test") == 0)
            #expect(try await bot.count("bot@example.test", folder: "Processed") == Self.mails)
        }
    }
}
