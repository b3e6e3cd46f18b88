import GRDB

/// Purges raw mail that is done with (`mail.retention_days`): the bytes of inbound mail that was
/// acted on and filed, and of outbound mail that was sent or given up on. The rows stay, with
/// `purgedAt`, so the ledger and the outbox history keep their shape.
///
/// Never purged: inbound mail still waiting to be processed, mail the Fetcher has not yet filed
/// in IMAP, the mail of a held command that still waits for CONFIRM (the Processor reads it again
/// then), and outbound mail still waiting to be sent.
///
/// ```swift
/// let purged = try Retention.purge(olderThan: now - 30 * 86_400, now: now, linkUIDValidity: -1, in: db)
/// ```
public enum Retention {
    /// How many rows a purge emptied.
    public struct Purged: Sendable, Equatable {
        public var inbound: Int
        public var outbound: Int
        public init(inbound: Int = 0, outbound: Int = 0) {
            self.inbound = inbound
            self.outbound = outbound
        }
        public var total: Int { inbound + outbound }
    }

    /// Empties the raw bytes of at most `limit` inbound and `limit` outbound rows of done mail whose
    /// work ended at or before `cutoff` (call again while it returns a full batch: a short
    /// transaction each). `linkUIDValidity` marks the inbound rows one-click links made, which
    /// are never in IMAP.
    public static func purge(
        olderThan cutoff: Int64, now: Int64, linkUIDValidity: Int64, limit: Int = 500, in db: Database
    ) throws -> Purged {
        try db.execute(
            sql: """
                UPDATE inboundMessage SET raw = X'', purgedAt = ? WHERE id IN (
                  SELECT id FROM inboundMessage
                  WHERE purgedAt IS NULL AND processedAt IS NOT NULL AND processedAt <= ?
                    AND ((state IN ('done', 'ignored') AND (filedFolder IS NOT NULL OR uidValidity = ?))
                      OR (state = 'quarantined' AND (quarantineFiled = 1 OR uidValidity = ?)))
                    AND id NOT IN (SELECT inboundId FROM heldCommand WHERE confirmedAt IS NULL AND expiresAt > ?)
                  LIMIT ?)
                """, arguments: [now, cutoff, linkUIDValidity, linkUIDValidity, now, limit])
        let inbound = db.changesCount
        try db.execute(
            sql: """
                UPDATE outboxMessage SET raw = X'', purgedAt = ? WHERE id IN (
                  SELECT id FROM outboxMessage
                  WHERE purgedAt IS NULL
                    AND ((state = 'sent' AND sentAt <= ?) OR (state = 'failed' AND nextAttemptAt <= ?))
                  LIMIT ?)
                """, arguments: [now, cutoff, cutoff, limit])
        return Purged(inbound: inbound, outbound: db.changesCount)
    }
}
