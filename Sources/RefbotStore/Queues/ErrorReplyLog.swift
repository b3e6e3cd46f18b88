import GRDB
import RefbotCore

/// Remembers `command.error` replies per sender, for `mail.error_replies_per_hour`.
public enum ErrorReplyLog {
    /// How many error replies went to `sender` in the hour before `now`.
    public static func countLastHour(sender: String, now: Int64, in db: Database) throws -> Int {
        try Int.fetchOne(
            db, sql: "SELECT COUNT(*) FROM errorReply WHERE sender = ? AND sentAt > ?",
            arguments: [Member.normalizedEmail(sender), now - 3600]) ?? 0
    }

    /// Records one error reply, and forgets those older than a day.
    public static func record(sender: String, now: Int64, in db: Database) throws {
        try db.execute(sql: "INSERT INTO errorReply (sender, sentAt) VALUES (?, ?)", arguments: [Member.normalizedEmail(sender), now])
        try db.execute(sql: "DELETE FROM errorReply WHERE sentAt < ?", arguments: [now - 86_400])
    }
}
