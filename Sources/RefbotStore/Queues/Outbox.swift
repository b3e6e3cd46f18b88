import Foundation
import GRDB

/// The outbox: every mail refbot sends is a row here first, committed with the change that caused it.
///
/// The Sender takes ``due(now:limit:in:)`` rows and marks each sent, deferred or failed.
/// A crash after the SMTP server's 250 and before ``markSent(_:now:in:)`` sends the row again
/// with the same Message-ID (RFC 1047); that window is the one duplicate SMTP cannot rule out.
///
/// ```swift
/// try store.write { db in
///     … change state …
///     try Outbox.enqueue(row, envelopeFrom: { composer.envelopeFrom(outboxId: $0, recipients: row.recipientList) }, in: db)
/// }
/// ```
public enum Outbox {
    /// Inserts a mail and sets its envelope sender from its new id (VERP). Returns the id.
    @discardableResult
    public static func enqueue(
        _ message: OutboxMessage, envelopeFrom: (Int64) -> String, in db: Database
    ) throws -> Int64 {
        // The id SQLite would give the row (the largest plus one; this runs in the caller's write
        // transaction), taken first so that the row, mail and all, is written once.
        let id = try Int64.fetchOne(cached: db, sql: "SELECT coalesce(max(id), 0) + 1 FROM outboxMessage") ?? 1
        var row = message
        row.envelopeFrom = envelopeFrom(id)
        try db.executeCached(sql: OutboxMessage.insertSQL, arguments: StatementArguments([id] + row.storedValues))
        return id
    }

    /// Pending rows due at `now`: fresh and retried rows alternate, each in the order they fell due
    /// (so a backlog of retries cannot starve new mail, nor the reverse). Both read
    /// `outboxMessage_due` in its own order, so a large backlog is neither scanned nor sorted.
    public static func due(now: Int64, limit: Int, in db: Database) throws -> [OutboxMessage] {
        try due(now: now, limit: limit, filter: "1", arguments: [], in: db)
    }

    /// ``due(now:limit:in:)`` of the rows that also match the SQL `filter` (with its `arguments`).
    /// `filter` is constant text (values go in `arguments`): each form is prepared once per connection.
    static func due(
        now: Int64, limit: Int, filter: String, arguments: StatementArguments, in db: Database
    ) throws -> [OutboxMessage] {
        let fresh = try OutboxMessage.fetchAll(
            cached: db,
            sql: """
                SELECT * FROM outboxMessage WHERE state = 'pending' AND attempts = 0 AND nextAttemptAt <= ? AND \(filter)
                ORDER BY nextAttemptAt, id LIMIT ?
                """, arguments: [now] + arguments + [limit])
        let retries = try OutboxMessage.fetchAll(
            cached: db,
            sql: """
                SELECT * FROM outboxMessage WHERE state = 'pending' AND attempts > 0 AND nextAttemptAt <= ? AND \(filter)
                ORDER BY nextAttemptAt, id LIMIT ?
                """, arguments: [now] + arguments + [limit])
        var result: [OutboxMessage] = []
        var freshIterator = fresh.makeIterator()
        var retryIterator = retries.makeIterator()
        while result.count < limit {
            let a = freshIterator.next()
            let b = retryIterator.next()
            if a == nil && b == nil { break }
            if let a { result.append(a) }
            if let b, result.count < limit { result.append(b) }
        }
        return result
    }

