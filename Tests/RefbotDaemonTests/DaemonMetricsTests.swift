import Foundation
import GRDB
import RefbotDaemon
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Testing

/// `/metrics` as the daemon's services feed it, over real SQLite with in-memory IMAP and SMTP.
@Suite("Daemon metrics")
struct DaemonMetricsTests {
    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let clock = ManualClock()
    let logs = LogCapture()
    let daemon: Daemon

    init() async throws {
        directory = try TemporaryDirectory()
        daemon = try await buildDaemon(
            testConfiguration(in: directory), environment: [:], logger: logs.logger, clock: clock.daemonClock,
            mailbox: mailbox, submitter: submitter)
    }

    func scrape() async -> PrometheusText { PrometheusText(await daemon.links.metrics()) }

    @Test("A HELP answered 30 s after it arrived: command, event, processing time and answer latency are counted once")
    func helpIsCounted() async throws {
        let before = await scrape()
        #expect(before.value("refbot_commands_total", ["command": "help"]) == nil)
        #expect(before.value("refbot_answer_latency_seconds_count") == 0)
        #expect(before.value("refbot_inbound_processing_seconds_count") == 0)

        mailbox.deliver(mail(subject: "help", body: ""))
        #expect(await daemon.fetcher.runOnce() == 1)
        #expect(await scrape().value("refbot_inbound_messages", ["state": "received"]) == 1)
        clock.advance(by: 30)
        #expect(try await daemon.processor.runOnce() == 1)
        #expect(await scrape().value("refbot_outbox_messages", ["state": "pending"]) == 1)
        #expect(try await daemon.sender.runOnce() == 1)

        let page = await scrape()
        #expect(page.unreadable.isEmpty, "\(page.unreadable)")
        #expect(page.value("refbot_commands_total", ["command": "help", "outcome": "executed"]) == 1)
        #expect(page.value("refbot_events_sent_total", ["event": "help"]) == 1)
        #expect(page.value("refbot_inbound_processing_seconds_count") == 1)
        #expect(page.value("refbot_answer_latency_seconds_count") == 1)
        #expect(page.value("refbot_answer_latency_seconds_sum") == 30)
        #expect(page.value("refbot_answer_latency_seconds_bucket", ["le": "15.0"]) == 0)
        #expect(page.value("refbot_answer_latency_seconds_bucket", ["le": "30.0"]) == 1)
        #expect(page.value("refbot_inbound_messages", ["state": "received"]) == 0)
        #expect(page.value("refbot_inbound_messages", ["state": "done"]) == 1)
        #expect(page.value("refbot_outbox_messages", ["state": "pending"]) == 0)
        #expect(page.value("refbot_outbox_sent_total") == 1)
        #expect(page.types["refbot_answer_latency_seconds"] == "histogram")
        #expect(page.types["refbot_commands_total"] == "counter")
        #expect(page.types["refbot_inbound_messages"] == "gauge")
        #expect(page.help["refbot_events_sent_total"]?.contains("X-Refbot-Event") == true)
    }

    @Test("Only the first answer to a mail counts towards answer latency")
    func latencyCountsFirstAnswerOnly() async throws {
        mailbox.deliver(mail(subject: "help", body: ""))
        _ = try await daemon.runOnce()
        // The same inbound message gets a second mail (as a reminder or a delayed announcement would).
        try await daemon.store.write { db in
            try db.execute(
                sql: """
                    INSERT INTO outboxMessage (event, recipients, envelopeFrom, messageId, raw, state, attempts, firstQueuedAt, nextAttemptAt, inboundId)
                    SELECT event, recipients, envelopeFrom, 'second@example.org', raw, 'pending', 0, firstQueuedAt, 0, inboundId FROM outboxMessage
                    """)
        }
        #expect(try await daemon.sender.runOnce() == 1)
        let page = await scrape()
        #expect(page.value("refbot_events_sent_total", ["event": "help"]) == 2)
        #expect(page.value("refbot_answer_latency_seconds_count") == 1)
    }

    @Test("A stranger's subject never becomes a label: an address or free text as the command is counted as unknown; a REFER as held or refused")
    func labelsAreBounded() async throws {
        mailbox.deliver(mail(subject: "victim@example.net please \"drop\" {x=\"1\"}", body: ""))
        mailbox.deliver(mail(subject: "REFER", body: ""))
        mailbox.deliver(mail(from: "Bob Roe <bob@example.com>", subject: "REFER", body: "", authenticated: true))
        _ = try await daemon.runOnce()
        let page = await scrape()
        #expect(page.unreadable.isEmpty, "\(page.unreadable)")
        #expect(page.value("refbot_commands_total", ["command": "unknown", "outcome": "refused"]) == 1)
        // REFER from an address nobody has proven waits for CONFIRM.
        #expect(page.value("refbot_commands_total", ["command": "refer", "outcome": "held"]) == 1)
        // Proven, it runs and is refused (no listing named): counted under its word.
        #expect(page.value("refbot_commands_total", ["command": "refer", "outcome": "refused"]) == 1)
        #expect(page.value("refbot_events_sent_total", ["event": "command.error"]) == 2)
        #expect(page.value("refbot_events_sent_total", ["event": "command.confirm"]) == 1)
        #expect(!page.labelValues.contains { $0.contains("@") || $0.contains(" ") }, "\(page.labelValues)")
    }

