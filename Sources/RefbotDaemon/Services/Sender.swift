import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTransport
import ServiceLifecycle
import Synchronization

/// Sends due outbox rows over SMTP and records each result: sent, deferred with capped doubling
/// backoff and jitter (Postfix), or failed (a permanent refusal, or `smtp.give_up_hours` passed).
/// Admins are told of mail given up on in one `delivery.failed` summary at most once an hour.
/// It paces below `smtp.max_per_minute` / `smtp.max_per_day`, answers before bulk mail, and a
/// provider's quota reply (``ProviderReply/isQuota(code:text:)``) defers the mail and holds the
/// whole Sender back for a while instead of failing it.
///
/// Failure modes: an SMTP outage logs once and the rows wait; a crash after the server's 250
/// and before the mail is noted as sent sends it again with the same Message-ID (RFC 1047), the
/// one duplicate SMTP cannot rule out. Each mail is noted right after its own reply, before the
/// next mail goes out on the same connection, to keep that window to one message: in the
/// ``SentLog`` when the daemon has one (one `write(2)` to a file of its own, never waiting for the database's
/// writer; the notes are folded into the outbox after each batch and before anything is sent),
/// else in the outbox itself. When neither can be written just then (another process holds the
/// lock, the disk is full), a sent mail is remembered in memory, never sent again by this
/// process, and marked sent as soon as the database takes writes again; the shared database log
/// says so once.
public final class Sender: Service, Sendable {
    /// Rows taken per SMTP connection. Each connection costs a TLS handshake and a login, so a
    /// backlog goes out over few of them; results are still recorded one by one as the server
    /// answers.
    public static let batchSize = 100

    let submitter: any MailSubmitter
    /// More SMTP sessions for a deep outbox (`smtp.max_connections` − 1): a batch is shared out
    /// among `submitter` and these by recipient (``lanes(for:count:)``).
    let extraSubmitters: [any MailSubmitter]
    let store: Store
    let composer: MailComposer
    let configuration: Configuration
    /// `bot.address`, read once (reply tags are cut out of every mail sent).
    let bot: EmailAddress?
    let clock: DaemonClock
    let health: HealthState
    let logger: Logger
    let outage = OutageLog("SMTP")
    let databaseOutage: OutageLog
    /// Where each accepted mail is noted before the next goes out (nil: straight in the outbox).
    let sentLog: SentLog?
    /// The last error a fold of the sent log met, logged once (nil once a fold succeeds).
    let foldFailure = Mutex<String?>(nil)
    /// Rows the server accepted whose `markSent` failed; marked before anything else is sent.
    let sentUnrecorded = Mutex<[Int64: Int64]>([:])
    /// Set by a provider's quota reply: no mail goes out before `until` (``slowDown(after:now:)``).
    let quotaPause = Mutex(QuotaPause())
    /// Whether "sending limit reached" was logged for the current wait.
    let limitLogged = Mutex(false)
    /// Wakes this service (the Processor nudges it after queuing mail).
    public let waker: Waker
    /// The shortest and longest wait before a retry, in seconds.
    let minimalBackoff: Int64
    let maximalBackoff: Int64
    /// Counts mails sent by event, SMTP errors by class and answer latency (`/metrics`).
    let metrics: DaemonMetrics

    public init(
        submitter: any MailSubmitter, extraSubmitters: [any MailSubmitter] = [], store: Store, composer: MailComposer,
        configuration: Configuration, clock: DaemonClock, health: HealthState, logger: Logger, waker: Waker = Waker(),
        databaseOutage: OutageLog = .database(), metrics: DaemonMetrics = DaemonMetrics(), sentLog: SentLog? = nil
    ) {
        self.sentLog = sentLog
        self.extraSubmitters = extraSubmitters
        self.metrics = metrics
        self.waker = waker
        self.databaseOutage = databaseOutage
        self.submitter = submitter
        self.store = store
        self.composer = composer
        self.configuration = configuration
        self.bot = EmailAddress(configuration.bot.address)
        self.clock = clock
        self.health = health
        self.logger = logger
        self.minimalBackoff = Int64(configuration.smtp.minBackoffSeconds)
        self.maximalBackoff = Int64(max(configuration.smtp.maxBackoffSeconds, configuration.smtp.minBackoffSeconds))
    }

    public func run() async throws {
        try await runLoop(waker: waker, interval: .seconds(max(configuration.imap.pollSeconds, 1)), logger: logger) {
            _ = try await self.runOnce()
        }
        // The SMTP sessions stay open between passes; they end with the service.
        await closeSessions()
    }

