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
