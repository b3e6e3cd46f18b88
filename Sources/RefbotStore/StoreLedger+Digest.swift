import GRDB
import RefbotCore

extension StoreLedger {
    public func listingsFollowed(by memberId: Int64, since: Int64, limit: Int) throws -> [Listing] {
        try Listing.fetchAll(
            cached: db,
            sql: """
                SELECT listing.* FROM follow JOIN listing ON listing.ownerId = follow.followedId
                JOIN member ON member.id = listing.ownerId
                WHERE follow.followerId = ? AND listing.state = 'live' AND listing.createdAt >= ?
                  AND member.state = 'active' AND member.suspendedAt IS NULL
                ORDER BY listing.createdAt, listing.id LIMIT ?
                """, arguments: [memberId, since, limit])
    }

    public func announcements(since: Int64, limit: Int) throws -> [AnnouncementSummary] {
        try Row.fetchAll(
            cached: db, sql: "SELECT id, title, link, createdAt FROM announcement WHERE createdAt >= ? ORDER BY createdAt, id LIMIT ?",
            arguments: [since, limit]
        ).map { AnnouncementSummary(id: $0["id"], title: $0["title"], link: $0["link"], createdAt: $0["createdAt"]) }
    }

    public func listingsExpiring(ownedBy memberId: Int64, now: Int64, until: Int64) throws -> [Listing] {
        try Listing.fetchAll(
            cached: db,
            sql: """
                SELECT * FROM listing WHERE ownerId = ? AND state IN ('live', 'pending')
                  AND expiresAt IS NOT NULL AND expiresAt > ? AND expiresAt <= ?
                ORDER BY expiresAt, id
                """, arguments: [memberId, now, until])
    }
}

extension StoreLedger {
    public func recordDigestItems(_ items: [WaitingItem], mailTagHash: String, now: Int64) throws {
        for item in items {
            try db.executeCached(
                sql: """
                    INSERT INTO digestItem (tagHash, number, ref, words, itemTagHash, createdAt) VALUES (?, ?, ?, ?, ?, ?)
                    """,
                arguments: [mailTagHash, item.number, item.ref, item.words.map(\.rawValue).joined(separator: " "), item.tag?.hash, now])
        }
    }

    public func digestItem(mailTagHash: String, number: Int) throws -> DigestItemRecord? {
        guard
            let row = try Row.fetchOne(
                cached: db, sql: "SELECT * FROM digestItem WHERE tagHash = ? AND number = ?", arguments: [mailTagHash.lowercased(), number])
        else { return nil }
        let words: String = row["words"]
        return DigestItemRecord(
            number: row["number"], ref: row["ref"], words: words.split(separator: " ").compactMap { CommandWord(rawValue: String($0)) },
            itemTagHash: row["itemTagHash"])
    }

    public func digestItemCount(mailTagHash: String) throws -> Int {
        try Int.fetchOne(cached: db, sql: "SELECT COUNT(*) FROM digestItem WHERE tagHash = ?", arguments: [mailTagHash.lowercased()]) ?? 0
    }
}
