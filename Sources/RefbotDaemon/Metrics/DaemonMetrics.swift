import CoreMetrics
import Foundation
import GRDB
import Prometheus
import RefbotCore
import RefbotTransport
import Synchronization

/// The daemon's metrics: recorded through swift-metrics, kept in a Prometheus registry of this
/// daemon's own, and written out for `/metrics` (on `http.metrics_listen`).
///
/// Each daemon has its own registry and factory, injected into its services, so that many
/// daemons in one process (tests) never share or fight over counters; `refbot run` also makes
/// the factory the process's `MetricsSystem` (``bootstrapProcess()``), once, so that libraries
/// that report through swift-metrics land on the same page.
///
/// Every label value is from a closed set (an event name, a command word, an error class, a
/// state): never an address or text from a mail. Anything else is counted as `other`.
///
/// ```swift
/// let metrics = DaemonMetrics()
/// metrics.commandHandled("help", outcome: .executed)
/// let text = metrics.exposition(QueueCounts(), pollAge: nil)
/// ```
public final class DaemonMetrics: Sendable {
    /// The metric names, as dashboards know them.
    public enum Name {
        public static let inboundProcessed = "refbot_inbound_processed_total"
        public static let inboundQuarantined = "refbot_inbound_quarantined_total"
        public static let inboundWaiting = "refbot_inbound_waiting"
        public static let outboxDepth = "refbot_outbox_depth"
        public static let outboxSent = "refbot_outbox_sent_total"
        public static let outboxDeferred = "refbot_outbox_deferred"
        public static let outboxFailed = "refbot_outbox_failed_total"
        public static let linksUsed = "refbot_links_used_total"
        public static let pollAge = "refbot_poll_age_seconds"
        public static let inboundMessages = "refbot_inbound_messages"
        public static let outboxMessages = "refbot_outbox_messages"
        public static let eventsSent = "refbot_events_sent_total"
        public static let commands = "refbot_commands_total"
        public static let transportErrors = "refbot_transport_errors_total"
        public static let processingSeconds = "refbot_inbound_processing_seconds"
        public static let answerLatency = "refbot_answer_latency_seconds"
        public static let oauthRefreshes = "refbot_oauth_refreshes_total"
        public static let webhookPosts = "refbot_webhook_posts_total"
    }

    /// What became of a command (the `outcome` label of `refbot_commands_total`).
    public enum CommandOutcome: String, Sendable, CaseIterable {
        /// It ran.
        case executed
        /// It waits for the sender to CONFIRM it.
        case held
        /// It was refused with an error reply (or silently, past the error-reply cap).
        case refused
        /// It was neither run nor held: past the cap on confirmations to one address.
        case withheld
    }

    /// Which mail server an error came from (the `protocol` label).
    public enum MailProtocol: String, Sendable, CaseIterable {
        case imap, smtp
    }

    /// The inbound and outbox rows by state, read from the database at each scrape.
    public struct QueueCounts: Sendable, Equatable {
        public var inbound: [String: Int] = [:]
        public var outbox: [String: Int] = [:]
        /// Pending mails that failed at least once.
        public var deferred = 0
        /// One-click links acted on.
        public var linksUsed = 0

        public init(inbound: [String: Int] = [:], outbox: [String: Int] = [:], deferred: Int = 0, linksUsed: Int = 0) {
            self.inbound = inbound
            self.outbox = outbox
            self.deferred = deferred
            self.linksUsed = linksUsed
        }