    /// Ends every kept SMTP session (`QUIT`).
    public func closeSessions() async {
        await submitter.close()
        for extra in extraSubmitters { await extra.close() }
    }

    /// The fewest mails that make a lane of their own: below this, a second session would cost
    /// more (a TLS handshake and a login) than it saves.
    public static let mailsPerLane = 8

    /// Shares a batch out among at most `count` SMTP sessions: lists of row indices, one per
    /// session, in batch order within each. All the mail to one recipient list goes on one lane,
    /// so it reaches the server in the order it was queued; a new recipient list joins the lane
    /// with the fewest mails so far. A batch under two lanes' worth stays on one session.
    public static func lanes(for rows: [OutboxMessage], count: Int) -> [[Int]] {
        let lanes = min(count, rows.count / mailsPerLane)
        guard lanes > 1 else { return [Array(rows.indices)] }
        var result = Array(repeating: [Int](), count: lanes)
        var laneOf: [String: Int] = [:]
        for (index, row) in rows.enumerated() {
            let key = row.recipientList.map { $0.lowercased() }.sorted().joined(separator: ",")
            let lane = laneOf[key] ?? result.indices.min { result[$0].count < result[$1].count } ?? 0
            laneOf[key] = lane
            result[lane].append(index)
        }
        return result.filter { !$0.isEmpty }
    }

    /// When the next attempt of a deferred mail is due: its age, clamped to the backoff bounds,
    /// times the jitter (0.9...1.1), from now.
    public static func nextAttempt(firstQueued: Int64, now: Int64, jitter: Double, minimal: Int64, maximal: Int64) -> Int64 {
        let age = max(now - firstQueued, 0)
        let delay = Double(min(max(age, minimal), maximal)) * jitter
        return now + max(Int64(delay.rounded()), 1)
    }

    /// Sends every due row (answers and notifications before bulk mail, within `smtp.max_per_minute`
    /// and `smtp.max_per_day`, none while a provider's quota reply holds the Sender back), then
    /// queues the hourly `delivery.failed` summary when mail was given up on; returns how many the
    /// server accepted.
    @discardableResult
    public func runOnce() async throws -> Int {
        let sent = Counter()
        guard await recordSentEarlier(), await foldSentLog() else { return 0 }
        var tried: Set<Int64> = Set(sentUnrecorded.withLock { Array($0.keys) })
        while true {
            let now = clock.now()
            if isPaused(now: now) { break }
            let allowance = try await sendingAllowance(now: now)
            if allowance == 0 { break }
            let due = try await store.read { db in try SendingWindow.due(now: now, limit: Sender.batchSize, in: db) }
                .filter { $0.id.map { !tried.contains($0) } ?? false }
            if due.isEmpty {
                if try await reportFailures(now: now) { continue }
                break
            }
            let rows = allowance.map {
                Self.fitting(due, allowance: $0, capacity: configuration.sendingLimits.capacity ?? $0)
            } ?? due
            // The first due mail does not fit in what the limits leave: it waits, and so does the rest.
            if rows.isEmpty { break }
            for row in rows { if let id = row.id { tried.insert(id) } }
            let mails = rows.map {
                OutgoingMail(envelopeFrom: $0.envelopeFrom, recipients: $0.recipientList, data: [UInt8]($0.raw))
            }
            // Each result is recorded as soon as the server has answered, before the next mail goes
            // out on that session (each lane's session waits for its own record).
            let report: @Sendable (Int, Result<Void, TransportError>) -> Void = { index, result in
                guard rows.indices.contains(index), let id = rows[index].id else { return }
                switch result {
                case .success: self.metrics.mailSent(event: rows[index].event)
                case .failure(let error): self.metrics.transportFailed(error, protocol: .smtp)
                }
                do {
                    if try self.record(result, for: rows[index], id: id) { sent.add() }
                    self.databaseOutage.succeeded(logger: self.logger)
                } catch {
                    if case .success = result {
                        // Sent: it must never go out again from here, whatever the database says.
                        let now = self.clock.now()
                        self.sentUnrecorded.withLock { $0[id] = now }
                        sent.add()
                    }
                    if Store.isTemporary(error) {
                        self.databaseOutage.failed(error, logger: self.logger)
                    } else {
                        self.logger.error(
                            "Cannot record a delivery result", metadata: ["outbox.id": "\(id)", "error": "\(error)"])
                    }
                }
            }
            let lanes = Self.lanes(for: rows, count: 1 + extraSubmitters.count)
            if lanes.count == 1 {
                await submitter.submit(mails, onResult: report)
            } else {
                let submitters = [submitter] + extraSubmitters
                await withTaskGroup(of: Void.self) { group in
                    for (lane, indices) in lanes.enumerated() {
                        let session = submitters[lane]
                        let laneMails = indices.map { mails[$0] }
                        group.addTask { await session.submit(laneMails) { index, result in report(indices[index], result) } }
                    }
                }
            }
            // Before the limits and the due rows are read again, the outbox says what went out.
            guard await foldSentLog() else { break }
            if outage.isDown || !sentUnrecorded.withLock({ $0.isEmpty }) { break }
        }
        _ = try await reportFailures(now: clock.now())
        let depth = try await store.read { db in try Outbox.depth(in: db) }
        health.outbox(depth: depth, smtpFailing: outage.isDown)
        return sent.value
    }

