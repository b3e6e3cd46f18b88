import GRDB

/// One outbound mail at a time, for `refbot admin outbox show|retry|cancel ID`.
///
/// A cancelled mail is a failed row with `cancelledAt` set ("v13: member admin"): the Sender never
/// takes it, and `--failed --retry` leaves it alone; only `retry ID` puts it back.
public enum OutboxAdmin {
    /// What happened to a mail an admin asked to cancel or retry.
    public enum Outcome: Sendable, Equatable {
        case done
        case noSuchMail
        /// The SMTP server accepted it already, at this time.
        case alreadySent(at: Int64?)
        /// Pending already (retry), or cancelled already (cancel).
        case unchanged
        /// Its body was purged (retention, erasure): nothing left to send.
        case purged
    }

    /// When the mail was cancelled, if it was.
    public static func cancelledAt(_ id: Int64, in db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT cancelledAt FROM outboxMessage WHERE id = ?", arguments: [id])
    }

    /// Whether the mail's rendered body was purged.
    public static func isPurged(_ id: Int64, in db: Database) throws -> Bool {
        try Int64.fetchOne(db, sql: "SELECT purgedAt FROM outboxMessage WHERE id = ?", arguments: [id]) != nil
    }

    /// Cancels one mail not sent yet.
    public static func cancel(_ id: Int64, now: Int64, in db: Database) throws -> Outcome {
        guard let row = try Outbox.find(id, in: db) else { return .noSuchMail }
        if row.state == .sent { return .alreadySent(at: row.sentAt) }
        if try cancelledAt(id, in: db) != nil { return .unchanged }
        try db.execute(
            sql: """
                UPDATE outboxMessage SET state = 'failed', cancelledAt = ?, lastError = 'cancelled by an admin'
                WHERE id = ? AND state <> 'sent'
                """, arguments: [now, id])
        return .done
    }

    /// Puts one failed (or cancelled) mail back in the queue, to be sent now.
    public static func retry(_ id: Int64, now: Int64, in db: Database) throws -> Outcome {
        guard let row = try Outbox.find(id, in: db) else { return .noSuchMail }
        switch row.state {
        case .sent: return .alreadySent(at: row.sentAt)
        case .pending: return .unchanged
        case .failed: break
        }
        if try isPurged(id, in: db) { return .purged }
        try db.execute(
            sql: """
                UPDATE outboxMessage SET state = 'pending', nextAttemptAt = ?, firstQueuedAt = ?, cancelledAt = NULL
                WHERE id = ? AND state = 'failed'
                """, arguments: [now, now, id])
        return .done
    }

    /// The mails of the announcement that mail `id` belongs to that are not sent yet: the
    /// `training.announcement` rows queued in the same transaction. `nil` when `id` is not an
    /// announcement's mail.
    public static func announcementSiblings(of id: Int64, in db: Database) throws -> (queuedAt: Int64, pending: [Int64])? {
        guard let row = try Outbox.find(id, in: db), row.event == "training.announcement" else { return nil }
        let queuedAt = row.firstQueuedAt
        let pending = try Int64.fetchAll(
            db,
            sql: """
                SELECT id FROM outboxMessage
                WHERE event = 'training.announcement' AND state = 'pending' AND firstQueuedAt = ?
                ORDER BY id
                """, arguments: [queuedAt])
        return (queuedAt, pending)
    }

    /// Cancels every mail of the announcement `id` belongs to that is not sent yet. Returns how
    /// many were cancelled, or `nil` when `id` is not an announcement's mail.
    public static func cancelAnnouncement(containing id: Int64, now: Int64, in db: Database) throws -> (cancelled: Int, sent: Int)? {
        guard let (queuedAt, pending) = try announcementSiblings(of: id, in: db) else { return nil }
        for row in pending {
            try db.execute(
                sql: """
                    UPDATE outboxMessage SET state = 'failed', cancelledAt = ?, lastError = 'cancelled by an admin'
                    WHERE id = ? AND state = 'pending'
                    """, arguments: [now, row])
        }
        let sent = try Int.fetchOne(
            db,
            sql: "SELECT COUNT(*) FROM outboxMessage WHERE event = 'training.announcement' AND state = 'sent' AND firstQueuedAt = ?",
            arguments: [queuedAt]) ?? 0
        return (pending.count, sent)
    }
}

/// Quarantined inbound mail, for `refbot admin quarantine list|show|export|requeue`.
public enum Quarantine {
    /// Quarantined rows, newest first.
    public static func list(limit: Int, in db: Database) throws -> [InboundMessage] {
        try InboundMessage.fetchAll(
            db, sql: "SELECT * FROM inboundMessage WHERE state = 'quarantined' ORDER BY id DESC LIMIT ?", arguments: [limit])
    }

    /// When the row was requeued, if it was.
    public static func requeuedAt(_ id: Int64, in db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT requeuedAt FROM inboundMessage WHERE id = ?", arguments: [id])
    }

    /// Whether the raw mail was purged.
    public static func isPurged(_ id: Int64, in db: Database) throws -> Bool {
        try Int64.fetchOne(db, sql: "SELECT purgedAt FROM inboundMessage WHERE id = ?", arguments: [id]) != nil
    }

    /// What ``requeue(_:now:in:)`` did.
    public enum RequeueOutcome: Sendable, Equatable {
        case requeued
        case noSuchMail
        /// The row is not quarantined (it is `received`, `done` or `ignored`).
        case notQuarantined(state: String)
        /// It was requeued once already, at this time, and failed again.
        case requeuedBefore(at: Int64)
        /// No bytes are stored (too large to fetch, or purged): nothing to process.
        case purged
    }

    /// Puts a quarantined mail back in the inbound queue, attempts reset, to be processed once
    /// more. Only once per mail: a second requeue is refused. The replay guard still applies, so a
    /// command that ran from another copy of the mail does not run again.
    public static func requeue(_ id: Int64, now: Int64, in db: Database) throws -> RequeueOutcome {
        guard let row = try InboundQueue.find(id, in: db) else { return .noSuchMail }
        guard row.state == .quarantined else { return .notQuarantined(state: row.state.rawValue) }
        if let at = try requeuedAt(id, in: db) { return .requeuedBefore(at: at) }
        if try row.raw.isEmpty || isPurged(id, in: db) { return .purged }
        try db.execute(
            sql: """
                UPDATE inboundMessage SET state = 'received', attempts = 0, processedAt = NULL, disposition = NULL,
                  requeuedAt = ? WHERE id = ? AND state = 'quarantined'
                """, arguments: [now, id])
        return db.changesCount == 1 ? .requeued : .notQuarantined(state: row.state.rawValue)
    }
}
