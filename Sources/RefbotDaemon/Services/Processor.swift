import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTemplates
import ServiceLifecycle

/// Acts on stored inbound mail in write transactions that take up to ``rowsPerTransaction``
/// messages each: parse, apply the rules, read the command, run it, queue the answers, mark the
/// row done (architecture §3).
///
/// Failure modes: a member mistake becomes a `command.error` reply (at most
/// `mail.error_replies_per_hour` per sender; every answer to an unproven address also counts
/// against ``ReplyBudget``'s caps); a mail that cannot be parsed or is too large is
/// quarantined at once; any other error rolls that mail's work back alone and counts an attempt
/// (one a pass), and the third attempt quarantines the row. Admins hear of every quarantined mail
/// (``AdminNotices``: one by one up to `mail.admin_notices_per_hour`, then in one summary). A
/// database that cannot be written (another process holds the lock, the disk is full) is no fault
/// of the mail: the pass stops without counting an attempt, the shared database log says so once,
/// and the row is taken again on the next pass.
public final class Processor: Service, Sendable {
    /// Attempts before a failing mail is quarantined (Mailman's MAX_BAK_COUNT).
    public static let maxAttempts = 3

    let store: Store
    let composer: MailComposer
    let router: CommandRouter
    let configuration: Configuration
    let bot: EmailAddress
    let clock: DaemonClock
    let logger: Logger
    /// Wakes this service (the Fetcher nudges it after storing mail).
    public let waker: Waker
    let afterCommit: @Sendable (ProcessOutcome) -> Void
    let databaseOutage: OutageLog
    /// Counts commands and processing time (`/metrics`).
    let metrics: DaemonMetrics
    /// The command each transaction in hand read, counted once it commits.
    let tallies = CommandTallies()

    /// What processing one row did.
    public enum ProcessOutcome: Sendable, Equatable {
        case done(queued: Int)
        case ignored
        case quarantined
        case failed
        /// The database could not be written; nothing changed and the row waits for the next pass.
        case postponed
    }

    public init(
        store: Store, composer: MailComposer, router: CommandRouter, configuration: Configuration,
        clock: DaemonClock, logger: Logger, afterCommit: @escaping @Sendable (ProcessOutcome) -> Void = { _ in }, waker: Waker = Waker(),
        databaseOutage: OutageLog = .database(), metrics: DaemonMetrics = DaemonMetrics()
    ) throws {
        self.waker = waker
        self.databaseOutage = databaseOutage
        self.metrics = metrics
        guard let bot = EmailAddress(configuration.bot.address) else {
            throw ConfigError(problems: [.init(key: "bot.address", problem: "is not an email address", remedy: "fix it")])
        }
        self.store = store
        self.composer = composer
        self.router = router
        self.configuration = configuration
        self.bot = bot
        self.clock = clock
        self.logger = logger
        self.afterCommit = afterCommit
    }

    public func run() async throws {
        try await runLoop(waker: waker, interval: .seconds(max(configuration.imap.pollSeconds, 1)), logger: logger) {
            _ = try await self.runOnce()
        }
    }

