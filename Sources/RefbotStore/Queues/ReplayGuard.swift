import GRDB
import RefbotCore

/// Acts on a command once per (Message-ID, `From:`), whatever bytes surround it: a signed mail
/// re-injected with new `Received:` fields (or delivered to two of refbot's addresses) is the same
/// command, and is not run twice.
///
/// ```swift
/// if let first = try ReplayGuard.firstSeen(messageId: id, sender: from, in: db) { … ignore, a replay of row `first` }
/// try ReplayGuard.record(messageId: id, sender: from, inboundId: row, now: now, in: db)
/// ```
public enum ReplayGuard {
    /// The inbound row that first carried this Message-ID from this sender, if one was acted on.
    /// Message-IDs are compared as written; senders ASCII-lowercased.
    public static func firstSeen(messageId: String, sender: String, in db: Database) throws -> Int64?? {
        try db.firstRow(
            cached: "SELECT inboundId FROM commandSeen WHERE messageId = ? AND sender = ?",
            arguments: [messageId, Member.normalizedEmail(sender)]
        ) { row in row[0] as Int64? }
    }

    /// Records that the command of this mail is being acted on, in the caller's transaction.
    public static func record(messageId: String, sender: String, inboundId: Int64, now: Int64, in db: Database) throws {
        try db.executeCached(
            sql: "INSERT OR IGNORE INTO commandSeen (messageId, sender, inboundId, seenAt) VALUES (?, ?, ?, ?)",
            arguments: [messageId, Member.normalizedEmail(sender), inboundId, now])
    }
}
