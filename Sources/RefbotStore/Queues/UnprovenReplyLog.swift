import GRDB

/// Remembers the automatic answers sent to addresses that are not proven members, for
/// `mail.replies_per_address_per_hour` and `mail.unproven_replies_per_hour`. The caller passes the
/// counting key of the address (``ReplyBudget``'s normal form), so every case and `+` variant of
/// one mailbox counts as one.
public enum UnprovenReplyLog {
    /// How many answers went to `address` since `time`, counted up to `limit` at most (a cap is
    /// checked against it; the count stops there rather than walk a busy hour's every row).
    public static func count(address: String, since time: Int64, upTo limit: Int, in db: Database) throws -> Int {
        try Int.fetchOne(
            cached: db,
            sql: "SELECT COUNT(*) FROM (SELECT 1 FROM unprovenReply WHERE address = ? AND sentAt > ? LIMIT ?)",
            arguments: [address, time, limit]) ?? 0
    }

    /// How many answers went to any unproven address since `time`, counted up to `limit` at most.
    public static func countAll(since time: Int64, upTo limit: Int, in db: Database) throws -> Int {
        try Int.fetchOne(
            cached: db, sql: "SELECT COUNT(*) FROM (SELECT 1 FROM unprovenReply WHERE sentAt > ? LIMIT ?)",
            arguments: [time, limit]) ?? 0
    }

    /// Whether at least `limit` answers went to unproven addresses since `time`. When the whole
    /// table (a day of answers) holds fewer rows than that, one count of its smallest index's pages
    /// settles it; only otherwise is the window walked, up to `limit` rows. (A cap set far above
    /// the traffic, as a benchmark sets it, would otherwise walk the hour's every row per mail.)
    public static func reached(_ limit: Int, since time: Int64, in db: Database) throws -> Bool {
        let total = try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM unprovenReply") ?? 0
        if total < limit { return false }
        return try countAll(since: time, upTo: limit, in: db) >= limit
    }

    /// Records one answer, and forgets those older than a day.
    public static func record(address: String, event: String, now: Int64, in db: Database) throws {
        try db.executeCached(
            sql: "INSERT INTO unprovenReply (address, event, sentAt) VALUES (?, ?, ?)", arguments: [address, event, now])
        try db.executeCached(sql: "DELETE FROM unprovenReply WHERE sentAt < ?", arguments: [now - 86_400])
    }
}
