import CoreMetrics
import Crypto
import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotCurl
import RefbotStore
import RefbotTransport
import ServiceLifecycle

/// Signs webhook bodies as Stripe does: `Refbot-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`.
public enum WebhookSignature {
    /// The header value for `body` signed with `secret` at `timestamp`.
    public static func header(body: String, secret: String, timestamp: Int64) -> String {
        "t=\(timestamp),v1=\(hex(body: body, secret: secret, timestamp: timestamp))"
    }

    /// The lower-case hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
    public static func hex(body: String, secret: String, timestamp: Int64) -> String {
        let key = SymmetricKey(data: Data(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).\(body)".utf8), using: key)
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}

/// Posts due webhook rows (``WebhookQueue``) to their configured urls and records each result:
/// delivered on a 2xx, else deferred with doubling, jittered backoff between the webhook's
/// `min_backoff_seconds` and `max_backoff_seconds`, and given up on at its `max_attempts`, when
/// the admins get a `webhook.failed` notice (within `mail.admin_notices_per_hour`, ``AdminNotices``).
///
/// Each `[[webhooks]]` url has a loop of its own, and every POST is bounded by the entry's
/// `timeout_seconds` on libcurl threads of this service's own, so a receiver that hangs delays
/// only its own events: never mail, nor another url's events. Rows of one object go out in order
/// (a later event for R-12 waits while an earlier one is pending).
///
/// Failure modes: a crash after the receiver's 2xx and before the row is marked delivered posts
/// it again after the restart, with the same body and `Refbot-Delivery` id (at least once; a
/// receiver drops duplicates by that id). A row whose url is no longer configured is given up on
/// at once (refbot posts only to urls the configuration names). A database that cannot be
/// written stops the pass; the row is posted again on the next one.
public final class WebhookSender: Service, Sendable {
    /// Posts one body; tests may pass their own.
    public typealias Post = @Sendable (_ url: String, _ body: String, _ headers: [String], _ timeoutSeconds: Int) async throws -> Answer

    /// A receiver's answer: its status and the start of its body.
    public struct Answer: Sendable {
        public var status: Int
        public var body: [UInt8]
        public init(status: Int, body: [UInt8] = []) {
            self.status = status
            self.body = body
        }
    }

    let store: Store
    let composer: MailComposer
    let configuration: Configuration
    let clock: DaemonClock
    let logger: Logger
    let post: Post
    let pool: CurlThreadPool?
    /// One waker per configured url, by url.
    let wakers: [String: Waker]
    /// Counts POSTs by result (`refbot_webhook_posts_total`).
    let metrics: DaemonMetrics
    /// Rows taken per read.
    static let batchSize = 50

    public init(
        store: Store, composer: MailComposer, configuration: Configuration, clock: DaemonClock, logger: Logger,
        post: Post? = nil, metrics: DaemonMetrics = DaemonMetrics()
    ) {
        self.metrics = metrics
        metrics.webhookCountersStart()
        self.store = store
        self.composer = composer
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        var wakers: [String: Waker] = [:]
        for hook in configuration.webhooks { wakers[hook.url] = Waker() }
        self.wakers = wakers
        if let post {
            self.post = post
            self.pool = nil
        } else if configuration.webhooks.isEmpty {
            self.pool = nil
            self.post = { url, _, _, _ in throw TransportError.permanent(.other, "\(url) is not configured") }
        } else {
            // Threads of its own: a receiver that hangs holds one of these, never an IMAP or SMTP thread.
            let pool = CurlThreadPool(threads: min(max(configuration.webhooks.count, 1), 4))
            self.pool = pool
            self.post = { url, body, headers, timeout in
                let answer = try await CurlHTTPJSON.post(url, body: body, headers: headers, pool: pool, timeoutSeconds: timeout)
                return Answer(status: answer.status, body: answer.body)
            }
        }
    }

    /// Wakes every url's loop (after a transaction queued events).
    public func nudge() {
        for waker in wakers.values { waker.nudge() }
    }

    public func run() async throws {
        guard !configuration.webhooks.isEmpty else {
            // Nothing to post: wait for shutdown like the other services.
            try await runLoop(waker: Waker(), interval: .seconds(3600), logger: logger) {}
            return
        }
        let interval = Duration.seconds(max(configuration.imap.pollSeconds, 1))
        await withTaskGroup(of: Void.self) { group in
            // Housekeeping, hourly: rows for urls no longer configured, and old finished rows.
            group.addTask {
                try? await runLoop(waker: Waker(), interval: .seconds(3600), logger: self.logger) {
                    try await self.expireUnconfigured()
                    await self.purgeFinished()
                }
            }
            for hook in configuration.webhooks {
                let waker = wakers[hook.url] ?? Waker()
                group.addTask {
                    try? await runLoop(waker: waker, interval: interval, logger: self.logger) {
                        _ = try await self.runOnce(hook)
                    }
                }
            }
        }
        await pool?.shutdown()
    }

    /// Posts every due row of every url, the urls side by side; returns how many were delivered.
    @discardableResult
    public func runOnce() async throws -> Int {
        try await expireUnconfigured()
        let delivered = try await withThrowingTaskGroup(of: Int.self) { group in
            for hook in configuration.webhooks {
                group.addTask { try await self.runOnce(hook) }
            }
            var total = 0
            for try await delivered in group { total += delivered }
            return total
        }
        await purgeFinished()
        return delivered
    }

    /// Deletes rows delivered or given up on more than `mail.retention_days` ago (never at 0).
    func purgeFinished() async {
        let days = Int64(configuration.mail.retentionDays)
        guard days > 0 else { return }
        let cutoff = clock.now() - days * NetworkSettings.secondsPerDay
        do {
            var total = 0
            while true {
                let purged = try await store.write { db in try WebhookQueue.purge(olderThan: cutoff, in: db) }
                total += purged
                if purged < 500 { break }
            }
            if total > 0 { logger.info("Webhook deliveries purged", metadata: ["count": "\(total)", "retention_days": "\(days)"]) }
        } catch {
            logger.error("Webhook purge failed", metadata: ["error": "\(error)"])
        }
    }

    /// Posts the due rows of one url, oldest first, each object's rows in order; returns how many
    /// were delivered. A receiver that cannot be reached ends the pass for its url.
    func runOnce(_ hook: Configuration.Webhook) async throws -> Int {
        var delivered = 0
        var tried: Set<Int64> = []
        while true {
            let now = clock.now()
            let due = try await store.read { db in try WebhookQueue.due(url: hook.url, now: now, limit: Self.batchSize, in: db) }
                .filter { $0.id.map { !tried.contains($0) } ?? false }
            if due.isEmpty { break }
            var unreachable = false
            for row in due {
                guard let id = row.id else { continue }
                tried.insert(id)
                switch await attempt(row, id: id, hook: hook) {
                case .delivered: delivered += 1
                case .refused: break
                case .unreachable: unreachable = true
                }
                if unreachable { break }
            }
            if unreachable { break }
        }
        return delivered
    }

    enum Attempt { case delivered, refused, unreachable }

    /// One POST of one row and its record.
    func attempt(_ row: WebhookDelivery, id: Int64, hook: Configuration.Webhook) async -> Attempt {
        let timestamp = clock.now()
        let headers = [
            "Refbot-Signature: \(WebhookSignature.header(body: row.body, secret: hook.secret, timestamp: timestamp))",
            "Refbot-Event: \(row.event)", "Refbot-Delivery: \(row.deliveryId)",
        ]
        let started = ContinuousClock.now
        var status: Int?
        var problem: String
        var outcome: Attempt
        do {
            let answer = try await post(hook.url, row.body, headers, hook.timeoutSeconds)
            status = answer.status
            if (200..<300).contains(answer.status) {
                do {
                    try await store.write { db in
                        try WebhookQueue.markDelivered(id, status: answer.status, now: self.clock.now(), in: db)
                    }
                } catch {
                    // Posted but not recorded: it goes again on the next pass, with the same Refbot-Delivery id.
                    logger.error(
                        "Cannot record a webhook delivery",
                        metadata: ["webhook.delivery": "\(row.deliveryId)", "error": "\(error)"])
                    return .unreachable
                }
                logger.info(
                    "Webhook delivered",
                    metadata: [
                        "webhook.url": "\(hook.url)", "webhook.delivery": "\(row.deliveryId)", "event": "\(row.event)",
                        "object": "\(row.objectKey)", "status": "\(answer.status)",
                        "duration.ms": "\(Int((ContinuousClock.now - started) / .milliseconds(1)))",
                    ])
                metrics.webhookPosted(.delivered)
                return .delivered
            }
            let snippet = String(decoding: answer.body.prefix(200), as: UTF8.self).filter { !$0.isNewline }
            problem = "HTTP \(answer.status)\(snippet.isEmpty ? "" : ": \(snippet)")"
            outcome = .refused
        } catch let transport as TransportError {
            problem = transport.message
            outcome = .unreachable
        } catch {
            problem = "\(error)"
            outcome = .unreachable
        }
        await recordFailure(row, id: id, hook: hook, status: status, error: problem)
        return outcome
    }

    /// When the next attempt is due after `attempts` failed ones: the least backoff doubled per
    /// failure, capped at the most, times the jitter (0.9...1.1), from now.
    public static func nextAttempt(attempts: Int, now: Int64, jitter: Double, minimal: Int64, maximal: Int64) -> Int64 {
        let exponent = min(max(attempts - 1, 0), 30)
        let base = min(Double(minimal) * pow(2, Double(exponent)), Double(max(maximal, minimal)))
        return now + max(Int64((base * jitter).rounded()), 1)
    }

    /// Defers the row, or gives it up with an admin notice at the webhook's `max_attempts`.
    private func recordFailure(_ row: WebhookDelivery, id: Int64, hook: Configuration.Webhook, status: Int?, error: String) async {
        let now = clock.now()
        let attempts = row.attempts + 1
        do {
            if attempts >= hook.maxAttempts {
                try await store.write { db in
                    try WebhookQueue.fail(id, status: status, error: error, now: now, in: db)
                    try self.tellAdmins(row, attempts: attempts, error: error, now: now, in: db)
                }
                metrics.webhookPosted(.failed)
                logger.error(
                    "Webhook gave up",
                    metadata: [
                        "webhook.url": "\(hook.url)", "webhook.delivery": "\(row.deliveryId)", "event": "\(row.event)",
                        "object": "\(row.objectKey)", "attempts": "\(attempts)", "error": "\(error)",
                    ])
            } else {
                let next = Self.nextAttempt(
                    attempts: attempts, now: now, jitter: clock.jitter(), minimal: Int64(hook.minBackoffSeconds),
                    maximal: Int64(hook.maxBackoffSeconds))
                try await store.write { db in
                    try WebhookQueue.deferDelivery(id, until: next, status: status, error: error, in: db)
                }
                metrics.webhookPosted(.deferred)
                logger.warning(
                    "Webhook deferred",
                    metadata: [
                        "webhook.url": "\(hook.url)", "webhook.delivery": "\(row.deliveryId)", "event": "\(row.event)",
                        "object": "\(row.objectKey)", "attempts": "\(attempts)", "retry.at": "\(next)", "error": "\(error)",
                    ])
            }
        } catch {
            logger.error(
                "Cannot record a webhook failure", metadata: ["webhook.delivery": "\(row.deliveryId)", "error": "\(error)"])
        }
    }

    /// Queues `webhook.failed` to the admins through the hourly notice cap, in the caller's transaction.
    private func tellAdmins(_ row: WebhookDelivery, attempts: Int, error: String, now: Int64, in db: Database) throws {
        guard !configuration.bot.admins.isEmpty else { return }
        let object = row.objectKey.split(separator: ":", maxSplits: 1).last.map(String.init) ?? row.objectKey
        let notification = Notification(
            event: .webhookFailed, to: configuration.bot.admins,
            values: [
                "url": .text(row.url), "event": .text(row.event), "object": .text(object), "deliveryId": .text(row.deliveryId),
                "attempts": .number(Int64(attempts)), "lastError": .text(String(error.prefix(300))),
                "queuedAt": .text(Date(timeIntervalSince1970: TimeInterval(row.createdAt)).formatted(.iso8601)),
                "failedAt": .text(Date(timeIntervalSince1970: TimeInterval(now)).formatted(.iso8601)),
            ])
        try AdminNotices(configuration: configuration, composer: composer, logger: logger).notify(
            notification, summary: "Webhook \(row.event) about \(object) to \(row.url) given up after \(attempts) attempts: \(error)",
            unique: "webhook.\(row.deliveryId)", inboundId: nil, now: now, in: db)
    }

    /// Gives up at once on pending rows whose url the configuration no longer names: refbot posts
    /// only to urls the configuration lists.
    func expireUnconfigured() async throws {
        let urls = Set(configuration.webhooks.map(\.url))
        let now = clock.now()
        let orphaned = try await store.read { db in
            try WebhookQueue.list(state: .pending, limit: 1000, in: db).filter { !urls.contains($0.url) }
        }
        guard !orphaned.isEmpty else { return }
        try await store.write { db in
            for row in orphaned {
                guard let id = row.id else { continue }
                try WebhookQueue.fail(
                    id, status: nil, error: "\(row.url) is no longer in the configuration's [[webhooks]]", now: now, in: db)
            }
        }
        logger.warning(
            "Webhook deliveries to unconfigured urls given up",
            metadata: ["count": "\(orphaned.count)", "urls": "\(Set(orphaned.map(\.url)).sorted().joined(separator: ","))"])
    }
}

extension DaemonMetrics {
    /// What became of one webhook POST (the `result` label of `refbot_webhook_posts_total`).
    public enum WebhookResult: String, Sendable, CaseIterable {
        case delivered, deferred, failed
    }

    /// Makes every `result` of `refbot_webhook_posts_total` show, at 0, from the start.
    func webhookCountersStart() {
        for result in WebhookResult.allCases {
            _ = CoreMetrics.Counter(label: Name.webhookPosts, dimensions: [("result", result.rawValue)], factory: factory)
        }
    }

    /// One webhook POST ended as `result`.
    public func webhookPosted(_ result: WebhookResult) {
        CoreMetrics.Counter(label: Name.webhookPosts, dimensions: [("result", result.rawValue)], factory: factory).increment()
    }
}
