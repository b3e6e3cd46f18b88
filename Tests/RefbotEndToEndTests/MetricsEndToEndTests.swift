import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import RefbotMail
import RefbotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `/metrics` scraped from the built `refbot run`, serving real Dovecot and Postfix on loopback,
/// and its `--log-format json` lines.
@Suite("Metrics from a running daemon", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct MetricsEndToEndTests {
    /// The page at `url`, or nil while nothing answers there.
    static func get(_ url: URL) async -> PrometheusText? {
        guard let (body, response) = try? await URLSession(configuration: .ephemeral).data(from: url),
            (response as? HTTPURLResponse)?.statusCode == 200
        else { return nil }
        return PrometheusText(String(decoding: body, as: UTF8.self))
    }

    /// Scrapes until `ready` holds (the daemon records a sent mail right after the server's 250),
    /// giving up after `patience`; returns the last page.
    static func scrape(_ url: URL, patience: Duration = .seconds(60), until ready: (PrometheusText) -> Bool) async throws
        -> PrometheusText
    {
        let deadline = ContinuousClock.now + patience
        var page = await get(url)
        while page.map(ready) != true, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
            page = await get(url)
        }
        return try #require(page, "nothing answered at \(url)")
    }

    @Test("HELP through the mail servers: the running daemon's /metrics counts the command, the event, the answer's latency and the queues")
    func helpMovesTheMetrics() async throws {
        try await BotFixture.with { bot in
            let metricsPort = try freeLoopbackPort()
            let toml = try String(contentsOfFile: bot.configPath, encoding: .utf8).replacingOccurrences(
                of: "metrics_listen = \"127.0.0.1:0\"", with: "metrics_listen = \"127.0.0.1:\(metricsPort)\"")
            try toml.write(toFile: bot.configPath, atomically: true, encoding: .utf8)
            let url = try #require(URL(string: "http://127.0.0.1:\(metricsPort)/metrics"))

            let daemon = try RefbotProcess.start(
                ["run", "--config", bot.configPath, "--log-format", "json"], environment: bot.environment)
            defer { if daemon.isRunning { daemon.signal(SIGKILL) } }

            // Before any mail: the families are there, at zero.
            let before = try await Self.scrape(url) { _ in true }
            #expect(before.unreadable.isEmpty, "\(before.unreadable)")
            #expect(before.value("refbot_commands_total", ["command": "help", "outcome": "executed"]) == nil)
            #expect(before.value("refbot_answer_latency_seconds_count") == 0)
            #expect(before.value("refbot_inbound_messages", ["state": "done"]) == 0)
            #expect(before.value("refbot_outbox_sent_total") == 0)
            #expect(before.value("refbot_oauth_refreshes_total", ["result": "success"]) == 0)

            try await bot.send(subject: "HELP", body: "")
            let answers = try await bot.mailbox("alice@example.test", atLeast: 1, timeout: .seconds(120))
            #expect(answers.first?.header("X-Refbot-Event") == "help")

            let after = try await Self.scrape(url) { $0.value("refbot_events_sent_total", ["event": "help"]) == 1 }
            #expect(after.unreadable.isEmpty, "\(after.unreadable)")
            #expect(after.value("refbot_commands_total", ["command": "help", "outcome": "executed"]) == 1)
            #expect(after.value("refbot_events_sent_total", ["event": "help"]) == 1)
            #expect(after.value("refbot_answer_latency_seconds_count") == 1)
            #expect(after.value("refbot_inbound_processing_seconds_count") == 1)
            #expect(after.value("refbot_inbound_messages", ["state": "done"]) == 1)
            #expect(after.value("refbot_inbound_messages", ["state": "received"]) == 0)
            #expect(after.value("refbot_inbound_processed_total") == 1)
            #expect(after.value("refbot_outbox_messages", ["state": "pending"]) == 0)
            #expect(after.value("refbot_outbox_sent_total") == 1)
            #expect(after.value("refbot_poll_age_seconds").map { $0 >= 0 && $0 < 60 } == true)
            #expect(!after.samples.contains { $0.name == "refbot_transport_errors_total" && $0.value > 0 })

            daemon.signal(SIGTERM)
            #expect(await daemon.wait() == 0)

            // --log-format json: every line the daemon wrote is one JSON object with the four fields.
            let lines = daemon.stderr.split(separator: "\n").map(String.init)
            #expect(!lines.isEmpty)
            var executed = false
            for line in lines {
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                #expect(object != nil, "not a JSON object: \(line)")
                guard let object else { continue }
                #expect(object["timestamp"] is String && object["level"] is String && object["label"] is String)
                if object["message"] as? String == "Command executed" {
                    executed = (object["metadata"] as? [String: Any])?["command"] as? String == "help"
                }
            }
            #expect(executed, "no Command executed line for help in:\n\(daemon.stderr.suffix(3000))")
        }
    }
}
