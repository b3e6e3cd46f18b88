import Foundation
import Logging
import RefbotCore
import RefbotCurl
import RefbotStore
import RefbotTemplates
import RefbotTransport
import ServiceLifecycle
import UnixSignals

/// The daemon's parts, wired: the services for the ServiceGroup and `runOnce` for `--once`.
public struct Daemon: Sendable {
    public let configuration: Configuration
    public let store: Store
    public let fetcher: Fetcher
    public let processor: Processor
    public let sender: Sender
    public let scheduler: Scheduler
    public let notifier: SystemdNotifier
    public let health: HealthState
    /// Acts on one-click links (spec §5); `http` serves them.
    public let links: LinkActionRunner
    public let http: HTTPServer
    let pool: CurlThreadPool?
    /// This daemon's metrics, served on `/metrics`.
    public let metrics: DaemonMetrics
    /// Posts state changes to the `[[webhooks]]` urls.
    public let webhooks: WebhookSender

    /// What one pass did.
    public struct PassSummary: Sendable, Equatable {
        /// New mails stored, or nil when IMAP could not be reached.
        public var fetched: Int?
        public var processed: Int
        public var sent: Int
        /// Referrals the scheduler reminded about or expired.
        public var scheduled: Int = 0
        /// Webhook events delivered.
        public var webhooksDelivered: Int = 0
    }

    /// The services in start order (the group stops them in reverse, so the fetcher stops last),
    /// with the names the service group logs them by (`sl-service=fetcher`). Named here: left to itself the group names a service by printing it whole, which for a struct
    /// prints every stored property, the configuration and its passwords included, into the
    /// debug log, and costs about 50 ms of reflection at every start.
    public var namedServices: [(name: String, service: any Service)] {
        [
            ("fetcher", fetcher), ("processor", processor), ("sender", sender), ("scheduler", scheduler),
            ("systemd-notifier", notifier), ("http", http), ("webhooks", webhooks),
        ]
    }

    /// One fetch, process and send pass (`refbot run --once`).
    public func runOnce() async throws -> PassSummary {
        let fetched = await fetcher.runOnce()
        let processed = try await processor.runOnce()
        let scheduled = try await scheduler.runOnce()
        // Webhooks first: a webhook.failed notice it queues goes out in this pass's mail.
        let webhooksDelivered = try await webhooks.runOnce()
        let sent = try await sender.runOnce()
        // Quarantined mail is filed on the fetcher's next pass; do it now so --once leaves nothing behind.
        if processed > 0 { _ = await fetcher.runOnce() }
        return PassSummary(
            fetched: fetched, processed: processed, sent: sent, scheduled: scheduled, webhooksDelivered: webhooksDelivered)
    }

