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
        try Member.filter(Column("email") == Member.normalizedEmail(email)).fetchOne(db)
    }

    public func member(id: Int64) throws -> Member? {
        try Member.fetchOne(db, key: id)
    }

    public func save(_ member: inout Member) throws {
        try member.save(db)
    }

    public func makeReplyTag(for email: String, action: String, ref: String?, now: Int64, expiresAt: Int64) throws -> ReplyTag {
        let tag = ReplyTag(
            token: StoreLedger.randomToken(), memberEmail: Member.normalizedEmail(email), action: action, ref: ref,
            expiresAt: expiresAt)
        try db.execute(
            sql: "INSERT INTO replyToken (token, memberEmail, action, ref, createdAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [tag.token, tag.memberEmail, tag.action, tag.ref, now, tag.expiresAt])
        return tag
    }

    public func replyTag(_ token: String) throws -> ReplyTag? {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM replyToken WHERE token = ?", arguments: [token.lowercased()])
        else { return nil }
        return ReplyTag(
            token: row["token"], memberEmail: row["memberEmail"], action: row["action"], ref: row["ref"],
            expiresAt: row["expiresAt"])
    }

    /// 20 random characters from a-z and 2-7 (100 bits), safe in an address's local part.
    static func randomToken() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }

    // MARK: ListingLedger

    public func listing(id: Int64) throws -> Listing? {
        try Listing.fetchOne(db, key: id)
    }

    public func save(_ listing: inout Listing) throws {
        try listing.save(db)
    }

    // MARK: NetworkLedger

    public func areConnected(_ a: Int64, _ b: Int64) throws -> Bool {
        try Bool.fetchOne(
            db,
            sql: """
                SELECT EXISTS (SELECT 1 FROM connection WHERE state = 'accepted'
                  AND ((requesterId = ? AND addresseeId = ?) OR (requesterId = ? AND addresseeId = ?)))
                """, arguments: [a, b, b, a]) ?? false
    }

    // MARK: ReferralLedger

    public func referral(id: Int64) throws -> Referral? {
        try Referral.fetchOne(db, key: id)
    }

    public func save(_ referral: inout Referral) throws {
        try referral.save(db)
    }
}
