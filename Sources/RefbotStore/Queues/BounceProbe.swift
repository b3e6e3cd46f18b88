import GRDB
import RefbotCore

/// A member's bounce probe (spec §2): the outbox row of the `member.probe` sent when their bounces
/// reached `mail.bounce_limit`, and resetting their bounce state.
public enum BounceProbe {
    /// The member's outstanding probe: its outbox id and when it was sent.
    public static func outstanding(memberId: Int64, in db: Database) throws -> (outboxId: Int64, sentAt: Int64)? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT bounceProbeOutboxId, bounceProbeSentAt FROM member WHERE id = ?", arguments: [memberId]),
            let outboxId: Int64 = row["bounceProbeOutboxId"], let sentAt: Int64 = row["bounceProbeSentAt"]
        else { return nil }
        return (outboxId, sentAt)
    }

    /// Records the probe just queued for the member.
    public static func recordSent(memberId: Int64, outboxId: Int64, now: Int64, in db: Database) throws {
        try db.execute(
            sql: "UPDATE member SET bounceProbeOutboxId = ?, bounceProbeSentAt = ? WHERE id = ?",
            arguments: [outboxId, now, memberId])
    }

    /// Clears the member's bounces, probe and stop, and revokes the tags of their probes. Returns the
    /// member as it was before, or `nil` when no member has that address.
    @discardableResult
    public static func reset(email: String, now: Int64, in db: Database) throws -> Member? {
        guard let member = try StoreLedger(db).member(email: email), let id = member.id else { return nil }
        try db.execute(
            sql: """
                UPDATE member SET bounceCount = 0, bounceStoppedAt = NULL, bounceProbeOutboxId = NULL,
                  bounceProbeSentAt = NULL WHERE id = ?
                """, arguments: [id])
        try db.execute(
            sql: "UPDATE replyToken SET revokedAt = ? WHERE memberEmail = ? AND action = ? AND revokedAt IS NULL",
            arguments: [now, member.email, actionName])
        return member
    }

    /// Whether the member has anything to reset.
    public static func hasBounces(_ member: Member) -> Bool { member.bounceCount > 0 || member.bounceStoppedAt != nil }

    /// The reply-tag action of a probe (``ReplyScope``).
    public static let actionName = "member.probe"
}
