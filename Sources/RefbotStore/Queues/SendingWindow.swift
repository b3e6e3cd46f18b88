import GRDB
import RefbotCore

/// What the Sender needs to pace itself below `smtp.max_per_minute` / `smtp.max_per_day` and to
/// put member answers before bulk mail: the recipients really sent in a rolling window (from the
/// outbox's sent times, so it survives restarts) and the due rows in priority order.
public enum SendingWindow {
    /// Events sent to many members at once (announcements, new listings to followers, digests):
    /// they wait while answers and notifications are due.
    public static let bulkEvents: [String] = [
        MailEvent.trainingAnnouncement.rawValue, MailEvent.listingNew.rawValue, MailEvent.digest.rawValue,
        MailEvent.recognitionMonthly.rawValue,
    ]

    /// Recipients of mail the server accepted after `time` (each row counts its envelope recipients).
    public static func recipientsSent(after time: Int64, in db: Database) throws -> Int {
        try Int.fetchOne(
            cached: db,
            sql: """
                SELECT COALESCE(SUM(length(recipients) - length(replace(recipients, char(10), '')) + 1), 0)
                FROM outboxMessage WHERE state = 'sent' AND sentAt > ?
                """, arguments: [time]) ?? 0
    }

    /// The sent time of the oldest sent row after `time`: when the window starts to free up.
    public static func oldestSent(after time: Int64, in db: Database) throws -> Int64? {
        try Int64.fetchOne(
            cached: db, sql: "SELECT MIN(sentAt) FROM outboxMessage WHERE state = 'sent' AND sentAt > ?", arguments: [time])
    }

    /// Pending rows due at `now`, answers and notifications before ``bulkEvents``; within each,
    /// fresh and retried rows alternate as in ``Outbox/due(now:limit:in:)``.
    public static func due(now: Int64, limit: Int, in db: Database) throws -> [OutboxMessage] {
        let marks = bulkEvents.map { _ in "?" }.joined(separator: ", ")
        let first = try due(now: now, limit: limit, filter: "event NOT IN (\(marks))", in: db)
        guard first.count < limit else { return first }
        return first + (try due(now: now, limit: limit - first.count, filter: "event IN (\(marks))", in: db))
    }

    private static func due(now: Int64, limit: Int, filter: String, in db: Database) throws -> [OutboxMessage] {
        try Outbox.due(now: now, limit: limit, filter: filter, arguments: StatementArguments(bulkEvents), in: db)
    }
}

/// Mail given up on, reported to the admins in one `delivery.failed` summary at most once an hour.
public enum FailureReport {
    /// Notes when a row was given up on; it waits for the next summary.
    public static func noteFailed(_ id: Int64, at time: Int64, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE outboxMessage SET failedAt = ?, failureReportedAt = NULL WHERE id = ?", arguments: [time, id])
    }

    /// Failed rows not yet reported, oldest failure first. Failed reports themselves
    /// (`delivery.failed`, `admin.summary`) are never listed: that could loop while the admins'
    /// own address refuses mail.
    public static func unreported(in db: Database) throws -> [(row: OutboxMessage, failedAt: Int64)] {
        try Row.fetchAll(
            cached: db,
            sql: """
                SELECT * FROM outboxMessage
                WHERE failureReportedAt IS NULL AND failedAt IS NOT NULL AND state = 'failed'
                  AND event NOT IN (?, ?)
                ORDER BY failedAt, id
                """, arguments: [MailEvent.deliveryFailed.rawValue, MailEvent.adminSummary.rawValue]
        ).map { row in (try OutboxMessage(row: row), row["failedAt"]) }
    }

    /// When the last summary was queued, if ever.
    public static func lastReportAt(in db: Database) throws -> Int64? {
        try Int64.fetchOne(cached: db, sql: "SELECT MAX(failureReportedAt) FROM outboxMessage")
    }

    /// Marks rows as reported at `time`.
    public static func markReported(_ ids: [Int64], at time: Int64, in db: Database) throws {
        for id in ids {
            try db.executeCached(sql: "UPDATE outboxMessage SET failureReportedAt = ? WHERE id = ?", arguments: [time, id])
        }
    }
}
