import GRDB

/// Bounces received for mail refbot sent.
public enum BounceLog {
    /// Records a bounce and returns how many bounces that recipient has now.
    @discardableResult
    public static func record(
        outboxId: Int64?, recipient: String, status: String, inboundId: Int64?, now: Int64, in db: Database
    ) throws -> Int {
        let known = try outboxId.flatMap { try Int64.fetchOne(cached: db, sql: "SELECT id FROM outboxMessage WHERE id = ?", arguments: [$0]) }
        try db.executeCached(
            sql: "INSERT INTO bounce (outboxId, recipient, status, inboundId, receivedAt) VALUES (?, ?, ?, ?, ?)",
            arguments: [known, recipient.lowercased(), status, inboundId, now])
        return try count(recipient: recipient, in: db)
    }

    /// How many bounces a recipient has had.
    public static func count(recipient: String, in db: Database) throws -> Int {
        try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM bounce WHERE recipient = ?", arguments: [recipient.lowercased()]) ?? 0
    }
}