    /// Eight random upper-case hex digits that keep two mails composed in the same second apart.
    /// From the system generator (one `getrandom` call): `UUID()` opens, reads and closes
    /// `/dev/urandom` for each one, three system calls and a path lookup a mail.
    static func randomSuffix() -> String {
        let hex = String(UInt32.random(in: .min ... .max), radix: 16, uppercase: true)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// Rows handled in one transaction, and read from the queue at a time. A backlog pays one
    /// commit per this many rows (each commit writes every page the rows touched, index pages
    /// included, to the log); twenty take about 7 ms, so the Fetcher and the Sender's fold never
    /// wait long for the database.
    public static let rowsPerTransaction = 20

    /// Processes every waiting row once, oldest first; returns how many were handled. A row that
    /// fails waits for the next pass (a wake-up, or `imap.poll_seconds`) rather than being tried
    /// again at once.
    @discardableResult
    public func runOnce() async throws -> Int {
        var handled = 0
        var after: Int64 = 0
        while true {
            let rows = try await store.read { [after] db in try InboundQueue.due(limit: Self.rowsPerTransaction, after: after, in: db) }
            if rows.isEmpty { return handled }
            after = rows.last?.id ?? after
            var rest = rows[...]
            while !rest.isEmpty {
                let batch = Array(rest.prefix(Self.rowsPerTransaction))
                let outcomes = await process(batch)
                // A batch that ended early (a Sender's record was waiting) leaves its rest for the next.
                rest = rest.dropFirst(max(outcomes.count, 1))
                for outcome in outcomes {
                    // The database is not writable: try again on the next pass rather than spin here.
                    if outcome == .postponed { return handled }
                    afterCommit(outcome)
                    handled += 1
                }
            }
        }
    }

    /// One row's work inside a transaction: ``handle(_:id:now:in:)``, then the kept copy without
    /// its reply tag (the tag it answered is kept as its hash).
    private func act(on row: InboundMessage, id: Int64, now: Int64, in db: Database) throws -> ProcessOutcome {
        let outcome = try handle(row, id: id, now: now, in: db)
        if let redacted = TagRedaction.redacted(row.raw, bot: bot) {
            try db.executeCached(sql: "UPDATE inboundMessage SET raw = ? WHERE id = ?", arguments: [redacted, id])
        }
        return outcome
    }

    /// Processes rows in one transaction and returns their outcomes in order; never throws. The
    /// transaction ends early, after the rows so far, when a ``Store/writeBlocking(_:)`` caller
    /// waits for the writer; the outcomes are then of the rows that were processed, in order, and
    /// the caller hands the rest to the next call. A row whose handling fails rolls back alone and
    /// has its failure recorded once the others have committed (``process(_:)-(InboundMessage)``
    /// records it the same way); a database that cannot be written postpones them all.
    ///
    /// The rows go first without savepoints: a savepoint makes SQLite copy every page a row
    /// touches into a statement journal (a temporary file past 64 KB), and almost no row fails. A
    /// failure rolls that whole transaction back, and the same rows go again, each in its own
    /// savepoint, so that only the failing one is undone.
    func process(_ rows: [InboundMessage]) async -> [ProcessOutcome] {
        guard rows.count > 1 else { return await processEach(rows) }
        let ids = rows.compactMap(\.id)
        // A transaction that rolls back leaves nothing counted.
        defer { for id in ids { _ = tallies.take(id) } }
        let results: [Result<(ProcessOutcome, Duration), any Error>]
        do {
            do {
                results = try await store.write { db in try self.actOnBatch(rows, eachInSavepoint: false, in: db) }
            } catch is RowFailedInBatch {
                for id in ids { _ = tallies.take(id) }
                results = try await store.write { db in try self.actOnBatch(rows, eachInSavepoint: true, in: db) }
            }
        } catch where Store.isTemporary(error) {
            databaseOutage.failed(error, logger: logger)
            return rows.map { _ in .postponed }
        } catch {
            // The transaction as a whole failed (its commit, say): each row on its own, as ever.
            return await processEach(rows)
        }
        databaseOutage.succeeded(logger: logger)
        var outcomes: [ProcessOutcome] = []
        for (row, result) in zip(rows, results) {
            switch result {
            case .success(let (outcome, took)):
                metrics.inboundProcessed(in: took)
                if let id = row.id, let (command, commandOutcome) = tallies.take(id) {
                    metrics.commandHandled(command, outcome: commandOutcome)
                }
                outcomes.append(outcome)
            case .failure(let error):
                guard let id = row.id else { continue }
                outcomes.append(await recordFailure(row, id: id, error: error, now: clock.now()))
            }
        }
        return outcomes
    }

    /// A row of a batch run without savepoints failed: the batch goes again, each row in its own.
    private struct RowFailedInBatch: Error {}

    /// The rows of ``process(_:)-([InboundMessage])`` inside its transaction, each either in its own
    /// savepoint (a row that fails is undone alone and its error returned) or not (a row that
    /// fails throws ``RowFailedInBatch``, and the transaction must roll back).
    private func actOnBatch(
        _ rows: [InboundMessage], eachInSavepoint: Bool, in db: Database
    ) throws -> [Result<(ProcessOutcome, Duration), any Error>] {
        var results: [Result<(ProcessOutcome, Duration), any Error>] = []
        for row in rows {
            // The Sender records each mail before its session sends the next: it goes first.
            if !results.isEmpty && store.blockingWriterWaiting { break }
            guard let id = row.id else {
                results.append(.success((.failed, .zero)))
                continue
            }
            let started = ContinuousClock.now
            do {
                var outcome = ProcessOutcome.failed
                if eachInSavepoint {
                    try db.inSavepoint {
                        outcome = try act(on: row, id: id, now: clock.now(), in: db)
                        return .commit
                    }
                } else {
                    outcome = try act(on: row, id: id, now: clock.now(), in: db)
                }
                results.append(.success((outcome, ContinuousClock.now - started)))
            } catch where Store.isTemporary(error) {
                throw error
            } catch {
                guard eachInSavepoint else { throw RowFailedInBatch() }
                _ = tallies.take(id)
                results.append(.failure(error))
            }
        }
        return results
    }

    /// ``process(_:)-(InboundMessage)`` of each row in turn.
    private func processEach(_ rows: [InboundMessage]) async -> [ProcessOutcome] {
        var outcomes: [ProcessOutcome] = []
        for row in rows { outcomes.append(await process(row)) }
        return outcomes
    }

    /// Processes one row in one transaction; never throws.
    func process(_ row: InboundMessage) async -> ProcessOutcome {
        guard let id = row.id else { return .failed }
        let now = clock.now()
        let started = ContinuousClock.now
        // A transaction that rolls back leaves nothing counted.
        defer { _ = tallies.take(id) }
        do {
            let outcome = try await store.write { db in try self.act(on: row, id: id, now: now, in: db) }
            databaseOutage.succeeded(logger: logger)
            metrics.inboundProcessed(in: ContinuousClock.now - started)
            if let (command, commandOutcome) = tallies.take(id) { metrics.commandHandled(command, outcome: commandOutcome) }
            return outcome
        } catch where Store.isTemporary(error) {
            databaseOutage.failed(error, logger: logger)
            return .postponed
        } catch {
            return await recordFailure(row, id: id, error: error, now: now)
        }
    }

    /// Counts a failed attempt at a row in its own transaction, quarantining it (and telling the
    /// admins) at ``maxAttempts``.
    private func recordFailure(_ row: InboundMessage, id: Int64, error: any Error, now: Int64) async -> ProcessOutcome {
        do {
            let quarantined = try await store.write { db -> Bool in
                let quarantined = try InboundQueue.recordFailure(
                    id, error: "\(error)", quarantineAt: Processor.maxAttempts, now: now, in: db)
                if quarantined { try self.tellAdminsOfQuarantine(row, id: id, reason: "\(error)", now: now, in: db) }
                return quarantined
            }
            logger.error(
                "Inbound message failed",
                metadata: ["inbound.id": "\(id)", "error": "\(error)", "inbound.quarantined": "\(quarantined)"])
            return quarantined ? .quarantined : .failed
        } catch {
            logger.error("Cannot record a failed inbound message", metadata: ["inbound.id": "\(id)", "error": "\(error)"])
            return .failed
        }
    }

    /// Everything that happens to one row inside its transaction.
    func handle(_ row: InboundMessage, id: Int64, now: Int64, in db: Database) throws -> ProcessOutcome {
        let historyMark = try LedgerHistory.mark(in: db)
        if row.raw.count > configuration.mail.maxMessageBytes {
            return try quarantine(
                row, id: id,
                reason: "the message has \(row.raw.count) bytes, more than mail.max_message_bytes (\(configuration.mail.maxMessageBytes))",
                now: now, in: db)
        }
        let message: ParsedMessage
        do {
            var limits = ParseLimits()
            limits.maxBytes = configuration.mail.maxMessageBytes
            message = try MessageParser.parse([UInt8](row.raw), limits: limits)
        } catch {
            return try quarantine(row, id: id, reason: "the message cannot be read: \(error)", now: now, in: db)
        }

        // A feedback loop's complaint (ARF) is read before any bounce or command rule: it is neither.
        if let report = FeedbackReport.parse(message) {
            try recordComplaint(report, inboundId: id, now: now, in: db)
            try InboundQueue.markIgnored(id, rule: "complaint", now: now, in: db)
            return .ignored
        }
        switch InboundRules.disposition(of: message, bot: bot) {
        case .ignore(let rule):
            try InboundQueue.markIgnored(id, rule: rule, now: now, in: db)
            logger.info("Inbound message ignored", metadata: ["inbound.id": "\(id)", "rule": "\(rule)"])
            return .ignored
        case .bounce(let report):
            try recordBounce(report, message: message, inboundId: id, now: now, in: db)
            try InboundQueue.markIgnored(id, rule: "bounce", now: now, in: db)
            return .ignored
        case .command:
            break
        }

        guard let sender = message.from else {
            try InboundQueue.markIgnored(id, rule: "no-sender", now: now, in: db)
            return .ignored
        }
        if let messageID = message.messageID {
            // The same mail again, with other bytes around it (re-injected, new Received: fields):
            // its command was acted on already.
            if let first = try ReplayGuard.firstSeen(messageId: messageID, sender: sender.address, in: db) {
                try InboundQueue.markIgnored(id, rule: "replay", now: now, in: db)
                logger.notice(
                    "Replayed command ignored",
                    metadata: [
                        "inbound.id": "\(id)", "rule": "replay", "member.email": "\(sender.address)",
                        "message.id": "\(messageID)", "first.inbound.id": "\(first.map(String.init) ?? "-")",
                    ])
                return .ignored
            }
            try ReplayGuard.record(messageId: messageID, sender: sender.address, inboundId: id, now: now, in: db)
        }
        let trimmed = ReplyTrimmer.trim(message.textBody)
        let answeredTag = try tagHash(of: message, inboundId: id, in: db)
        if let answeredTag {
            try db.executeCached(sql: "UPDATE inboundMessage SET tagHash = ? WHERE id = ?", arguments: [answeredTag, id])
        }
        if let answered = try probeReply(answeredTag, sender: sender.address, now: now, in: db) {
            // Any reply to the member's own bounce probe: the address reads mail.
            try clearBounces(of: sender.address, reason: "answered the bounce probe", inboundId: id, now: now, in: db)
            try StoreLedger(db).revokeReplyTag(hash: answered.hash, at: now)
            let thanks = Notification(
                event: .commandDone, to: [sender.address],
                values: [
                    "summary": .text("Thanks: \(Member.normalizedEmail(sender.address)) works, so \(configuration.bot.name) keeps mailing you."),
                    "detail": .text("Your reply was not read as a command. To give one, send it in a new mail."),
                ],
                thread: message.references + [message.messageID].compactMap { $0 })
            try enqueue(thanks, unique: "in\(id).probe", inboundId: id, now: now, in: db)
            try InboundQueue.markDone(id, disposition: BounceProbe.actionName, now: now, in: db)
            logger.info("Bounce probe answered", metadata: ["inbound.id": "\(id)", "member.email": "\(sender.address)"])
            return .done(queued: 1)
        }
        var context = CommandContext(
            sender: sender.address, senderName: sender.displayName,
            isAdmin: configuration.bot.admins.contains { Member.sameEmail($0, Member.normalizedEmail(sender.address)) }, isAuthenticated: false,
            tag: answeredTag, messageID: message.messageID, now: now,
            settings: configuration.networkSettings,
            botName: configuration.bot.name, admins: configuration.bot.admins)
        let senderAssessment = assessment(of: message)
        let evidence = Processor.evidence(senderAssessment)
        context.authVerdict = authVerdict(senderAssessment, from: sender)
        if senderAssessment.forgerySign {
            logger.warning(
                "Forged Authentication-Results",
                metadata: ["inbound.id": "\(id)", "member.email": "\(sender.address)", "reason": "\(senderAssessment.reason)"])
        }
        // Every automatic answer to an address nobody has proven counts against a cap.
        let budget = ReplyBudget(configuration: configuration)
        // The tag the mail came to and the sender's member row, read once for the checks below.
        let reads = StoreLedger(db)
        let storedTag = try context.tag.flatMap { try reads.replyTag(hash: $0) }
        let senderMember = try reads.member(email: sender.address)
        let answers = try replyVerdict(
            budget, sender: sender, tag: storedTag, member: senderMember, evidence: evidence, context: context, now: now, in: db)
        if case .withheld(let rule) = answers {
            return try withholdAnswers(id: id, rule: rule, sender: sender.address, now: now, in: db)
        }

        var notifications: [Notification]
        var disposition: String
        var commandWord: String?
        do {
            let ledger = StoreLedger(db)
            // `1 ACCEPT` / `2 REJECT …` lines in reply to a dashboard or digest (Processor+NumberedReplies).
            if let numbered = try numberedReply(newText: trimmed.newText, tagHash: context.tag, in: db) {
                return try handleNumberedReply(
                    numbered, id: id, row: row, message: message, sender: sender, context: context, evidence: evidence,
                    answers: answers, budget: budget, historyMark: historyMark, now: now, in: db)
            }
            let command = try CommandParser.parse(subject: message.subject, newText: trimmed.newText).get()
            commandWord = command.word.rawValue
            let replyTag = storedTag
            try refuseIfSuspended(command, member: senderMember, context: context, inboundId: id)
            if command.word == .confirm, let replyTag, replyTag.action == SenderAuthentication.heldCommandAction {
                (notifications, disposition) = try runHeld(command, context: context, ledger: ledger, in: db)
                tallies.record(id, disposition, .executed)
                try clearBounces(of: sender.address, reason: "confirmed a held command", inboundId: id, now: now, in: db)
            } else {
                let handler = try router.handler(for: command)
                var decision = SenderAuthentication.decide(
                    command: command, sender: sender.address, tag: replyTag, evidence: evidence,
                    now: now)
                // JOIN needs no proof from a new address (its confirmation is the proof), but for a
                // pending or departed member it rewrites their details and state: only the owner may.
                if command.word == .join, decision == .run(proof: nil),
                    let existing = try ledger.member(email: sender.address), existing.state != .active
                {
                    decision = .hold
                }
                switch decision {
                case .run(let proof):
                    context.isAuthenticated = proof != nil
                    if let proof {
                        try clearBounces(of: sender.address, reason: "proven mail (\(proof.rawValue))", inboundId: id, now: now, in: db)
                    }
                    notifications = try handler.handle(command, context: context, ledger: ledger)
                    disposition = handler.name
                    tallies.record(id, handler.name, .executed)
                    logger.info(
                        "Command executed",
                        metadata: [
                            "inbound.id": "\(id)", "command": "\(handler.name)", "member.email": "\(sender.address)",
                            "auth": "\(proof?.rawValue ?? "none")",
                        ])
                    for refusal in notifications where refusal.event == .listingRefused {
                        let rule = if case .text(let rule)? = refusal.values["ruleId"] { rule } else { "?" }
                        logger.notice(
                            "Listing held by a compliance rule",
                            metadata: [
                                "inbound.id": "\(id)", "member.email": "\(sender.address)", "listing": "\(refusal.ref ?? "?")",
                                "rule": "\(rule)",
                            ])
                    }
                case .hold:
                    // Why the tag the mail came to (if any) did not prove it: out of its scope,
                    // revoked, expired, or made for another address.
                    let tagReason = replyTag.flatMap {
                        SenderAuthentication.tagRefusal(command: command, sender: sender.address, tag: $0, now: now)
                    } ?? (context.tag == nil ? "no tag" : "unknown tag")
                    // A forged From: must not turn refbot into a way to flood someone with confirmations.
                    let recent = try ledger.heldCommandCount(sender: sender.address, since: now - 3600)
                    guard recent < configuration.mail.errorRepliesPerHour else {
                        tallies.record(id, handler.name, .withheld)
                        try InboundQueue.markIgnored(id, rule: "held-rate-limit", now: now, in: db)
                        logger.notice(
                            "Confirmation withheld",
                            metadata: ["inbound.id": "\(id)", "rule": "held-rate-limit", "member.email": "\(sender.address)"])
                        return .ignored
                    }
                    notifications = [try ConfirmHandler.hold(command, inboundId: id, context: context, ledger: ledger)]
                    disposition = "held"
                    tallies.record(id, handler.name, .held)
                    logger.info(
                        "Command held for confirmation",
                        metadata: [
                            "inbound.id": "\(id)", "command": "\(handler.name)", "member.email": "\(sender.address)",
                            "auth.reason": "\(senderAssessment.reason)",
                            "reason": "\(tagReason)",
                        ])
                }
            }
        } catch let error as CommandError {
            tallies.record(id, commandWord, .refused)
            let sent = try ErrorReplyLog.countLastHour(sender: sender.address, now: now, in: db)
            guard sent < configuration.mail.errorRepliesPerHour else {
                try InboundQueue.markIgnored(id, rule: "rate-limit", now: now, in: db)
                logger.notice(
                    "Error reply withheld", metadata: ["inbound.id": "\(id)", "rule": "rate-limit", "member.email": "\(sender.address)"])
                return .ignored
            }
            try ErrorReplyLog.record(sender: sender.address, now: now, in: db)
            notifications = [
                Notification(
                    event: .commandError, to: [sender.address],
                    values: [
                        "line": .text(MailComposer.shortened(error.line)), "problem": .text(error.problem),
                        "remedy": .text(error.remedy), "originalSubject": .text(MailComposer.shortened(message.subject, limit: 200)),
                    ],
                    thread: (message.references + [message.messageID].compactMap { $0 }))
            ]
            disposition = "command.error"
            logger.info(
                "Command refused",
                metadata: ["inbound.id": "\(id)", "member.email": "\(sender.address)", "error": "\(error.problem)"])
        }

        // Who made the ledger changes of this transaction, and how (the history `admin referral` shows).
        try LedgerHistory.stamp(
            actor: Member.normalizedEmail(sender.address),
            method: row.uidValidity == LinkActionRunner.linkUIDValidity ? .link : .mail, inboundId: id, after: historyMark,
            in: db)
        try budget.spend(answers, on: notifications, now: now, in: db)
        var announcements = 0
        for (index, notification) in notifications.enumerated() {
            var sendAt: Int64?
            if notification.event == .trainingAnnouncement {
                sendAt = now + Processor.announcementDelay(announcements, configuration: configuration)
                announcements += 1
            }
            try enqueue(notification, unique: "in\(id).\(index)", inboundId: id, now: now, sendAt: sendAt, in: db)
        }
        try InboundQueue.markDone(id, disposition: disposition, now: now, in: db)
        return .done(queued: notifications.count)
    }

    /// Puts a notification in the outbox, in the caller's transaction.
    func enqueue(
        _ notification: Notification, unique: String, inboundId: Int64?, now: Int64, sendAt: Int64? = nil, in db: Database
    ) throws {
        try Processor.enqueue(
            notification, composer: composer, configuration: configuration, unique: unique, inboundId: inboundId, now: now,
            sendAt: sendAt, logger: logger, in: db)
    }

    /// Seconds after queuing that the `index`-th mail of an announcement is sent, so announcements
    /// go out at `mail.announcement_rate_per_minute`.
    public static func announcementDelay(_ index: Int, configuration: Configuration) -> Int64 {
        Int64(index) * 60 / Int64(max(configuration.mail.announcementRatePerMinute, 1))
    }

    /// Puts a notification in the outbox, in the caller's transaction, leaving out recipients who
    /// are members whose mail bounced `mail.bounce_limit` times (admins are always mailed).
    /// `sendAt` holds the mail back until then (announcements, paced). Returns whether a mail was
    /// queued. The admin CLI queues through here too.
    @discardableResult
    public static func enqueue(
        _ notification: Notification, composer: MailComposer, configuration: Configuration, unique: String,
        inboundId: Int64?, now: Int64, sendAt: Int64? = nil, logger: Logger, in db: Database
    ) throws -> Bool {
        // The state change is posted to the webhooks that take it, whoever is mailed (``WebhookEvents``).
        try WebhookEvents.record(
            notification, configuration: configuration, inboundId: inboundId, unique: unique, now: now, logger: logger, in: db)
        var notification = notification
        // An erased member's row keeps a placeholder address that is never mailed.
        let withheld = notification.to.filter(Erasure.isPlaceholder)
        if !withheld.isEmpty {
            notification.to.removeAll(where: Erasure.isPlaceholder)
            logger.notice(
                "Mail withheld from an erased member",
                metadata: ["event": "\(notification.event.rawValue)", "recipients": "\(withheld.joined(separator: ","))"])
            if notification.to.isEmpty { return false }
        }
        let limit = configuration.mail.bounceLimit
        if limit > 0 {
            let ledger = StoreLedger(db)
            notification.to = try notification.to.filter { address in
                if configuration.bot.admins.contains(Member.normalizedEmail(address)) { return true }
                guard let bounceCount = try ledger.stoppedBounceCount(email: address) else { return true }
                logger.notice(
                    "Mail withheld from a bouncing member",
                    metadata: [
                        "member.email": "\(Member.normalizedEmail(address))", "event": "\(notification.event.rawValue)",
                        "bounce.count": "\(bounceCount)",
                    ])
                return false
            }
            if notification.to.isEmpty { return false }
        }
        var row = try composer.compose(notification, unique: "\(unique).\(now).\(Self.randomSuffix())", now: now, inboundId: inboundId)
        if let sendAt, sendAt > now { row.nextAttemptAt = sendAt }
        try Outbox.enqueue(row, envelopeFrom: { composer.envelopeFrom(outboxId: $0, recipients: row.recipientList) }, in: db)
        return true
    }

    /// What the receiving MTA's own `Authentication-Results` fields say about the `From:` address.
    static func evidence(_ assessment: AuthenticationAssessment) -> SenderAuthentication.Evidence {
        switch assessment.verdict {
        case .dmarcPass: .dmarcPass
        case .dkimPassAligned: .dkimPassAligned
        case .none: .none
        }
    }

    /// The verdict and its reason (``AuthenticationResults/assess(_:trustedAuthservID:)``), read once per mail.
    func assessment(of message: ParsedMessage) -> AuthenticationAssessment {
        AuthenticationResults.assess(message, trustedAuthservID: configuration.auth.trustedAuthservID)
    }

    /// The verdict kept as evidence with an agreement: what the trusted authserv-id said of the sender.
    func authVerdict(_ assessment: AuthenticationAssessment, from sender: EmailAddress) -> String {
        let authserv = configuration.auth.trustedAuthservID
        guard !authserv.isEmpty else { return "no trusted Authentication-Results (auth.trusted_authserv_id is not set)" }
        switch assessment.verdict {
        case .dmarcPass: return "dmarc=pass for \(sender.domain) from \(authserv)"
        case .dkimPassAligned: return "dkim=pass aligned with \(sender.domain) from \(authserv)"
        case .none: return "no pass for \(sender.domain) from \(authserv): \(assessment.reason)"
        }
    }

    /// A CONFIRM to a `command.confirm` tag: releases the held command (once) and runs it, from
    /// its stored mail, as authenticated, in this transaction.
    private func runHeld(
        _ confirm: ParsedCommand, context: CommandContext, ledger: StoreLedger, in db: Database
    ) throws -> ([Notification], String) {
        let held = try ConfirmHandler.release(confirm, context: context, ledger: ledger)
        guard let stored = try InboundMessage.fetchOne(db, key: held.inboundId), !stored.raw.isEmpty else {
            throw CommandError(
                line: confirm.line, problem: "The command you confirmed is no longer stored.",
                remedy: "Send the command again.")
        }
        var limits = ParseLimits()
        limits.maxBytes = configuration.mail.maxMessageBytes
        let original = try MessageParser.parse([UInt8](stored.raw), limits: limits)
        let originalTag = try tagHash(of: original, inboundId: held.inboundId, in: db)
        if let numbered = try numberedReply(
            newText: ReplyTrimmer.trim(original.textBody).newText, tagHash: originalTag, in: db), let originalTag
        {
            // A held numbered reply: each line still needs its item's own live tag, made for this sender.
            var heldContext = context
            heldContext.sender = held.sender
            heldContext.isAdmin = configuration.bot.admins.contains { Member.sameEmail($0, held.sender) }
            heldContext.isAuthenticated = true
            heldContext.tag = originalTag
            let notifications = try runNumbered(numbered, mailTagHash: originalTag, inboundId: held.inboundId, context: heldContext, in: db)
            logger.info(
                "Held command confirmed",
                metadata: [
                    "inbound.id": "\(held.inboundId)", "command": "numbered", "member.email": "\(held.sender)",
                    "auth": "\(SenderAuthentication.Proof.confirmed.rawValue)",
                ])
            return (notifications, "numbered")
        }
        let command = try CommandParser.parse(
            subject: original.subject, newText: ReplyTrimmer.trim(original.textBody).newText
        ).get()
        let handler = try router.handler(for: command)
        var heldContext = context
        heldContext.sender = held.sender
        heldContext.senderName = original.from?.displayName ?? context.senderName
        heldContext.isAdmin = configuration.bot.admins.contains { Member.sameEmail($0, held.sender) }
        heldContext.isAuthenticated = true
        heldContext.tag = try tagHash(of: original, inboundId: held.inboundId, in: db)
        let notifications = try handler.handle(command, context: heldContext, ledger: ledger)
        logger.info(
            "Held command confirmed",
            metadata: [
                "inbound.id": "\(held.inboundId)", "command": "\(handler.name)", "member.email": "\(held.sender)",
                "auth": "\(SenderAuthentication.Proof.confirmed.rawValue)",
            ])
        return (notifications, handler.name)
    }

    private func quarantine(_ row: InboundMessage, id: Int64, reason: String, now: Int64, in db: Database) throws -> ProcessOutcome {
        try InboundQueue.markQuarantined(id, reason: reason, now: now, in: db)
        try tellAdminsOfQuarantine(row, id: id, reason: reason, now: now, in: db)
        logger.warning("Inbound message quarantined", metadata: ["inbound.id": "\(id)", "error": "\(reason)"])
        return .quarantined
    }

    private func tellAdminsOfQuarantine(_ row: InboundMessage, id: Int64, reason: String, now: Int64, in db: Database) throws {
        guard !configuration.bot.admins.isEmpty else { return }
        // Header fields read leniently: the message may be the very thing that cannot be parsed.
        let head = HeaderPeek(row.raw)
        let notification = Notification(
            event: .messageQuarantined, to: configuration.bot.admins,
            values: [
                "sender": .text(head.value("From") ?? "(unknown)"), "subject": .text(head.value("Subject") ?? "(none)"),
                "messageId": .text(row.messageId ?? "(none)"), "inboundId": .text("\(id)"),
                "reason": .text(String(reason.prefix(500))), "folder": .text(configuration.imap.quarantineFolder),
            ])
        try adminNotices.notify(
            notification, summary: quarantineSummary(head, id: id, reason: reason), unique: "q\(id)", inboundId: id,
            now: now, in: db)
    }

    /// A bounce counts only when it came to a VERP address with refbot's mac (``VERPKey``), and
    /// only for a failed recipient that is one of that outbox row's recipients (spec §2). Anything
    /// else (the bare address, a guessed `+bounce-<n>`, a recipient the mail was not sent to) is
    /// logged and dropped, unanswered.
    /// The outbox row the first of `candidates` (VERP addresses a report names) stands for, when its
    /// mac verifies for that row's recipients and, where the report keeps the original's
    /// `Message-ID`, that is the row's too; nil when none does.
    func verifiedOutboxRow(
        _ candidates: [(id: Int64, mac: String)], messageID: String? = nil, in db: Database
    ) throws -> OutboxMessage? {
        for candidate in candidates {
            guard let row = try OutboxMessage.fetchOne(db, key: candidate.id),
                composer.verifies(outboxId: candidate.id, recipients: row.recipientList, mac: candidate.mac)
            else { continue }
            if let messageID, messageID != row.messageId { continue }
            return row
        }
        return nil
    }

    private func recordBounce(
        _ report: DeliveryStatusReport, message: ParsedMessage, inboundId: Int64, now: Int64, in db: Database
    ) throws {
        let candidates = report.verpAddresses(base: bot, reportRecipients: message.to + deliveredTo(message))
        guard let row = try verifiedOutboxRow(candidates, in: db), let outboxId = row.id else {
            logger.notice(
                "Bounce not counted",
                metadata: [
                    "inbound.id": "\(inboundId)", "rule": "bounce-not-verp",
                    "reason": "\(candidates.isEmpty ? "not sent to a VERP address" : "VERP address without refbot's mac or row")",
                    "recipients": "\(report.failed.map(\.address).joined(separator: ","))",
                ])
            return
        }
        for recipient in report.failed {
            // The row's own recipient the report names (as `Final-Recipient`, or as
            // `Original-Recipient` when the mail was forwarded on): the bounce counts against them.
            guard
                let sentTo = row.recipientList.first(where: { sent in recipient.addresses.contains { Member.sameEmail(sent, $0) } })
            else {
                logger.notice(
                    "Bounce not counted",
                    metadata: [
                        "inbound.id": "\(inboundId)", "rule": "bounce-other-recipient", "outbox.id": "\(outboxId)",
                        "member.email": "\(recipient.address)", "reason": "the bounced mail was not sent to this address",
                    ])
                continue
            }
            // A count whose last bounce is older than mail.bounce_reset_days starts again at 0 first.
            if try !MemberAdmin.decayBounces(days: configuration.mail.bounceResetDays, email: sentTo, now: now, in: db).isEmpty {
                logger.notice(
                    "Bounces reset",
                    metadata: [
                        "inbound.id": "\(inboundId)", "member.email": "\(sentTo)",
                        "reason": "no bounce for mail.bounce_reset_days (\(configuration.mail.bounceResetDays))",
                    ])
            }
            let count = try BounceLog.record(
                outboxId: outboxId, recipient: sentTo, status: recipient.status, inboundId: inboundId, now: now, in: db)
            try countBounce(of: sentTo, outboxId: outboxId, status: recipient.status, inboundId: inboundId, now: now, in: db)
            logger.notice(
                "Bounce recorded",
                metadata: [
                    "inbound.id": "\(inboundId)", "outbox.id": "\(outboxId)",
                    "member.email": "\(sentTo)", "bounce.count": "\(count)",
                ])
        }
    }

    /// Counts a genuine bounce against the member with that address. At `mail.bounce_limit` a
    /// `member.probe` goes out with its own VERP address; only when the probe bounces does mail to
    /// the member stop, and then the admins are told (`member.bouncing`, through the notice cap).
    private func countBounce(
        of address: String, outboxId: Int64, status: String, inboundId: Int64, now: Int64, in db: Database
    ) throws {
        let ledger = StoreLedger(db)
        guard var member = try ledger.member(email: address), let memberId = member.id, member.bounceStoppedAt == nil else {
            return
        }
        let limit = configuration.mail.bounceLimit
        let probe = try BounceProbe.outstanding(memberId: memberId, in: db)
        member.bounceCount += 1
        if let probe, probe.outboxId == outboxId {
            member.bounceStoppedAt = now
            try ledger.save(&member)
            logger.warning(
                "Member mail stopped after bounces",
                metadata: [
                    "member.email": "\(member.email)", "bounce.count": "\(member.bounceCount)", "outbox.id": "\(outboxId)",
                    "reason": "the bounce probe bounced",
                ])
            guard !configuration.bot.admins.isEmpty else { return }
            let notification = Notification(
                event: .memberBouncing, to: configuration.bot.admins,
                values: [
                    "email": .text(member.email), "name": .text(member.name), "bounceCount": .number(Int64(member.bounceCount)),
                    "limit": .number(Int64(limit)), "status": .text(String(status.prefix(300))),
                ])
            try adminNotices.notify(
                notification, summary: "Stopped mailing \(member.email) after \(member.bounceCount) bounces and a bounced probe",
                unique: "b\(inboundId).\(member.email)", inboundId: inboundId, now: now, in: db)
            return
        }
        try ledger.save(&member)
        // A probe that went unanswered and did not bounce a week later is stale: the next bounce
        // at the limit sends a new one.
        let probeIsLive = probe.map { now - $0.sentAt < Processor.probeLifetime } ?? false
        guard limit > 0, member.bounceCount >= limit, !probeIsLive, member.state != .left else { return }
        let tag = try ledger.makeReplyTag(
            for: member.email, action: BounceProbe.actionName, ref: nil, now: now, expiresAt: now + Processor.probeTagLifetime)
        let notification = Notification(
            event: .memberProbe, to: [member.email], replyTag: tag.token,
            values: [
                "email": .text(member.email), "name": .text(member.name), "bounceCount": .number(Int64(member.bounceCount)),
                "expiryDays": .number(Processor.probeTagLifetime / NetworkSettings.secondsPerDay),
            ])
        let row = try composer.compose(
            notification, unique: "probe.m\(memberId).\(now).\(Self.randomSuffix())", now: now, inboundId: inboundId)
        let probeId = try Outbox.enqueue(row, envelopeFrom: { composer.envelopeFrom(outboxId: $0, recipients: row.recipientList) }, in: db)
        try BounceProbe.recordSent(memberId: memberId, outboxId: probeId, now: now, in: db)
        logger.notice(
            "Bounce probe sent",
            metadata: ["member.email": "\(member.email)", "bounce.count": "\(member.bounceCount)", "outbox.id": "\(probeId)"])
    }

    /// How long a probe waits for its bounce before another bounce may send a new one: 7 days.
    static let probeLifetime: Int64 = 7 * 86_400
    /// How long a reply to a probe clears the member's bounces: 30 days.
    static let probeTagLifetime: Int64 = 30 * 86_400

    /// The live probe tag the mail answers, when it is the sender's own.
    private func probeReply(_ tagHash: String?, sender: String, now: Int64, in db: Database) throws -> ReplyTag? {
        guard let tagHash, let tag = try StoreLedger(db).replyTag(hash: tagHash), tag.action == BounceProbe.actionName,
            tag.revokedAt == nil, now < tag.expiresAt, Member.sameEmail(tag.memberEmail, Member.normalizedEmail(sender))
        else { return nil }
        return tag
    }

    /// Clears the sender's bounces when they proved they read mail here: they answered their own
    /// live probe tag, or sent a command with proof. Returns whether anything was cleared.
    @discardableResult
    func clearBounces(of sender: String, reason: String, inboundId: Int64, now: Int64, in db: Database) throws -> Bool {
        guard let member = try StoreLedger(db).member(email: sender), BounceProbe.hasBounces(member) else { return false }
        try BounceProbe.reset(email: member.email, now: now, in: db)
        logger.notice(
            "Bounces cleared",
            metadata: [
                "inbound.id": "\(inboundId)", "member.email": "\(member.email)", "bounce.count": "\(member.bounceCount)",
                "reason": "\(reason)",
            ])
        return true
    }

    private func deliveredTo(_ message: ParsedMessage) -> [EmailAddress] {
        message.headers(named: "Delivered-To").flatMap { EmailAddress.parseList($0) }
    }

    /// The hash (``ReplyTag/hash(_:)``) of the reply tag the mail answers: as recorded when the
    /// mail was first acted on (its kept copy shows no tag); for a one-click link's mail, the tag
    /// its link named (kept with the link's use, never in the mail); otherwise the tag of the
    /// address it came to.
    func tagHash(of message: ParsedMessage, inboundId: Int64, in db: Database) throws -> String? {
        if let recorded = try String.fetchOne(cached: db, sql: "SELECT tagHash FROM inboundMessage WHERE id = ?", arguments: [inboundId]) {
            return recorded
        }
        if let linked = try String.fetchOne(cached: db, sql: "SELECT tagHash FROM linkUse WHERE inboundId = ?", arguments: [inboundId]) {
            return linked
        }
        return tag(of: message).map(ReplyTag.hash)
    }

    /// The tag of the first address the mail came to that is a tagged form of refbot's address.
    func tag(of message: ParsedMessage) -> String? {
        for address in deliveredTo(message) + message.to + message.cc {
            if let tag = TaggedAddress.tag(of: address, base: bot) { return tag }
        }
        return nil
    }
}

extension Processor {
    /// A composer over the configured templates, for queuing mail outside the daemon (the admin CLI).
    /// Its envelope senders carry the daemon's VERP key (from `bot.secret_file`, when the daemon
    /// has made it), so bounces to mail the CLI queues count like any other.
    public static func composer(for configuration: Configuration) throws -> MailComposer {
        let keys = LinkSecret.loadIfPresent(path: configuration.bot.secretFile)
        return try MailComposer(
            configuration: configuration, templates: try TemplateSet(directory: configuration.bot.templates),
            verpKey: keys.first.map { VERPKey(linkKey: $0) })
    }

