import GRDB
import RefbotCore

// MARK: RecognitionLedger

extension StoreLedger {
    /// Who may be ranked: active members who are not suspended and not erased.
    static let rankedMembers = "m.state = 'active' AND m.suspendedAt IS NULL AND m.erasedAt IS NULL"

    public func recognitionBoard(month: RecognitionMonth) throws -> Recognition.Board {
        let bounds: StatementArguments = [month.start, month.end]
        // Given: the referral reached the owner in the month.
        let given = try tallies(
            sql: """
                SELECT m.id AS memberId, m.name AS name, m.business AS business, m.recognitionOff AS isPrivate,
                       COUNT(*) AS count, MAX(r.deliveredAt) AS reachedAt
                FROM referral r JOIN member m ON m.id = r.referrerId
                WHERE r.deliveredAt >= ? AND r.deliveredAt < ? AND r.selfReferralFlag = 0 AND \(Self.rankedMembers)
                GROUP BY m.id
                """, arguments: bounds)
        // Accepted: the owner accepted it in the month.
        let accepted = try tallies(
            sql: """
                SELECT m.id AS memberId, m.name AS name, m.business AS business, m.recognitionOff AS isPrivate,
                       COUNT(*) AS count, MAX(r.acceptedAt) AS reachedAt
                FROM referral r JOIN member m ON m.id = r.referrerId
                WHERE r.acceptedAt >= ? AND r.acceptedAt < ? AND r.selfReferralFlag = 0 AND \(Self.rankedMembers)
                GROUP BY m.id
                """, arguments: bounds)
        // Won: the owner marked it WON in the month (the ledger's history of state changes).
        let won = try tallies(
            sql: """
                SELECT m.id AS memberId, m.name AS name, m.business AS business, m.recognitionOff AS isPrivate,
                       COUNT(DISTINCT r.id) AS count, MAX(e.at) AS reachedAt
                FROM ledgerEvent e
                JOIN referral r ON r.id = CAST(substr(e.ref, 3) AS INTEGER)
                JOIN member m ON m.id = r.referrerId
                WHERE e.action = 'state' AND e.toState = 'won' AND e.at >= ? AND e.at < ? AND e.ref LIKE 'R-%'
                  AND r.selfReferralFlag = 0 AND \(Self.rankedMembers)
                GROUP BY m.id
                """, arguments: bounds)
        return Recognition.Board(month: month, tallies: [.given: given, .accepted: accepted, .won: won])
    }

    private func tallies(sql: String, arguments: StatementArguments) throws -> [Recognition.Tally] {
        try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            Recognition.Tally(
                memberId: row["memberId"], name: row["name"], business: row["business"], count: row["count"],
                reachedAt: row["reachedAt"], isPrivate: row["isPrivate"])
        }
    }
}

extension StoreLedger {
    public func recognitionStandings(of memberId: Int64, month: RecognitionMonth) throws -> [Recognition.Standing]? {
        let key = month.description
        guard try Bool.fetchOne(cached: db, sql: "SELECT EXISTS (SELECT 1 FROM recognitionMonth WHERE month = ?)", arguments: [key]) == true
        else { return nil }
        var standings: [Recognition.Category: Recognition.Standing] = [:]
        for row in try Row.fetchAll(
            cached: db, sql: "SELECT category, count, rank, ranked FROM recognitionStanding WHERE month = ? AND memberId = ?",
            arguments: [key, memberId])
        {
            guard let category = Recognition.Category(rawValue: row["category"]) else { continue }
            standings[category] = Recognition.Standing(category: category, count: row["count"], rank: row["rank"], ranked: row["ranked"])
        }
        // Unranked in a category: 0, no rank, out of how many were ranked there.
        let ranked = try Dictionary(
            Row.fetchAll(
                cached: db, sql: "SELECT category, MAX(ranked) AS ranked FROM recognitionStanding WHERE month = ? GROUP BY category",
                arguments: [key]
            ).map { ($0["category"] as String, $0["ranked"] as Int) }, uniquingKeysWith: { a, _ in a })
        return Recognition.Category.allCases.map { category in
            standings[category]
                ?? Recognition.Standing(category: category, count: 0, rank: nil, ranked: ranked[category.rawValue] ?? 0)
        }
    }

    /// Starts ranking `board`'s month: writes its `recognitionMonth` row and every ranked member's
    /// standing, in the caller's transaction; `finished` records a month that mails nobody. Does
    /// nothing when the month already has its row. Returns whether it started the month.
    @discardableResult
    public func recordRecognition(_ board: Recognition.Board, now: Int64, finished: Bool) throws -> Bool {
        let key = board.month.description
        try db.executeCached(
            sql: "INSERT INTO recognitionMonth (month, startedAt, finishedAt) VALUES (?, ?, ?) ON CONFLICT(month) DO NOTHING",
            arguments: [key, now, finished ? now : nil])
        guard db.changesCount == 1 else { return false }
        for category in Recognition.Category.allCases {
            let list = board.ranked(category)
            for (index, tally) in list.enumerated() {
                try db.executeCached(
                    sql: "INSERT INTO recognitionStanding (month, memberId, category, count, rank, ranked) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [key, tally.memberId, category.rawValue, tally.count, index + 1, list.count])
            }
        }
        return true
    }
}
