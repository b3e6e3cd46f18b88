import GRDB
import RefbotCore

/// Listing search over the `listingSearch` FTS5 index ("v3: listing search"), listing lists and follows.
extension StoreLedger {
    /// Column weights for `bm25()`: a word in the title counts most, then category, customer, location, reward.
    static let searchWeights = "10.0, 5.0, 2.0, 3.0, 1.0"

    public func searchListings(_ query: ListingQuery, now: Int64, limit: Int) throws -> [SearchCandidate] {
        guard limit > 0 else { return [] }
        let candidates: [SearchCandidate]
        if query.isEmpty {
            candidates = try db.allRows(
                cached: StoreLedger.liveListingsSQL, arguments: ["now": now, "limit": limit]
            ) { SearchCandidate(listing: try Listing(orderedRow: $0), matchScore: nil) }
        } else {
            guard let match = StoreLedger.matchExpression(for: query) else { return [] }
            let score = Listing.orderedColumns.count
            candidates = try db.allRows(
                cached: StoreLedger.matchingListingsSQL, arguments: ["match": match, "now": now, "limit": limit]
            ) { SearchCandidate(listing: try Listing(orderedRow: $0), matchScore: $0[score] as Double?) }
        }
        return Array(SearchRanking.rank(candidates, now: now).prefix(limit))
    }

    /// Every live listing, featured first, then newest (rows read by position: `Listing(orderedRow:)`).
    static let liveListingsSQL = """
        SELECT \(Listing.selection("listing")) FROM listing
        WHERE state = 'live' AND (expiresAt IS NULL OR expiresAt > :now)
          AND ownerId NOT IN (SELECT id FROM member WHERE suspendedAt IS NOT NULL)
        ORDER BY coalesce(featuredUntil, 0) > :now DESC, createdAt DESC, id DESC
        LIMIT :limit
        """

    /// Live listings matching an FTS5 expression, best first (one constant text, so it is prepared
    /// once; rows read by position, the score after the listing's columns).
    static let matchingListingsSQL = """
        SELECT \(Listing.selection("listing")), bm25(listingSearch, \(StoreLedger.searchWeights)) AS matchScore
        FROM listingSearch JOIN listing ON listing.id = listingSearch.rowid
        WHERE listingSearch MATCH :match
          AND listing.state = 'live' AND (listing.expiresAt IS NULL OR listing.expiresAt > :now)
          AND listing.ownerId NOT IN (SELECT id FROM member WHERE suspendedAt IS NOT NULL)
        ORDER BY coalesce(listing.featuredUntil, 0) > :now DESC, matchScore,
          listing.createdAt DESC, listing.id DESC
        LIMIT :limit
        """

    /// The FTS5 MATCH expression for a query, or `nil` when the member's text holds nothing searchable.
    ///
    /// Member text never reaches FTS5 syntax: it is cut into runs of letters and digits, and each run is
    /// written as a double-quoted string, so `"`, `*`, `:`, `-`, `(`, `NEAR`, `OR` and `NOT` are plain text.
    /// Words are ANDed, the last word also matches as a prefix, and filters are column phrases:
    ///
    /// `kitchen remod location:"New York"` → `"kitchen" "remod"* location : "new york"`
    static func matchExpression(for query: ListingQuery) -> String? {
        var parts: [String] = []
        let words = query.words.flatMap(searchTokens)
        if !query.words.isEmpty, words.isEmpty { return nil }
        for (index, word) in words.enumerated() {
            let isLast = index == words.count - 1
            parts.append(isLast && word.count >= 2 ? "\"\(word)\"*" : "\"\(word)\"")
        }
        for (column, value) in [("category", query.category), ("location", query.location)] {
            guard let value, !value.isEmpty else { continue }
            let tokens = searchTokens(value)
            guard !tokens.isEmpty else { return nil }
            parts.append("\(column) : \"\(tokens.joined(separator: " "))\"")
        }
        return parts.isEmpty ? nil : parts.joined(separator: " ")
    }

    /// The runs of letters and digits in `text`, lower-cased.
    static func searchTokens(_ text: String) -> [String] {
        text.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map { $0.lowercased() }
    }

    public func listings(state: ListingState?, limit: Int) throws -> [Listing] {
        if let state {
            return try Listing.fetchAll(
                cached: db, sql: "SELECT * FROM listing WHERE state = ? ORDER BY id LIMIT ?",
                arguments: [state.rawValue, limit])
        }
        return try Listing.fetchAll(cached: db, sql: "SELECT * FROM listing ORDER BY id LIMIT ?", arguments: [limit])
    }

    public func listings(ownedBy memberId: Int64) throws -> [Listing] {
        try Listing.filter(Column("ownerId") == memberId).order(Column("id")).fetchAll(db)
    }

    public func listingsToExpire(now: Int64) throws -> [Listing] {
        try Listing.fetchAll(
            cached: db,
            sql: """
                SELECT * FROM listing
                WHERE state IN ('pending', 'live') AND expiresAt IS NOT NULL AND expiresAt <= ?
                ORDER BY id
                """, arguments: [now])
    }

    public func follow(followerId: Int64, followedId: Int64, now: Int64) throws -> Bool {
        try db.executeCached(
            sql: "INSERT OR IGNORE INTO follow (followerId, followedId, createdAt) VALUES (?, ?, ?)",
            arguments: [followerId, followedId, now])
        return db.changesCount > 0
    }

    public func unfollow(followerId: Int64, followedId: Int64) throws -> Bool {
        try db.executeCached(
            sql: "DELETE FROM follow WHERE followerId = ? AND followedId = ?", arguments: [followerId, followedId])
        return db.changesCount > 0
    }

    public func followers(of memberId: Int64) throws -> [Member] {
        try Member.fetchAll(
            cached: db,
            sql: """
                SELECT member.* FROM follow JOIN member ON member.id = follow.followerId
                WHERE follow.followedId = ? AND member.state = 'active'
                ORDER BY follow.id
                """, arguments: [memberId])
    }
}