    /// Marks sent the mails whose `markSent` failed earlier; returns false (send nothing this
    /// pass) while the database still refuses the write.
    private func recordSentEarlier() async -> Bool {
        let pending = sentUnrecorded.withLock { $0 }
        guard !pending.isEmpty else { return true }
        do {
            try await store.write { db in
                for (id, at) in pending {
                    try Outbox.markSent(id, now: at, in: db)
                    if let raw = try Data.fetchOne(cached: db, sql: "SELECT raw FROM outboxMessage WHERE id = ?", arguments: [id]) {
                        try self.keepWithoutTags(id, raw: raw, in: db)
                    }
                }
            }
        } catch {
            databaseOutage.failed(error, logger: logger)
            return false
        }
        sentUnrecorded.withLock { unrecorded in
            for id in pending.keys { unrecorded[id] = nil }
        }
        databaseOutage.succeeded(logger: logger)
        logger.info("Mail sent earlier recorded", metadata: ["outbox.count": "\(pending.count)"])
        return true
    }

    /// Marks sent, in one transaction, the mails noted in the ``SentLog`` (a row already marked,
    /// or purged since, keeps its state or its emptiness); returns false (send nothing this pass)
    /// while the database refuses the write or the log cannot be read.
    func foldSentLog() async -> Bool {
        guard let sentLog else { return true }
        let bot = self.bot
        do {
            // The columns the mark needs, not the whole row (each column of which GRDB copies).
            let folded = try await sentLog.fold(into: store, columns: "state, purgedAt, raw, inboundId") {
                db, note, row -> Int64? in
                guard row["state"] != OutboxMessage.State.sent.rawValue else { return nil }
                // A copy purged since it went out stays empty.
                let raw: Data? = (row["purgedAt"] as Int64?) == nil ? row["raw"] : nil
                return try Self.markSent(
                    note.outboxId, at: note.sentAt, raw: raw, inboundId: row["inboundId"], bot: bot, in: db)
            }
            foldFailure.withLock { $0 = nil }
            // Only a fold that wrote says the database takes writes again.
            if !folded.applied.isEmpty || !folded.dropped.isEmpty { databaseOutage.succeeded(logger: logger) }
            for latency in folded.applied.compactMap({ $0 }) { metrics.answerSent(afterSeconds: latency) }
            for note in folded.dropped {
                logger.warning(
                    "A sent mail's note names no such mail in the outbox; dropped",
                    metadata: ["outbox.id": "\(note.outboxId)", "message.id": "\(note.messageId)"])
            }
            return true
        } catch {
            if Store.isTemporary(error) {
                databaseOutage.failed(error, logger: logger)
            } else if foldFailure.withLock({ last in defer { last = "\(error)" }; return last != "\(error)" }) {
                // Logged once for each new error; nothing is sent meanwhile, so nothing goes out twice.
                logger.error(
                    "Cannot mark the mail noted as sent; nothing is sent until it can be",
                    metadata: [
                        "error": "\(error)",
                        "remedy": "if the sent log (bot.database with -sent added) is damaged, stop refbot and move it away; the mails noted in it may then go out a second time",
                    ])
            }
            return false
        }
    }

    /// Once the server has a mail, the copy the outbox keeps shows no reply tag (``TagRedaction``):
    /// a tag is its recipient's alone, and the database keeps only its hash.
    private func keepWithoutTags(_ id: Int64, raw: Data, in db: Database) throws {
        guard let redacted = withoutTags(raw) else { return }
        try db.executeCached(sql: "UPDATE outboxMessage SET raw = ? WHERE id = ?", arguments: [redacted, id])
    }

