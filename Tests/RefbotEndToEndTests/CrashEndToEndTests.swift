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
@Suite("Exactly once across SIGKILL", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct CrashEndToEndTests {
    static let mails = 200
    static let rounds = 12

    @Test("200 mails, refbot killed with SIGKILL in 12 rounds: every mail answered exactly once")
    func killNineRounds() async throws {
        try await BotFixture.with { bot in
            // Mail keeps arriving while the daemon is killed and restarted.
            let ids = (0..<Self.mails).map { "crash-\($0)@example.test" }
            let feeder = Task {
                for (index, id) in ids.enumerated() {
                    try await bot.send(subject: "HELP", body: "", messageID: id)
                    if index % 20 == 19 { try await Task.sleep(for: .milliseconds(150)) }
                }
            }
            // Kill points spread from "just started" to "well into a pass".
            let delays: [Duration] = [
                .milliseconds(30), .milliseconds(120), .milliseconds(250), .milliseconds(400), .milliseconds(600),
                .milliseconds(800), .milliseconds(1000), .milliseconds(1300), .milliseconds(1600), .milliseconds(2000),
                .milliseconds(2500), .milliseconds(3000),
            ]
            var killed = 0
            for round in 0..<Self.rounds {
                let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
                try await Task.sleep(for: delays[round % delays.count])
                daemon.signal(SIGKILL)
                let status = await daemon.wait()
                if status == SIGKILL || status == 9 { killed += 1 }
            }
            try await feeder.value
            #expect(killed >= 10, "the daemon was killed in \(killed) rounds")

            // A last run, left to finish: every mail must get its answer.
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            // Wait until every mail has its answer (copies may arrive first, so count distinct parents).
            var answers: [ParsedMessage] = []
            let deadline = ContinuousClock.now + .seconds(180)
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
            #expect(Set(byInbound.keys) == Set(ids), "answers for \(byInbound.count) of \(ids.count) mails")
            var rfc1047Copies = 0
            for (parent, messageIDs) in byInbound where messageIDs.count > 1 {
                #expect(Set(messageIDs).count == 1, "\(parent) got different answers: \(messageIDs)")
                rfc1047Copies += messageIDs.count - 1
            }
            // At most one such copy per kill: the window is one message wide.
            #expect(rfc1047Copies <= killed, "\(rfc1047Copies) resent copies for \(killed) kills")
            print("exactly-once: \(ids.count) mails, \(killed) kills, \(rfc1047Copies) RFC 1047 copies")

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