    /// Runs every service until SIGTERM or SIGINT. `stopSignals` are trapped by the caller before
    /// anything else starts, so a signal that came while the daemon was being built (the lock
    /// already taken, the store opening) is waiting here and stops the services as soon as they run.
    public func run(logger: Logger, stopSignals: StopSignals) async throws {
        let group = ServiceGroup(
            configuration: .init(services: namedServices.map { .init(service: $0.service, serviceName: $0.name) }, logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            tasks.addTask {
                for await signal in stopSignals.sequence {
                    logger.notice("Stopping", metadata: ["signal": "\(signal)"])
                    await group.triggerGracefulShutdown()
                }
            }
            // The services ended (stopped, or one failed): stop listening for signals too.
            defer { tasks.cancelAll() }
            try await tasks.next()
        }
    }

    /// Ends the kept SMTP session and stops the libcurl threads.
    public func shutdown() async {
        await sender.closeSessions()
        await pool?.shutdown()
    }
}

/// Opens the store, loads the templates (failing loudly if any is missing), and wires the
/// services. Pass `mailbox` and `submitter` to use other transports (tests); by default the
/// daemon uses libcurl on its own small thread pool.
public func buildDaemon(
    _ configuration: Configuration, environment: [String: String] = ProcessInfo.processInfo.environment,
    logger: Logger, clock: DaemonClock = .system, mailbox: (any InboundMailbox)? = nil,
    submitter: (any MailSubmitter)? = nil, linkKeys: [LinkKey]? = nil, webhookPost: WebhookSender.Post? = nil,
    extraSubmitters: [any MailSubmitter] = []
) async throws -> Daemon {
    let templates = try TemplateSet(directory: configuration.bot.templates)
    let directory = (configuration.bot.database as NSString).deletingLastPathComponent
    if !directory.isEmpty {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }
    let store = try Store(path: configuration.bot.database)
    if let copy = store.preMigrationBackup {
        logger.notice(
            "Database backed up before migrating",
            metadata: ["database": "\(configuration.bot.database)", "backup": "\(copy)"])
    }
    let keys = try linkKeys ?? LinkSecret.loadOrCreate(path: configuration.bot.secretFile)
    let composer = try MailComposer(configuration: configuration, templates: templates, linkKeys: keys)
    let agreementPath = (configuration.bot.templates as NSString).appendingPathComponent("agreement.mustache")
    guard let agreementSource = try? String(contentsOfFile: agreementPath, encoding: .utf8) else {
        throw TemplateError(
            code: .missing, message: "cannot read the standard agreement \(agreementPath); check bot.templates")
    }
    let referralOptions = ReferralOptions(
        botAddress: configuration.bot.address, standardAgreement: StandardAgreement(source: agreementSource),
        complianceRules: configuration.compliance.rules)
    let health = HealthState()
    let metrics = DaemonMetrics()

    var pool: CurlThreadPool?
    func curlPool() -> CurlThreadPool {
        if let pool { return pool }
        // one thread per SMTP session, and one for IMAP and token requests
        let made = CurlThreadPool(threads: 1 + configuration.smtp.maxConnections)
        pool = made
        return made
    }
    let tokens = configuration.usesOAuth && (mailbox == nil || submitter == nil)
        ? OAuthTokenSource.forDaemon(
            configuration, store: store, composer: composer, clock: clock, logger: logger, pool: curlPool(),
            onRefresh: metrics.oauthRefreshHook)
        : nil
    let inbound = mailbox ?? IMAPMailbox(settings: configuration.imapServer, pool: curlPool(), tokens: tokens)
    let outbound = submitter ?? CurlSMTPSubmitter(settings: configuration.smtpServer, pool: curlPool(), tokens: tokens)
    // A submitter given by a test comes with its own extra sessions (`extraSubmitters`, often none);
    // the daemon's own opens up to smtp.max_connections.
    let extraOutbound: [any MailSubmitter] = submitter != nil
        ? extraSubmitters
        : (1..<max(configuration.smtp.maxConnections, 1)).map { _ in
            CurlSMTPSubmitter(settings: configuration.smtpServer, pool: curlPool(), tokens: tokens)
        }

    let fetcherWaker = Waker()
    let processorWaker = Waker()
    let senderWaker = Waker()
    let databaseOutage = OutageLog.database()
    let sender = Sender(
        submitter: outbound, extraSubmitters: extraOutbound, store: store, composer: composer, configuration: configuration, clock: clock, health: health,
        logger: logger, waker: senderWaker, databaseOutage: databaseOutage, metrics: metrics,
        sentLog: try SentLog(path: SentLog.path(forDatabase: configuration.bot.database)))
    let webhooks = WebhookSender(
        store: store, composer: composer, configuration: configuration, clock: clock, logger: logger, post: webhookPost,
        metrics: metrics)
    let processor = try Processor(
        store: store, composer: composer, router: .standard(options: referralOptions), configuration: configuration, clock: clock, logger: logger,
        afterCommit: { outcome in
            senderWaker.nudge()
            webhooks.nudge()
            if outcome == .quarantined { fetcherWaker.nudge() }
        }, waker: processorWaker, databaseOutage: databaseOutage, metrics: metrics)
    let fetcher = Fetcher(
        mailbox: inbound, store: store, configuration: configuration, clock: clock, health: health, logger: logger,
        afterStore: { processorWaker.nudge() }, waker: fetcherWaker, databaseOutage: databaseOutage, metrics: metrics)
    let scheduler = Scheduler(
        store: store, composer: composer, configuration: configuration, clock: clock, logger: logger,
        afterPass: { _ in
            senderWaker.nudge()
            webhooks.nudge()
        }, options: referralOptions)
    let links = try LinkActionRunner(
        store: store, configuration: configuration, keys: keys, clock: clock, health: health,
        afterStore: { processorWaker.nudge() }, metrics: metrics)
    let http = try HTTPServer(configuration: configuration, actions: links, logger: logger)
    let notifier = SystemdNotifier(
        environment: environment, health: health, maxPollAge: Int64(configuration.health.maxPollAgeSeconds), clock: clock,
        logger: logger)
    return Daemon(
        configuration: configuration, store: store, fetcher: fetcher, processor: processor, sender: sender,
        scheduler: scheduler, notifier: notifier, health: health, links: links, http: http, pool: pool, metrics: metrics,
        webhooks: webhooks)
}
