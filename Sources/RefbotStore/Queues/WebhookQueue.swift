import Foundation
import GRDB

/// One POST of one event to one configured webhook url, waiting for, or past, delivery.
public struct WebhookDelivery: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    /// Where a delivery stands.
    public enum State: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
        /// Waiting to be posted, now or at `nextAttemptAt`.
        case pending
        /// The receiver answered 2xx.
        case delivered
        /// Given up on after the webhook's `max_attempts`.
        case failed
    }

    public static let databaseTableName = "webhookDelivery"

    public var id: Int64?
    /// The `Refbot-Delivery` header: stable across retries and restarts.
    public var deliveryId: String
    /// The payload's `id`: the same for every url the state change is posted to.
    public var eventId: String
    /// The configured url, copied from the configuration when the row was written.
    public var url: String
    /// The `X-Refbot-Event` name.
    public var event: String
    /// `type:id` of the object, e.g. `referral:R-12`: rows of one object go out in order.
    public var objectKey: String
    /// Keeps one row per url for one state change that mails several people.
    public var dedupeKey: String
    /// The JSON posted, the same bytes on every attempt.
    public var body: String
    public var state: State
    public var attempts: Int
    public var createdAt: Int64
    public var nextAttemptAt: Int64
    public var deliveredAt: Int64?
    public var failedAt: Int64?
    /// The HTTP status of the last attempt, if the receiver answered.
    public var lastStatus: Int?
    public var lastError: String?

    public init(
        deliveryId: String, eventId: String, url: String, event: String, objectKey: String, dedupeKey: String,
        body: String, createdAt: Int64
    ) {
        self.deliveryId = deliveryId
        self.eventId = eventId
        self.url = url
        self.event = event
        self.objectKey = objectKey
        self.dedupeKey = dedupeKey
        self.body = body
        self.state = .pending
        self.attempts = 0
        self.createdAt = createdAt
        self.nextAttemptAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// The webhook queue: every POST refbot makes is a row here first, written in the transaction of
/// the state change it reports (like ``Outbox``).
///
/// Rows of one object go to one url in id order: ``due(url:now:limit:in:)`` never returns a row
/// while an older row of the same object for the same url is still pending, so a later event for
/// R-12 waits until the earlier one is delivered or given up.
public enum WebhookQueue {
    /// Inserts a delivery unless the url already has one with the same `dedupeKey` (the same state
    /// change, mailed to several people). Returns whether a row was written.
    @discardableResult
    public static func enqueue(_ delivery: WebhookDelivery, in db: Database) throws -> Bool {
        var row = delivery
        try row.insert(db, onConflict: .ignore)
        return db.changesCount > 0
    }

    /// Pending rows for `url` due at `now` whose object has no older pending row for that url, oldest first.
    public static func due(url: String, now: Int64, limit: Int, in db: Database) throws -> [WebhookDelivery] {
        try WebhookDelivery.fetchAll(
            cached: db,
            sql: """
                SELECT * FROM webhookDelivery w
                WHERE w.url = ? AND w.state = 'pending' AND w.nextAttemptAt <= ?
                  AND NOT EXISTS (
                    SELECT 1 FROM webhookDelivery e
                    WHERE e.url = w.url AND e.objectKey = w.objectKey AND e.state = 'pending' AND e.id < w.id)
                ORDER BY w.id LIMIT ?
                """, arguments: [url, now, limit])
    }

    /// Marks a row delivered (the receiver answered 2xx).
    public static func markDelivered(_ id: Int64, status: Int, now: Int64, in db: Database) throws {
        try db.executeCached(
            sql: """
                UPDATE webhookDelivery SET state = 'delivered', deliveredAt = ?, attempts = attempts + 1,
                  lastStatus = ?, lastError = NULL WHERE id = ?
                """, arguments: [now, status, id])
    }

    /// Records a failed attempt and when to try again.
    public static func deferDelivery(_ id: Int64, until next: Int64, status: Int?, error: String, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE webhookDelivery SET attempts = attempts + 1, nextAttemptAt = ?, lastStatus = ?, lastError = ? WHERE id = ?",
            arguments: [next, status, error, id])
    }

    /// Gives up on a row.
    public static func fail(_ id: Int64, status: Int?, error: String, now: Int64, in db: Database) throws {
        try db.executeCached(
            sql: """
                UPDATE webhookDelivery SET state = 'failed', failedAt = ?, attempts = attempts + 1, lastStatus = ?,
                  lastError = ? WHERE id = ?
                """, arguments: [now, status, error, id])
    }

    /// Puts failed rows (all, or the given ids) back in the queue to be posted now, with their
    /// attempts counted afresh. Returns how many.
    @discardableResult
    public static func retryFailed(ids: [Int64]? = nil, now: Int64, in db: Database) throws -> Int {
        var changed = 0
        if let ids {
            for id in ids {
                try db.executeCached(
                    sql: "UPDATE webhookDelivery SET state = 'pending', attempts = 0, nextAttemptAt = ?, failedAt = NULL WHERE id = ? AND state = 'failed'",
                    arguments: [now, id])
                changed += db.changesCount
            }
        } else {
            try db.executeCached(
                sql: "UPDATE webhookDelivery SET state = 'pending', attempts = 0, nextAttemptAt = ?, failedAt = NULL WHERE state = 'failed'",
                arguments: [now])
            changed = db.changesCount
        }
        return changed
    }

    /// Rows in a state, oldest first.
    public static func list(state: WebhookDelivery.State, limit: Int = 100, in db: Database) throws -> [WebhookDelivery] {
        try WebhookDelivery.fetchAll(
            cached: db, sql: "SELECT * FROM webhookDelivery WHERE state = ? ORDER BY id LIMIT ?", arguments: [state.rawValue, limit])
    }

    /// Every row for one url, oldest first (tests and the admin command).
    public static func all(url: String? = nil, in db: Database) throws -> [WebhookDelivery] {
        if let url {
            return try WebhookDelivery.fetchAll(cached: db, sql: "SELECT * FROM webhookDelivery WHERE url = ? ORDER BY id", arguments: [url])
        }
        return try WebhookDelivery.fetchAll(cached: db, sql: "SELECT * FROM webhookDelivery ORDER BY id")
    }

    /// Counts of rows by state.
    public static func counts(in db: Database) throws -> [WebhookDelivery.State: Int] {
        var result: [WebhookDelivery.State: Int] = [:]
        for row in try Row.fetchAll(cached: db, sql: "SELECT state, COUNT(*) AS n FROM webhookDelivery GROUP BY state") {
            if let state = WebhookDelivery.State(rawValue: row["state"]) { result[state] = row["n"] }
        }
        return result
    }

    /// Deletes at most `limit` rows delivered, or given up on, at or before `cutoff` (their body may
    /// name members and customers: kept no longer than mail is). Returns how many.
    @discardableResult
    public static func purge(olderThan cutoff: Int64, limit: Int = 500, in db: Database) throws -> Int {
        try db.executeCached(
            sql: """
                DELETE FROM webhookDelivery WHERE id IN (
                  SELECT id FROM webhookDelivery
                  WHERE (state = 'delivered' AND deliveredAt <= ?) OR (state = 'failed' AND failedAt <= ?)
                  LIMIT ?)
                """, arguments: [cutoff, cutoff, limit])
        return db.changesCount
    }

    /// The number of rows waiting to be posted.
    public static func depth(in db: Database) throws -> Int {
        try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM webhookDelivery WHERE state = 'pending'") ?? 0
    }
}
