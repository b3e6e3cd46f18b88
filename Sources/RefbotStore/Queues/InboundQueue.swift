import GRDB

/// The inbound queue: mail stored before it is acted on, deduplicated on its IMAP identity.
///
/// Only the Fetcher inserts. The Processor takes ``due(limit:in:)`` rows, acts on each in one
/// transaction and marks it done or ignored there; a failure counts an attempt in its own
/// transaction, and the third quarantines the row.
///
/// ```swift
/// let outcome = try InboundQueue.insertIfNew(message, in: db)   // .inserted or .duplicate
/// ```
public enum InboundQueue {
    /// What ``insertIfNew(_:in:)`` did.
    public enum InsertOutcome: Sendable, Equatable {
        case inserted(Int64)
        /// The same mail was stored before (same UIDVALIDITY and UID, or the same Message-ID and bytes).
        case duplicate(Int64)
    }

    /// Stores a fetched mail unless it is already stored.
    ///
    /// A mail is the same when its `(uidValidity, uid)` is, or, after a UIDVALIDITY change, when
    /// its Message-ID and raw bytes are.
    public static func insertIfNew(_ message: InboundMessage, in db: Database) throws -> InsertOutcome {
        if let existing = try Int64.fetchOne(
            cached: db, sql: "SELECT id FROM inboundMessage WHERE uidValidity = ? AND uid = ?",
            arguments: [message.uidValidity, message.uid])
        {
            return .duplicate(existing)
        }
        if let messageId = message.messageId,
            let existing = try Int64.fetchOne(
                cached: db, sql: "SELECT id FROM inboundMessage WHERE messageId = ? AND raw = ? LIMIT 1",
                arguments: [messageId, message.raw])
        {
            return .duplicate(existing)
        }
        guard message.id == nil else {
            var row = message
            try row.insert(db)
            guard let id = row.id else {
                throw StoreError(code: .invalidState, message: "inserted inbound mail has no id")
            }
            return .inserted(id)
        }
        return .inserted(try db.insertCached(sql: InboundMessage.insertSQL, values: message.storedValues))
    }

    /// Rows waiting to be acted on, oldest first (`inboundMessage_state`; a cached statement, as
    /// the Processor asks at every pass).
    public static func due(limit: Int, after id: Int64 = 0, in db: Database) throws -> [InboundMessage] {
        try InboundMessage.fetchAll(
            cached: db, sql: "SELECT * FROM inboundMessage WHERE state = 'received' AND id > ? ORDER BY id LIMIT ?",
            arguments: [id, limit])
    }

    /// One row by id.
    public static func find(_ id: Int64, in db: Database) throws -> InboundMessage? {
        try InboundMessage.fetchOne(db, key: id)
    }

    /// Marks a row acted on.
    public static func markDone(_ id: Int64, disposition: String, now: Int64, in db: Database) throws {
        try setFinal(id, state: .done, disposition: disposition, now: now, in: db)
    }

    /// Marks a row deliberately left unanswered, with the rule that decided it.
    public static func markIgnored(_ id: Int64, rule: String, now: Int64, in db: Database) throws {
        try setFinal(id, state: .ignored, disposition: rule, now: now, in: db)
    }

    /// Marks a row quarantined at once (a mail that can never be handled, such as one past the size limit).
    public static func markQuarantined(_ id: Int64, reason: String, now: Int64, in db: Database) throws {
        try db.executeCached(
            sql: """
                UPDATE inboundMessage SET state = 'quarantined', lastError = ?, processedAt = ?,
                  disposition = 'quarantined' WHERE id = ? AND state = 'received'
                """, arguments: [reason, now, id])
    }

    /// Counts a failed attempt; at `quarantineAt` attempts the row is quarantined. Returns whether it was.
    @discardableResult
    public static func recordFailure(
        _ id: Int64, error: String, quarantineAt: Int = 3, now: Int64, in db: Database
    ) throws -> Bool {
        try db.executeCached(
            sql: "UPDATE inboundMessage SET attempts = attempts + 1, lastError = ? WHERE id = ? AND state = 'received'",
            arguments: [error, id])
        let attempts = try Int.fetchOne(cached: db, sql: "SELECT attempts FROM inboundMessage WHERE id = ?", arguments: [id]) ?? 0
        if attempts >= quarantineAt {
            try markQuarantined(id, reason: error, now: now, in: db)
            return true
        }
        return false
    }

    /// Records where the original was filed in IMAP.
    public static func recordFiled(_ id: Int64, folder: String, uid: Int64?, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE inboundMessage SET filedFolder = ?, filedUid = ? WHERE id = ?", arguments: [folder, uid, id])
    }

    /// Quarantined rows whose original still has to be moved to the quarantine folder.
    public static func awaitingQuarantineFiling(in db: Database) throws -> [InboundMessage] {
        try InboundMessage
            .filter(InboundMessage.Columns.state == InboundMessage.State.quarantined.rawValue)
            .filter(InboundMessage.Columns.quarantineFiled == false)
            .order(InboundMessage.Columns.id)
            .fetchAll(db)
    }

    /// Records that a quarantined row's original is now in the quarantine folder.
    public static func recordQuarantineFiled(_ id: Int64, folder: String, uid: Int64?, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE inboundMessage SET quarantineFiled = 1, filedFolder = ?, filedUid = ? WHERE id = ?",
            arguments: [folder, uid, id])
    }

    /// Counts of rows by state.
    public static func counts(in db: Database) throws -> [InboundMessage.State: Int] {
        var result: [InboundMessage.State: Int] = [:]
        for row in try Row.fetchAll(cached: db, sql: "SELECT state, COUNT(*) AS n FROM inboundMessage GROUP BY state") {
            if let state = InboundMessage.State(rawValue: row["state"]) { result[state] = row["n"] }
        }
        return result
    }

    private static func setFinal(
        _ id: Int64, state: InboundMessage.State, disposition: String, now: Int64, in db: Database
    ) throws {
        try db.executeCached(
            sql: "UPDATE inboundMessage SET state = ?, disposition = ?, processedAt = ? WHERE id = ? AND state = 'received'",
            arguments: [state.rawValue, disposition, now, id])
        guard db.changesCount == 1 else {
            throw StoreError(code: .invalidState, message: "inbound mail \(id) is not waiting to be processed")
        }
    }
}