    /// Records an announcement and queues one `training.announcement` per member who gets them, in
    /// one transaction, through the same code and bounce check as ANNOUNCE by mail (the admin CLI).
    /// `progress` hears (done, total) as the mails are queued. Returns how many were queued and how
    /// many members were due one (the difference are members whose mail bounces).
    public static func queueAnnouncement(
        title: String, link: String?, body: String, composer: MailComposer, configuration: Configuration, store: Store,
        now: Int64, logger: Logger, progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> (queued: Int, total: Int) {
        try await store.write { db in
            let mails = try AnnounceHandler.announcements(
                title: title, link: link, body: body, bounceLimit: configuration.mail.bounceLimit, ledger: StoreLedger(db),
                now: now)
            var queued = 0
            for (index, mail) in mails.enumerated() {
                if try enqueue(
                    mail, composer: composer, configuration: configuration, unique: "cli.announce.\(index)", inboundId: nil,
                    now: now, sendAt: now + announcementDelay(queued, configuration: configuration), logger: logger, in: db)
                {
                    queued += 1
                }
                progress(index + 1, mails.count)
            }
            return (queued, mails.count)
        }
    }
}

/// A lenient look at the first header fields of raw bytes, for mail that may not parse.
struct HeaderPeek {
    private var fields: [String: String] = [:]

