import GRDB

/// The notices refbot sends the admins on its own (quarantined mail, mail given up on, members
/// whose mail bounces): each is recorded with a one-line summary, as mailed on its own or as
/// waiting for the next summary mail (`mail.admin_notices_per_hour`).
public enum AdminNoticeLog {
    /// One notice kept for a summary.
    public struct Waiting: Sendable, Equatable {
        public var id: Int64
        public var event: String
        public var summary: String
        public var createdAt: Int64
    }

    /// How many notices were mailed on their own since `time`.
    public static func mailedCount(since time: Int64, in db: Database) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM adminNotice WHERE mailed = 1 AND createdAt > ?", arguments: [time]) ?? 0
    }

    /// Records a notice; `mailed` says whether it went out on its own. Forgets, after a week,
    /// notices that need nothing more.
    public static func record(event: String, summary: String, mailed: Bool, now: Int64, in db: Database) throws {
        try db.execute(
            sql: "INSERT INTO adminNotice (event, summary, createdAt, mailed) VALUES (?, ?, ?, ?)",
            arguments: [event, summary, now, mailed ? 1 : 0])
        try db.execute(
            sql: "DELETE FROM adminNotice WHERE createdAt < ? AND (mailed = 1 OR summarizedAt IS NOT NULL)",
            arguments: [now - 7 * 86_400])
    }

    /// Whether any notice waits for a summary.
    public static func hasWaiting(in db: Database) throws -> Bool {
        try Bool.fetchOne(
            db, sql: "SELECT EXISTS (SELECT 1 FROM adminNotice WHERE summarizedAt IS NULL AND mailed = 0)") ?? false
    }

    /// The notices waiting for a summary, oldest first.
    public static func waiting(in db: Database) throws -> [Waiting] {
        try Row.fetchAll(
            db, sql: "SELECT id, event, summary, createdAt FROM adminNotice WHERE mailed = 0 AND summarizedAt IS NULL ORDER BY id"
        ).map { row in Waiting(id: row["id"], event: row["event"], summary: row["summary"], createdAt: row["createdAt"]) }
    }

    /// When the last summary went out, if ever (within the week kept).
    public static func lastSummaryAt(in db: Database) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT MAX(summarizedAt) FROM adminNotice")
    }

    /// Marks notices as sent in a summary at `time`.
    public static func markSummarized(_ ids: [Int64], at time: Int64, in db: Database) throws {
        guard let first = ids.min(), let last = ids.max() else { return }
        try db.execute(
            sql: "UPDATE adminNotice SET summarizedAt = ? WHERE mailed = 0 AND summarizedAt IS NULL AND id BETWEEN ? AND ?",
            arguments: [time, first, last])
    }
}
