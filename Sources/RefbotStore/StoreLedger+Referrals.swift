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

    public func recentReferral(listingId: Int64, customerEmail: String?, customerName: String, since: Int64) throws
        -> Referral?
    {
        let request = Referral.filter(Column("listingId") == listingId && Column("createdAt") >= since)
        if let customerEmail {
            return try request.filter(Column("customerEmail") == Member.normalizedEmail(customerEmail))
                .order(Column("id").desc).fetchOne(db)
        }
        return try request.filter(
            sql: "lower(trim(customerName)) = lower(trim(?))", arguments: [customerName]
        ).order(Column("id").desc).fetchOne(db)
    }

    public func referralCount(by referrerId: Int64, since: Int64) throws -> Int {
        try Referral.filter(Column("referrerId") == referrerId && Column("createdAt") >= since).fetchCount(db)
    }

    public func undeliveredReferrals(listingId: Int64, referrerId: Int64) throws -> [Referral] {
        try Referral.filter(
            Column("listingId") == listingId && Column("referrerId") == referrerId
                && Column("state") == ReferralState.pending.rawValue && Column("deliveredAt") == nil
        ).order(Column("id")).fetchAll(db)
    }

    public func agreement(listingId: Int64, referrerId: Int64, version: String, sha256: String) throws -> Agreement? {
        try Agreement.filter(
            Column("listingId") == listingId && Column("referrerId") == referrerId && Column("version") == version
                && Column("sha256") == sha256.lowercased()
        ).fetchOne(db)
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