    init(_ raw: Data) {
        let head = raw.prefix(64 * 1024)
        let text = String(decoding: head, as: UTF8.self)
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":"), line.first != " ", line.first != "\t" else { continue }
            let name = line[..<colon].lowercased()
            if fields[name] == nil {
                fields[name] = String(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces).prefix(200))
                    .filter { !$0.isNewline && $0 != "\0" }
            }
        }
    }

    func value(_ name: String) -> String? { fields[name.lowercased()] }
}

extension Processor {
    /// Words a suspended member may still send: HELP, and EXPORT and LEAVE (their data and their
    /// way out stay theirs).
    static let wordsWhileSuspended: Set<CommandWord> = [.help, .export, .leave]

    /// Refuses any other command from a member an admin suspended, with an answer that says so
    /// (sent through the error-reply limit like every refusal).
    /// `member` is the sender's member row, if they are one.
    func refuseIfSuspended(_ command: ParsedCommand, member: Member?, context: CommandContext, inboundId: Int64) throws {
        guard !context.isAdmin, !Processor.wordsWhileSuspended.contains(command.word), let member, member.isSuspended
        else { return }
        logger.notice(
            "Command refused",
            metadata: [
                "inbound.id": "\(inboundId)", "member.email": "\(member.email)", "command": "\(command.word.rawValue)",
                "rule": "suspended",
            ])
        let admins = configuration.bot.admins.isEmpty ? configuration.bot.address : configuration.bot.admins.joined(separator: ", ")
        throw CommandError(
            line: command.line,
            problem: "Your membership of \(configuration.bot.name) is suspended, so \(command.word.rawValue) was not carried out.",
            remedy: "Contact the admins at \(admins) to ask why, or what would lift it.")
    }
}