    /// The mail with its reply tags cut out (``TagRedaction``), or nil when it shows none.
    private func withoutTags(_ raw: Data) -> Data? {
        guard let bot else { return nil }
        return TagRedaction.redacted(raw, bot: bot)
    }

    /// Records one delivery result in its own transaction; returns whether the mail was sent.
    private func record(_ result: Result<Void, TransportError>, for row: OutboxMessage, id: Int64) throws -> Bool {
        switch result {
        case .success:
            let now = clock.now()
            if !noted(row, id: id, at: now) {
                let (raw, inboundId, bot) = (row.raw, row.inboundId, bot)
                let latency = try store.writeBlocking { db in
                    try Self.markSent(id, at: now, raw: raw, inboundId: inboundId, bot: bot, in: db)
                }
                if let latency { metrics.answerSent(afterSeconds: latency) }
            }
            outage.succeeded(logger: logger)
            quotaEased()
            logger.info("Mail sent", metadata: ["outbox.id": "\(id)", "event": "\(row.event)"])
            return true
        case .failure(let error):
            try record(error, for: row, id: id)
            return false
        }
    }

    /// Notes in the ``SentLog`` that the server accepted `row`; false when there is no log or the
    /// note cannot be written (the caller then marks the row in the database).
    private func noted(_ row: OutboxMessage, id: Int64, at now: Int64) -> Bool {
        guard let sentLog else { return false }
        do {
            try sentLog.note(outboxId: id, messageId: row.messageId, sentAt: now)
            return true
        } catch {
            logger.warning(
                "Cannot note a sent mail in the sent log; marking it in the database",
                metadata: ["outbox.id": "\(id)", "error": "\(error)"])
            return false
        }
    }

    /// Marks outbox row `id` sent at `sentAt`, its kept copy `raw` without reply tags (nil: the
    /// copy stays as it is); returns the seconds since its inbound mail arrived when it is that
    /// mail's first answer to go out (answer latency counts the first answer only).
    static func markSent(
        _ id: Int64, at sentAt: Int64, raw: Data?, inboundId: Int64?, bot: EmailAddress?, in db: Database
    ) throws -> Int64? {
        let arrived = try inboundId.flatMap { try Outbox.arrivalIfFirstAnswer(inboundId: $0, outboxId: id, in: db) }
        let redacted = raw.flatMap { raw in bot.flatMap { TagRedaction.redacted(raw, bot: $0) } }
        try Outbox.markSent(id, now: sentAt, redacted: redacted, in: db)
        return arrived.map { sentAt - $0 }
    }

    private func record(_ error: TransportError, for row: OutboxMessage, id: Int64) throws {
        let now = clock.now()
        let giveUpAt = row.firstQueuedAt + Int64(configuration.smtp.giveUpHours) * 3600
        if error.code == .quota && now < giveUpAt {
            let until = slowDown(after: error, now: now)
            try store.writeBlocking { db in try Outbox.deferDelivery(id, until: until, error: error.message, in: db) }
            logger.debug("SMTP quota: mail deferred", metadata: ["outbox.id": "\(id)", "until": "\(until)"])
            return
        }
        if error.isTemporary && now < giveUpAt {
            if error.code == .connection || error.code == .timeout || error.code == .tls {
                outage.failed(error, logger: logger)
            }
            let next = Sender.nextAttempt(
                firstQueued: row.firstQueuedAt, now: now, jitter: clock.jitter(), minimal: minimalBackoff,
                maximal: maximalBackoff)
            try store.writeBlocking { db in try Outbox.deferDelivery(id, until: next, error: error.message, in: db) }
            logger.debug("SMTP deferred", metadata: ["outbox.id": "\(id)", "error": "\(error.message)"])
            return
        }
        let reason = error.isTemporary
            ? "deferred for more than smtp.give_up_hours (\(configuration.smtp.giveUpHours) h); last error: \(error.message)"
            : error.message
        try store.writeBlocking { db in
            try Outbox.fail(id, error: reason, in: db)
            // Reported with the others in the next hourly delivery.failed summary (``reportFailures(now:)``).
            try FailureReport.noteFailed(id, at: now, in: db)
        }
        logger.error("SMTP gave up", metadata: ["outbox.id": "\(id)", "event": "\(row.event)", "error": "\(reason)"])
    }
}

/// A thread-safe count.
final class Counter: Sendable {
    private let count = Mutex(0)
    func add() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}