    /// Marks a row accepted by the SMTP server.
    public static func markSent(_ id: Int64, now: Int64, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE outboxMessage SET state = 'sent', sentAt = ?, attempts = attempts + 1, lastError = NULL WHERE id = ?",
            arguments: [now, id])
    }

    /// ``markSent(_:now:in:)`` that also replaces the kept copy of the mail with `redacted` when
    /// given (the row, mail and all, is written once).
    public static func markSent(_ id: Int64, now: Int64, redacted: Data?, in db: Database) throws {
        guard let redacted else { return try markSent(id, now: now, in: db) }
        try db.executeCached(
            sql: "UPDATE outboxMessage SET state = 'sent', sentAt = ?, attempts = attempts + 1, lastError = NULL, raw = ? WHERE id = ?",
            arguments: [now, redacted, id])
    }

    /// Records a temporary failure and when to try again.
    public static func deferDelivery(_ id: Int64, until next: Int64, error: String, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE outboxMessage SET attempts = attempts + 1, nextAttemptAt = ?, lastError = ? WHERE id = ?",
            arguments: [next, error, id])
    }

    /// Gives up on a row.
    public static func fail(_ id: Int64, error: String, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE outboxMessage SET state = 'failed', attempts = attempts + 1, lastError = ? WHERE id = ?",
            arguments: [error, id])
    }

    /// Puts failed rows (all, or the given ids) back in the queue to be sent now. Returns how many.
    /// A row whose body was purged (``Retention``, erasure) has nothing left to send and stays failed;
    /// without ids, a row an admin cancelled stays cancelled.
    @discardableResult
    public static func retryFailed(ids: [Int64]? = nil, now: Int64, in db: Database) throws -> Int {
        if let ids {
            for id in ids {
                try db.executeCached(
                    sql: """
                        UPDATE outboxMessage SET state = 'pending', nextAttemptAt = ?, firstQueuedAt = ?
                        WHERE id = ? AND state = 'failed' AND purgedAt IS NULL
                        """, arguments: [now, now, id])
            }
        } else {
            try db.executeCached(
                sql: "UPDATE outboxMessage SET state = 'pending', nextAttemptAt = ?, firstQueuedAt = ? WHERE state = 'failed' AND purgedAt IS NULL AND cancelledAt IS NULL",
                arguments: [now, now])
        }
        return db.changesCount
    }

    /// When inbound mail `inboundId` was stored, if no other of its answers than `outboxId` has been
    /// sent yet; nil otherwise. The Sender asks once per mail sent (answer latency counts the first
    /// answer only); `outboxMessage_inbound` keeps it from walking every sent row.
    public static func arrivalIfFirstAnswer(inboundId: Int64, outboxId: Int64, in db: Database) throws -> Int64? {
        try Int64.fetchOne(
            cached: db,
            sql: """
                SELECT receivedAt FROM inboundMessage WHERE id = ? AND NOT EXISTS
                  (SELECT 1 FROM outboxMessage WHERE inboundId = ? AND state = 'sent' AND id <> ?)
                """,
            arguments: [inboundId, inboundId, outboxId])
    }

    /// The number of rows waiting to be sent.
    public static func depth(in db: Database) throws -> Int {
        try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE state = 'pending'") ?? 0
    }

    /// The earliest `nextAttemptAt` of a pending row, if any.
    public static func nextDue(in db: Database) throws -> Int64? {
        try Int64.fetchOne(cached: db, sql: "SELECT MIN(nextAttemptAt) FROM outboxMessage WHERE state = 'pending'")
    }

    /// Rows in a state, newest first.
    public static func list(state: OutboxMessage.State, limit: Int = 100, in db: Database) throws -> [OutboxMessage] {
        try OutboxMessage.fetchAll(
            cached: db, sql: "SELECT * FROM outboxMessage WHERE state = ? ORDER BY id DESC LIMIT ?",
            arguments: [state.rawValue, limit])
    }

    /// One row by id.
    public static func find(_ id: Int64, in db: Database) throws -> OutboxMessage? {
        try OutboxMessage.fetchOne(db, key: id)
    }

    /// Counts of rows by state.
    public static func counts(in db: Database) throws -> [OutboxMessage.State: Int] {
        var result: [OutboxMessage.State: Int] = [:]
        for row in try Row.fetchAll(cached: db, sql: "SELECT state, COUNT(*) AS n FROM outboxMessage GROUP BY state") {
            if let state = OutboxMessage.State(rawValue: row["state"]) { result[state] = row["n"] }
        }
        return result
    }
}
