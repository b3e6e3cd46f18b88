import GRDB
import RefbotCore

extension StoreLedger {
    public func referrals(sentBy referrerId: Int64) throws -> [Referral] {
        try Referral.filter(Column("referrerId") == referrerId).order(Column("id").desc).fetchAll(db)
    }

    public func referrals(receivedBy ownerId: Int64) throws -> [Referral] {
        try Referral.filter(Column("ownerId") == ownerId).order(Column("id").desc).fetchAll(db)
    }

    public func referralsToWatch() throws -> [Referral] {
        let states = [ReferralState.pending, .accepted, .contacted, .won].map(\.rawValue)
        return try Referral.filter(states.contains(Column("state"))).order(Column("id")).fetchAll(db)
    }

    // REFER asks these three for every referral: plain SQL through the statement cache, where the
    // query interface built and prepared each statement again; the duplicate check reads its row by
    // position (`Referral(orderedRow:)`), as `referral(id:)` does.
    public func recentReferral(listingId: Int64, customerEmail: String?, customerName: String, since: Int64) throws
        -> Referral?
    {
        if let customerEmail {
            return try db.firstRow(
                cached: Self.recentReferralByEmailSQL,
                arguments: [listingId, since, Member.normalizedEmail(customerEmail)], Referral.init(orderedRow:))
        }
        return try db.firstRow(
            cached: Self.recentReferralByNameSQL, arguments: [listingId, since, customerName],
            Referral.init(orderedRow:))
    }

    private static let recentReferralByEmailSQL = """
        SELECT \(Referral.selection("referral")) FROM referral
        WHERE listingId = ? AND createdAt >= ? AND customerEmail = ?
        ORDER BY id DESC LIMIT 1
        """
    private static let recentReferralByNameSQL = """
        SELECT \(Referral.selection("referral")) FROM referral
        WHERE listingId = ? AND createdAt >= ? AND lower(trim(customerName)) = lower(trim(?))
        ORDER BY id DESC LIMIT 1
        """

    public func referralCount(by referrerId: Int64, since: Int64) throws -> Int {
        try Int.fetchOne(
            cached: db, sql: "SELECT COUNT(*) FROM referral WHERE referrerId = ? AND createdAt >= ?",
            arguments: [referrerId, since]) ?? 0
    }

    public func undeliveredReferrals(listingId: Int64, referrerId: Int64) throws -> [Referral] {
        try Referral.filter(
            Column("listingId") == listingId && Column("referrerId") == referrerId
                && Column("state") == ReferralState.pending.rawValue && Column("deliveredAt") == nil
        ).order(Column("id")).fetchAll(db)
    }

    public func agreement(listingId: Int64, referrerId: Int64, version: String, sha256: String) throws -> Agreement? {
        try Agreement.fetchOne(
            cached: db,
            sql: "SELECT * FROM agreement WHERE listingId = ? AND referrerId = ? AND version = ? AND sha256 = ? LIMIT 1",
            arguments: [listingId, referrerId, version, sha256.lowercased()])
    }

    public func save(_ agreement: inout Agreement) throws {
        try agreement.save(db)
    }

    public func messageIDs(about ref: String) throws -> [String] {
        try String.fetchAll(cached: db, sql: "SELECT messageId FROM outboxMessage WHERE ref = ? ORDER BY id", arguments: [ref])
    }

    public func latestAnnouncementTitle() throws -> String? {
        try String.fetchOne(cached: db, sql: "SELECT title FROM announcement ORDER BY createdAt DESC, id DESC LIMIT 1")
    }
}