        /// The counts as the database has them now.
        public static func read(in db: Database) throws -> QueueCounts {
            var counts = QueueCounts()
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM inboundMessage GROUP BY state") {
                counts.inbound[row["state"]] = row["n"]
            }
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) AS n FROM outboxMessage GROUP BY state") {
                counts.outbox[row["state"]] = row["n"]
            }
            counts.deferred =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE state = 'pending' AND attempts > 0") ?? 0
            counts.linksUsed = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM linkUse") ?? 0
            return counts
        }
    }

    /// The states reported by `refbot_inbound_messages` and `refbot_outbox_messages`.
    public static let inboundStates = ["received", "done", "ignored", "quarantined"]
    public static let outboxStates = ["pending", "failed"]

    /// One line of help per metric, written as `# HELP`.
    static let help: [String: String] = [
        Name.inboundProcessed: "Inbound messages acted on or ignored.",
        Name.inboundQuarantined: "Inbound messages quarantined.",
        Name.inboundWaiting: "Inbound messages not yet processed.",
        Name.outboxDepth: "Mails waiting in the outbox.",
        Name.outboxSent: "Mails accepted by the SMTP server.",
        Name.outboxDeferred: "Pending mails that failed at least once and wait for a retry.",
        Name.outboxFailed: "Mails given up on.",
        Name.linksUsed: "One-click links acted on.",
        Name.pollAge: "Seconds since the last good IMAP poll (NaN before the first).",
        Name.inboundMessages: "Inbound messages in the database by state (received = waiting to be processed).",
        Name.outboxMessages: "Outbox mails by state: pending (waiting or deferred) and failed (given up on).",
        Name.eventsSent: "Mails the SMTP server accepted since the daemon started, by X-Refbot-Event.",
        Name.commands: "Commands read from mail or links since the daemon started, by command word and outcome.",
        Name.transportErrors: "IMAP and SMTP errors since the daemon started, by protocol and error class.",
        Name.processingSeconds: "Time to process one inbound message (one database transaction).",
        Name.answerLatency: "From an inbound message's arrival to the SMTP server accepting its first answer.",
        Name.oauthRefreshes: "OAuth2 access-token refreshes since the daemon started, by result.",
        Name.webhookPosts: "Webhook POSTs since the daemon started, by result: delivered, deferred (to be retried), failed (given up on).",
    ]

    /// The registry `/metrics` writes out.
    public let registry: PrometheusCollectorRegistry
    /// The swift-metrics factory over ``registry``; every metric here is made through it.
    public let factory: PrometheusMetricsFactory

    private let inboundProcessed: CoreMetrics.Counter
    private let inboundQuarantined: CoreMetrics.Counter
    private let outboxSent: CoreMetrics.Counter
    private let outboxFailed: CoreMetrics.Counter
    private let linksUsed: CoreMetrics.Counter
    private let inboundWaiting: CoreMetrics.Gauge
    private let outboxDepth: CoreMetrics.Gauge
    private let outboxDeferred: CoreMetrics.Gauge
    private let pollAge: CoreMetrics.Gauge
    private let inboundMessages: [String: CoreMetrics.Gauge]
    private let outboxMessages: [String: CoreMetrics.Gauge]
    private let processing: CoreMetrics.Timer
    private let latency: CoreMetrics.Timer
    /// One scrape at a time: the database-backed counters are set, then written out.
    private let scrape = Mutex(())

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            Name.processingSeconds: [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .milliseconds(2500),
                .seconds(5), .seconds(10),
            ],
            // Answers wait for the next poll and the sender's pass: seconds to hours.
            Name.answerLatency: [
                .seconds(1), .seconds(5), .seconds(15), .seconds(30), .seconds(60), .seconds(120), .seconds(300),
                .seconds(600), .seconds(1800), .seconds(3600), .seconds(4 * 3600), .seconds(24 * 3600),
            ],
        ]
        self.factory = factory
        inboundProcessed = CoreMetrics.Counter(label: Name.inboundProcessed, factory: factory)
        inboundQuarantined = CoreMetrics.Counter(label: Name.inboundQuarantined, factory: factory)
        outboxSent = CoreMetrics.Counter(label: Name.outboxSent, factory: factory)
        outboxFailed = CoreMetrics.Counter(label: Name.outboxFailed, factory: factory)
        linksUsed = CoreMetrics.Counter(label: Name.linksUsed, factory: factory)
        inboundWaiting = CoreMetrics.Gauge(label: Name.inboundWaiting, factory: factory)
        outboxDepth = CoreMetrics.Gauge(label: Name.outboxDepth, factory: factory)
        outboxDeferred = CoreMetrics.Gauge(label: Name.outboxDeferred, factory: factory)
        pollAge = CoreMetrics.Gauge(label: Name.pollAge, factory: factory)
        pollAge.record(Double.nan)
        var inbound: [String: CoreMetrics.Gauge] = [:]
        for state in Self.inboundStates {
            inbound[state] = CoreMetrics.Gauge(label: Name.inboundMessages, dimensions: [("state", state)], factory: factory)
        }
        inboundMessages = inbound
        var outbox: [String: CoreMetrics.Gauge] = [:]
        for state in Self.outboxStates {
            outbox[state] = CoreMetrics.Gauge(label: Name.outboxMessages, dimensions: [("state", state)], factory: factory)
        }
        outboxMessages = outbox
        processing = CoreMetrics.Timer(label: Name.processingSeconds, factory: factory)
        latency = CoreMetrics.Timer(label: Name.answerLatency, factory: factory)
        for result in ["success", "failure"] {
            _ = CoreMetrics.Counter(label: Name.oauthRefreshes, dimensions: [("result", result)], factory: factory)
        }
    }

    // MARK: Recording

    /// A command was read: `command` is its word (`help`), or nil when no command word could be read.
    public func commandHandled(_ command: String?, outcome: CommandOutcome) {
        let word = command.map { $0.lowercased() }.flatMap { word in
            CommandWord.allCases.contains { $0.rawValue.lowercased() == word } ? word : nil
        } ?? "unknown"
        CoreMetrics.Counter(label: Name.commands, dimensions: [("command", word), ("outcome", outcome.rawValue)], factory: factory)
            .increment()
    }

    /// The SMTP server accepted a mail of this `X-Refbot-Event`.
    public func mailSent(event: String) {
        let event = MailEvent(rawValue: event)?.rawValue ?? "other"
        CoreMetrics.Counter(label: Name.eventsSent, dimensions: [("event", event)], factory: factory).increment()
    }

    /// The first answer to an inbound message went out `seconds` after the message arrived.
    public func answerSent(afterSeconds seconds: Int64) {
        latency.recordSeconds(max(seconds, 0))
    }

    /// One inbound message took `duration` to process.
    public func inboundProcessed(in duration: Duration) {
        let (seconds, attoseconds) = duration.components
        processing.recordNanoseconds(max(seconds * 1_000_000_000 + attoseconds / 1_000_000_000, 0))
    }

    /// A mail server failed with `error`; counted by its class (`connection`, `tls`, `timeout`…).
    public func transportFailed(_ error: TransportError, protocol mailProtocol: MailProtocol) {
        let known = ["connection", "tls", "authentication", "rejected", "notFound", "protocolError", "timeout", "tooLarge", "other"]
        let errorClass = known.contains(error.code.description) ? error.code.description : "other"
        CoreMetrics.Counter(
            label: Name.transportErrors, dimensions: [("protocol", mailProtocol.rawValue), ("class", errorClass)],
            factory: factory
        ).increment()
    }

    /// An OAuth2 access-token refresh finished: counted in `refbot_oauth_refreshes_total{result="success"|"failure"}`.
    public func oauthRefreshed(succeeded: Bool) {
        CoreMetrics.Counter(
            label: Name.oauthRefreshes, dimensions: [("result", succeeded ? "success" : "failure")], factory: factory
        ).increment()
    }

    /// ``oauthRefreshed(succeeded:)`` as a plain closure, for code that must not know about metrics
    /// (a token provider in the transport): call it with whether the refresh succeeded.
    public var oauthRefreshHook: @Sendable (_ succeeded: Bool) -> Void {
        { [self] succeeded in oauthRefreshed(succeeded: succeeded) }
    }

    // MARK: Exposition

    /// The Prometheus text exposition: the database-backed figures from `counts` and the poll age
    /// (nil before the first good poll), then everything recorded since the daemon started.
    /// Families are sorted by name, each with its `# HELP` and `# TYPE`.
    public func exposition(_ counts: QueueCounts, pollAge age: Int64?) -> String {
        let text = scrape.withLock { _ -> String in
            Self.set(inboundProcessed, to: (counts.inbound["done"] ?? 0) + (counts.inbound["ignored"] ?? 0))
            Self.set(inboundQuarantined, to: counts.inbound["quarantined"] ?? 0)
            Self.set(outboxSent, to: counts.outbox["sent"] ?? 0)
            Self.set(outboxFailed, to: counts.outbox["failed"] ?? 0)
            Self.set(linksUsed, to: counts.linksUsed)
            inboundWaiting.record(counts.inbound["received"] ?? 0)
            outboxDepth.record(counts.outbox["pending"] ?? 0)
            outboxDeferred.record(counts.deferred)
            pollAge.record(age.map { Double(max(0, $0)) } ?? Double.nan)
            for (state, gauge) in inboundMessages { gauge.record(counts.inbound[state] ?? 0) }
            for (state, gauge) in outboxMessages { gauge.record(counts.outbox[state] ?? 0) }
            return registry.emitToString()
        }
        return Self.withHelp(text)
    }

    /// A counter whose value is a count kept in the database.
    private static func set(_ counter: CoreMetrics.Counter, to value: Int) {
        counter.reset()
        counter.increment(by: value)
    }

    /// `text` with its families sorted by name and a `# HELP` line before each `# TYPE` we know.
    static func withHelp(_ text: String) -> String {
        var families: [(name: String, lines: [Substring])] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst("# TYPE ".count).split(separator: " ").first.map(String.init) ?? ""
                families.append((name, []))
                if let help = help[name] { families[families.count - 1].lines.append("# HELP \(name) \(help)") }
            }
            if families.isEmpty { families.append(("", [])) }
            families[families.count - 1].lines.append(line)
        }
        return families.sorted { $0.name < $1.name }.flatMap(\.lines).joined(separator: "\n") + "\n"
    }

    // MARK: The process

    private static let bootstrapped = Mutex(false)

    /// Makes this daemon's factory the process's `MetricsSystem`, the first time it is called in a
    /// process; later calls do nothing (swift-metrics allows one bootstrap per process).
    public func bootstrapProcess() {
        let first = Self.bootstrapped.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        if first { MetricsSystem.bootstrap(factory) }
    }
}
