import GRDB
import RefbotCore

/// The ``Ledger`` over SQLite, used inside one write transaction.
///
/// The base lookups are here; each concern adds its queries in a `StoreLedger+<Concern>.swift`
/// extension.
public struct StoreLedger: Ledger {
    /// The transaction's database connection.
    public let db: Database

    public init(_ db: Database) { self.db = db }

    // MARK: MemberLedger

    public func member(email: String) throws -> Member? {
        try db.firstRow(cached: Self.memberByEmailSQL, arguments: [Member.normalizedEmail(email)], Member.init(orderedRow:))
    }

    public func member(id: Int64) throws -> Member? {
        try db.firstRow(cached: Self.memberByIdSQL, arguments: [id], Member.init(orderedRow:))
    }

    private static let memberByEmailSQL = "SELECT \(Member.selection("member")) FROM member WHERE email = ?"
    private static let memberByIdSQL = "SELECT \(Member.selection("member")) FROM member WHERE id = ?"
    private static let membersByIdsSQL =
        "SELECT \(Member.selection("member")) FROM member WHERE id IN (SELECT value FROM json_each(?))"

    /// One cached statement for any number of ids (a JSON array of them).
    public func members(ids: [Int64]) throws -> [Int64: Member] {
        guard !ids.isEmpty else { return [:] }
        let list = "[" + ids.map(String.init).joined(separator: ",") + "]"
        var found: [Int64: Member] = [:]
        for member in try db.allRows(cached: Self.membersByIdsSQL, arguments: [list], Member.init(orderedRow:)) {
            if let id = member.id { found[id] = member }
        }
        return found
    }

    /// The bounce count of the member with this address when their mail is stopped for bouncing
    /// (``Member/isBouncing(limit:)``); nil for anyone else. One narrow read, asked for every
    /// recipient of every mail queued, where the whole member row was read before.
    public func stoppedBounceCount(email: String) throws -> Int? {
        try Int.fetchOne(
            cached: db, sql: "SELECT bounceCount FROM member WHERE email = ? AND bounceStoppedAt IS NOT NULL",
            arguments: [Member.normalizedEmail(email)])
    }

    /// Saves the member; a member who has left loses every tag made for them until then.
    public func save(_ member: inout Member) throws {
        try write(&member, id: \.id, values: member.storedValues, insert: Member.insertSQL, update: Member.updateSQL)
        if member.state == .left {
            try revokeReplyTags(memberEmail: member.email, at: member.leftAt ?? member.joinedAt)
        }
    }

