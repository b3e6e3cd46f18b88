import GRDB
import RefbotCore

/// Held commands, announcements, exports and the member list (``MemberLedger``).
extension StoreLedger {
    public func holdCommand(_ held: HeldCommand) throws {
        try db.executeCached(
            sql: """
                INSERT INTO heldCommand (tokenHash, inboundId, sender, createdAt, expiresAt, confirmedAt)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
            arguments: [held.token, held.inboundId, Member.normalizedEmail(held.sender), held.createdAt, held.expiresAt,
                        held.confirmedAt])
    }

    public func heldCommand(token: String) throws -> HeldCommand? {
        guard let row = try Row.fetchOne(cached: db, sql: "SELECT * FROM heldCommand WHERE tokenHash = ?", arguments: [token.lowercased()])
        else { return nil }
        return HeldCommand(
            token: row["tokenHash"], inboundId: row["inboundId"], sender: row["sender"], createdAt: row["createdAt"],
            expiresAt: row["expiresAt"], confirmedAt: row["confirmedAt"])
    }

    public func heldCommandCount(sender: String, since time: Int64) throws -> Int {
        try Int.fetchOne(
            cached: db, sql: "SELECT COUNT(*) FROM heldCommand WHERE sender = ? AND createdAt >= ?",
            arguments: [Member.normalizedEmail(sender), time]) ?? 0
    }

    public func markHeldCommandConfirmed(token: String, at time: Int64) throws {
        try db.executeCached(
            sql: "UPDATE heldCommand SET confirmedAt = ? WHERE tokenHash = ? AND confirmedAt IS NULL",
            arguments: [time, token.lowercased()])
    }

    public func membersReceivingAnnouncements() throws -> [Member] {
        try Member.filter(Column("state") == MemberState.active.rawValue && Column("announcementsOff") == false && Column("suspendedAt") == nil)
            .order(Column("email")).fetchAll(db)
    }

    public func allMembers() throws -> [Member] {
        try Member.order(Column("email")).fetchAll(db)
    }

    public func recordAnnouncement(title: String, link: String?, body: String, sentCount: Int, now: Int64) throws -> Int64 {
        try db.executeCached(
            sql: "INSERT INTO announcement (title, link, body, createdAt, sentCount) VALUES (?, ?, ?, ?, ?)",
            arguments: [title, link, body, now, sentCount])
        return db.lastInsertedRowID
    }

    public func exportData(forMember memberId: Int64) throws -> MemberExport {
        let listings = try Listing.filter(Column("ownerId") == memberId).order(Column("id")).fetchAll(db)
        func referrals(_ column: String, counterpartColumn: String) throws -> [MemberExport.ExportedReferral] {
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT referral.*, listing.title AS exportListingTitle, member.email AS exportCounterpart
                    FROM referral
                    JOIN listing ON listing.id = referral.listingId
                    JOIN member ON member.id = referral.\(counterpartColumn)
                    WHERE referral.\(column) = ?
                    ORDER BY referral.id
                    """, arguments: [memberId])
            return try rows.map { row in
                MemberExport.ExportedReferral(
                    referral: try Referral(row: row), listingTitle: row["exportListingTitle"],
                    counterpart: row["exportCounterpart"])
            }
        }
        let connectionRows = try Row.fetchAll(
            cached: db,
            sql: """
                SELECT connection.*, member.email AS exportCounterpart
                FROM connection
                JOIN member ON member.id = CASE WHEN connection.requesterId = ? THEN connection.addresseeId
                                                ELSE connection.requesterId END
                WHERE connection.requesterId = ? OR connection.addresseeId = ?
                ORDER BY connection.id
                """, arguments: [memberId, memberId, memberId])
        let connections = try connectionRows.map { row in
            let connection = try Connection(row: row)
            return MemberExport.ExportedConnection(
                connection: connection, counterpart: row["exportCounterpart"],
                requestedByMember: connection.requesterId == memberId)
        }
        return MemberExport(
            listings: listings, referralsSent: try referrals("referrerId", counterpartColumn: "ownerId"),
            referralsReceived: try referrals("ownerId", counterpartColumn: "referrerId"), connections: connections)
    }
}