    @Test("Words and event names outside the known sets are counted as unknown and other, never as themselves")
    func recordingBoundsItsLabels() {
        let metrics = DaemonMetrics()
        metrics.commandHandled("victim@example.net", outcome: .refused)
        metrics.commandHandled("Help", outcome: .executed)
        metrics.mailSent(event: "x\"} 1\nrefbot_fake 2")
        let page = PrometheusText(metrics.exposition(.init(), pollAge: nil))
        #expect(page.unreadable.isEmpty, "\(page.unreadable)")
        #expect(page.value("refbot_commands_total", ["command": "unknown", "outcome": "refused"]) == 1)
        #expect(page.value("refbot_commands_total", ["command": "help", "outcome": "executed"]) == 1)
        #expect(page.value("refbot_events_sent_total", ["event": "other"]) == 1)
        #expect(!page.samples.contains { $0.name == "refbot_fake" })
        #expect(!page.labelValues.contains { $0.contains("@") || $0.contains("\"") })
    }

    @Test("IMAP and SMTP failures are counted by protocol and error class")
    func transportErrors() async throws {
        mailbox.fail(with: .temporary(.authentication, "login refused"))
        #expect(await daemon.fetcher.runOnce() == nil)
        mailbox.fail(with: nil)
        mailbox.deliver(mail(subject: "help", body: ""))
        submitter.refuse(with: .temporary(.connection, "connection refused"))
        _ = try await daemon.runOnce()
        submitter.refuse(with: .permanent(.rejected, "550 no such user", serverCode: 550))
        clock.advance(by: 24 * 3600)
        _ = try await daemon.sender.runOnce()
        let page = await scrape()
        #expect(page.value("refbot_transport_errors_total", ["protocol": "imap", "class": "authentication"]) == 1)
        #expect(page.value("refbot_transport_errors_total", ["protocol": "smtp", "class": "connection"]) == 1)
        #expect(page.value("refbot_transport_errors_total", ["protocol": "smtp", "class": "rejected"]) == 1)
        #expect(page.value("refbot_events_sent_total", ["event": "help"]) == nil)
        #expect(page.value("refbot_outbox_messages", ["state": "failed"]) == 1)
        #expect(page.value("refbot_outbox_failed_total") == 1)
    }

    @Test("OAuth refreshes are counted by result through the hook; both results show from the start")
    func oauthRefreshes() {
        let metrics = DaemonMetrics()
        let empty = PrometheusText(metrics.exposition(.init(), pollAge: nil))
        #expect(empty.value("refbot_oauth_refreshes_total", ["result": "success"]) == 0)
        #expect(empty.value("refbot_oauth_refreshes_total", ["result": "failure"]) == 0)
        let hook = metrics.oauthRefreshHook
        hook(true)
        hook(true)
        hook(false)
        let page = PrometheusText(metrics.exposition(.init(), pollAge: nil))
        #expect(page.value("refbot_oauth_refreshes_total", ["result": "success"]) == 2)
        #expect(page.value("refbot_oauth_refreshes_total", ["result": "failure"]) == 1)
    }

    @Test("Two daemons in one process keep their own figures")
    func separateRegistries() {
        let one = DaemonMetrics()
        let two = DaemonMetrics()
        one.commandHandled("help", outcome: .executed)
        one.mailSent(event: "help")
        #expect(PrometheusText(one.exposition(.init(), pollAge: nil)).value("refbot_commands_total", ["command": "help"]) == 1)
        let other = PrometheusText(two.exposition(.init(), pollAge: nil))
        #expect(other.value("refbot_commands_total", ["command": "help"]) == nil)
        #expect(other.value("refbot_events_sent_total", ["event": "help"]) == nil)
    }

    @Test("Database-backed figures follow the database at each scrape, also when rows are pruned")
    func databaseBackedFigures() {
        let metrics = DaemonMetrics()
        let first = PrometheusText(
            metrics.exposition(.init(inbound: ["done": 5, "ignored": 2, "received": 3], outbox: ["sent": 9, "pending": 4], deferred: 1), pollAge: 12))
        #expect(first.value("refbot_inbound_processed_total") == 7)
        #expect(first.value("refbot_inbound_waiting") == 3)
        #expect(first.value("refbot_outbox_sent_total") == 9)
        #expect(first.value("refbot_outbox_depth") == 4)
        #expect(first.value("refbot_outbox_deferred") == 1)
        #expect(first.value("refbot_poll_age_seconds") == 12)
        let second = PrometheusText(metrics.exposition(.init(outbox: ["sent": 2]), pollAge: nil))
        #expect(second.value("refbot_outbox_sent_total") == 2)
        #expect(second.value("refbot_inbound_processed_total") == 0)
        #expect(second.value("refbot_poll_age_seconds")?.isNaN == true)
        // Every family has its help and type, in name order.
        let text = metrics.exposition(.init(), pollAge: nil)
        let typed = text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map { $0.split(separator: " ")[2] }
        #expect(typed == typed.sorted())
        #expect(Set(typed.map(String.init)) == Set(PrometheusText(text).help.keys))
    }
}