    public func makeReplyTag(for email: String, action: String, ref: String?, now: Int64, expiresAt: Int64) throws -> ReplyTag {
        let tag = ReplyTag(
            token: StoreLedger.randomToken(), memberEmail: Member.normalizedEmail(email), action: action, ref: ref,
            expiresAt: min(expiresAt, now + ReplyTag.maxLifetimeSeconds))
        try db.executeCached(
            sql: "INSERT INTO replyToken (tokenHash, memberEmail, action, ref, createdAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [tag.hash, tag.memberEmail, tag.action, tag.ref, now, tag.expiresAt])
        return tag
    }

    public func replyTag(hash: String) throws -> ReplyTag? {
        try db.firstRow(
            cached: "SELECT tokenHash, memberEmail, action, ref, expiresAt, revokedAt FROM replyToken WHERE tokenHash = ?",
            arguments: [hash.lowercased()]
        ) { row in
            ReplyTag(
                token: "", hash: row[0], memberEmail: row[1], action: row[2], ref: row[3], expiresAt: row[4],
                revokedAt: row[5])
        }
    }

    public func revokeReplyTag(hash: String, at time: Int64) throws {
        try db.executeCached(
            sql: "UPDATE replyToken SET revokedAt = ? WHERE tokenHash = ? AND revokedAt IS NULL", arguments: [time, hash])
    }

    public func revokeReplyTags(memberEmail email: String, at time: Int64) throws {
        try db.executeCached(
            sql: "UPDATE replyToken SET revokedAt = ? WHERE memberEmail = ? AND revokedAt IS NULL",
            arguments: [time, Member.normalizedEmail(email)])
    }

    public func revokeReplyTags(ref: String, keeping actions: Set<String>, at time: Int64) throws {
        let kept = Array(actions)
        let placeholders = kept.isEmpty ? "" : " AND action NOT IN (" + kept.map { _ in "?" }.joined(separator: ", ") + ")"
        try db.executeCached(
            sql: "UPDATE replyToken SET revokedAt = ? WHERE ref = ? AND revokedAt IS NULL" + placeholders,
            arguments: StatementArguments([time, ref] as [any DatabaseValueConvertible]) + StatementArguments(kept))
    }

    /// Writes a record's stored columns with cached statements: a new one (no id) is inserted and
    /// gets its id; a stored one is updated; one made with an id that is not stored goes through
    /// GRDB's `save`, which inserts it under that id.
    private func write<Record: MutablePersistableRecord>(
        _ record: inout Record, id: WritableKeyPath<Record, Int64?>, values: [(any DatabaseValueConvertible)?],
        insert: String, update: String
    ) throws {
        guard let stored = record[keyPath: id] else {
            record[keyPath: id] = try db.insertCached(sql: insert, values: values)
            return
        }
        if !(try self.update(stored, sql: update, values: values)) { try record.save(db) }
    }

    /// Writes a stored row's columns with one cached statement; false when there is no id or no
    /// such row (the caller then saves the record the general way, which inserts it).
    private func update(_ id: Int64?, sql: String, values: [(any DatabaseValueConvertible)?]) throws -> Bool {
        guard let id else { return false }
        try db.executeCached(sql: sql, arguments: StatementArguments(values + [id]))
        return db.changesCount > 0
    }

    /// `UPDATE table SET a = ?, b = ? … WHERE id = ?`.
    static func updateSQL(table: String, columns: [String]) -> String {
        "UPDATE \(table) SET " + columns.map { "\($0) = ?" }.joined(separator: ", ") + " WHERE id = ?"
    }

    /// 20 random characters from a-z and 2-7 (100 bits), safe in an address's local part.
    static func randomToken() -> String { RandomBase32.string(count: 20) }

    // MARK: ListingLedger

    public func listing(id: Int64) throws -> Listing? {
        try db.firstRow(cached: Self.listingByIdSQL, arguments: [id], Listing.init(orderedRow:))
    }

    private static let listingByIdSQL = "SELECT \(Listing.selection("listing")) FROM listing WHERE id = ?"

    /// Saves the listing; when it closes (closed, declined, expired) every tag about it dies.
    public func save(_ listing: inout Listing) throws {
        try write(&listing, id: \.id, values: listing.storedValues, insert: Listing.insertSQL, update: Listing.updateSQL)
        if [ListingState.closed, .declined, .expired].contains(listing.state), let ref = listing.listingID {
            try revokeReplyTags(ref: ref.description, keeping: [], at: listing.updatedAt)
        }
    }

    // MARK: NetworkLedger

    public func areConnected(_ a: Int64, _ b: Int64) throws -> Bool {
        try Bool.fetchOne(
            cached: db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM connection WHERE state = 'accepted'
                  AND ((requesterId = ? AND addresseeId = ?) OR (requesterId = ? AND addresseeId = ?)))
                """, arguments: [a, b, b, a]) ?? false
    }

    // MARK: ReferralLedger

    public func referral(id: Int64) throws -> Referral? {
        try db.firstRow(cached: Self.referralByIdSQL, arguments: [id], Referral.init(orderedRow:))
    }

    private static let referralByIdSQL = "SELECT \(Referral.selection("referral")) FROM referral WHERE id = ?"

    /// Saves the referral; when it closes every tag about it dies, except that after a rejection or
    /// an expiry the referrer's tag lives on for `REFER L-m` (sending the customer elsewhere).
    public func save(_ referral: inout Referral) throws {
        try write(&referral, id: \.id, values: referral.storedValues, insert: Referral.insertSQL, update: Referral.updateSQL)
        guard referral.state.isFinal, let ref = referral.referralID else { return }
        try revokeReplyTags(
            ref: ref.description, keeping: referral.state == .closed ? [] : [ReplyAction.referralReferrer],
            at: referral.updatedAt)
    }
}
