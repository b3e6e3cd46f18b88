import GRDB
import RefbotCore

/// Member changes only an admin makes: suspend, resume, change of address. Each records a
/// ``LedgerHistory`` row in the caller's transaction, so the change, its history and the mail
/// it causes commit together.
public enum MemberAdmin {
    /// Why an admin change was refused; `message` says what was wrong and what would work.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    /// Suspends the member. Returns the member as suspended.
    public static func suspend(email: String, reason: String?, actor: String, now: Int64, in db: Database) throws -> Member {
        var member = try existing(email, in: db)
        guard member.suspendedAt == nil else {
            throw Refusal("\(member.email) is suspended already. To lift it: refbot admin member \(member.email) --resume")
        }
        guard member.state != .left else {
            throw Refusal("\(member.email) left the network; there is nothing to suspend.")
        }
        member.suspendedAt = now
        member.suspendReason = reason
        try member.save(db)
        try LedgerHistory.record(
            ref: LedgerHistory.memberRef(member.id ?? 0), action: "suspended", at: now, actor: actor, method: .admin,
            detail: reason, in: db)
        return member
    }

    /// Lifts a suspension. Returns the member as resumed.
    public static func resume(email: String, actor: String, now: Int64, in db: Database) throws -> Member {
        var member = try existing(email, in: db)
        guard member.suspendedAt != nil else {
            throw Refusal("\(member.email) is not suspended. To suspend: refbot admin member \(member.email) --suspend")
        }
        member.suspendedAt = nil
        member.suspendReason = nil
        try member.save(db)
        try LedgerHistory.record(
            ref: LedgerHistory.memberRef(member.id ?? 0), action: "resumed", at: now, actor: actor, method: .admin,
            detail: nil, in: db)
        return member
    }

    /// Moves the member to a new address: the same row (so every listing, referral, connection and
    /// credit stays theirs), every reply tag made for the old address revoked (an old mail's reply
    /// or link proves nothing for either address), and the bounce record started afresh for the
    /// new address. Refused when another member has the new address. Returns (before, after).
    public static func changeAddress(
        email: String, to newAddress: String, actor: String, now: Int64, in db: Database
    ) throws -> (before: Member, after: Member) {
        let before = try existing(email, in: db)
        let target = Member.normalizedEmail(newAddress)
        let parts = target.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !Erasure.isPlaceholder(target),
            !target.contains(where: { $0.isWhitespace || $0.isNewline || "<>,;:\"()[]\\".contains($0) || $0.asciiValue.map { $0 < 32 } == true })
        else {
            throw Refusal("\"\(newAddress)\" is not an email address; write it like ann@example.org.")
        }
        guard !Member.sameEmail(before.email, target) else {
            throw Refusal("\(before.email) is the member's address already.")
        }
        if let other = try StoreLedger(db).member(email: target) {
            throw Refusal(
                "\(target) belongs to another member (\(other.displayName), \(other.state)). Each member has one address; "
                    + "pick another, or erase that member first.")
        }
        guard before.state != .left, !Erasure.isPlaceholder(before.email) else {
            throw Refusal("\(before.email) left the network; their address cannot be changed.")
        }
        var after = before
        after.email = target
        after.bounceCount = 0
        after.bounceStoppedAt = nil
        try after.save(db)
        try db.execute(
            sql: "UPDATE member SET bounceProbeOutboxId = NULL, bounceProbeSentAt = NULL WHERE id = ?", arguments: [after.id])
        try StoreLedger(db).revokeReplyTags(memberEmail: before.email, at: now)
        try LedgerHistory.record(
            ref: LedgerHistory.memberRef(after.id ?? 0), action: "address changed", at: now, actor: actor, method: .admin,
            detail: "\(before.email) → \(target)", in: db)
        return (before, after)
    }

    /// Records an admin's reset of the member's bounces in the history.
    public static func recordBounceReset(_ member: Member, actor: String, now: Int64, in db: Database) throws {
        try LedgerHistory.record(
            ref: LedgerHistory.memberRef(member.id ?? 0), action: "bounces reset", at: now, actor: actor, method: .admin,
            detail: "\(member.bounceCount) bounce\(member.bounceCount == 1 ? "" : "s")", in: db)
    }

    /// Resets the bounce count of members whose last bounce is older than `days` days
    /// (`mail.bounce_reset_days`; 0 never), as Discourse does. A member whose mail stopped (their
    /// probe bounced too) stays stopped: only proof that the address reads mail, or an admin,
    /// lifts that; so does a count with no recorded bounce behind it. `email` limits it to one
    /// member. Returns the addresses reset.
    @discardableResult
    public static func decayBounces(days: Int, email: String? = nil, now: Int64, in db: Database) throws -> [String] {
        guard days > 0 else { return [] }
        let cutoff = now - Int64(days) * 86_400
        var sql = """
            SELECT email FROM member
            WHERE bounceCount > 0 AND bounceStoppedAt IS NULL
              AND (SELECT max(receivedAt) FROM bounce WHERE bounce.recipient = member.email) < ?
            """
        var arguments: StatementArguments = [cutoff]
        if let email {
            sql += " AND email = ?"
            arguments += [Member.normalizedEmail(email)]
        }
        let emails = try String.fetchAll(db, sql: sql, arguments: arguments)
        for address in emails {
            try db.execute(
                sql: """
                    UPDATE member SET bounceCount = 0, bounceProbeOutboxId = NULL, bounceProbeSentAt = NULL
                    WHERE email = ? AND bounceStoppedAt IS NULL
                    """, arguments: [address])
        }
        return emails
    }

    /// When the member's address last bounced, if it ever did.
    public static func lastBounce(email: String, in db: Database) throws -> Int64? {
        try Int64.fetchOne(
            db, sql: "SELECT max(receivedAt) FROM bounce WHERE recipient = ?", arguments: [Member.normalizedEmail(email)])
    }

    private static func existing(_ email: String, in db: Database) throws -> Member {
        guard let member = try StoreLedger(db).member(email: email) else {
            throw Refusal(
                "No member has the address \(Member.normalizedEmail(email)). Run `refbot admin members` to see the members.")
        }
        return member
    }
}
