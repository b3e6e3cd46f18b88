import GRDB
import RefbotCore

/// `refbot admin activity [--month YYYY-MM]`: per active member, what they did in one month and
/// what waits on them now — the view that tells a chapter leader who needs a nudge.
///
/// - **given**: referrals the member sent in the month;
/// - **received**: referrals that reached the member (as a listing's owner) in the month;
/// - **accepted**: referrals the member accepted in the month;
/// - **median first answer**: over the referrals that reached the member in the month and have
///   been answered, the median time from reaching them to their first ACCEPT or REJECT;
/// - **stale**: referrals waiting on the member now longer than the reminder threshold: pending
///   past half of `network.referral_expiry_days` (when the reminder goes), or accepted, contacted
///   or won with no update for `network.stale_after_days`;
/// - **light** (``Light``): red with any stale item; amber with none but a quiet month (nothing
///   given, received or accepted) or a median first answer slower than the reminder threshold;
///   green otherwise.
public enum ActivityReport {
    /// The traffic light of one member.
    public enum Light: String, Sendable, Hashable, Comparable, CaseIterable {
        case red, amber, green

        public static func < (a: Light, b: Light) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    public struct Row: Sendable, Equatable {
        public var memberId: Int64
        public var email: String
        public var name: String
        public var suspended: Bool
        public var given = 0
        public var received = 0
        public var accepted = 0
        /// Seconds; `nil` when no referral of the month has been answered.
        public var medianFirstAnswer: Int64?
        public var stale = 0
        public var light = Light.amber
        /// Why the light is not green, in a few words (`""` when green).
        public var reason = ""
    }

    /// Every active member's row for `month`, red first, then amber, then green, by address
    /// within each; members with no activity are included (amber at least).
    public static func rows(month: RecognitionMonth, now: Int64, settings: NetworkSettings, in db: Database) throws -> [Row] {
        var rows: [Int64: Row] = [:]
        for member in try GRDB.Row.fetchAll(
            db, sql: "SELECT id, email, name, suspendedAt FROM member WHERE state = 'active' AND erasedAt IS NULL")
        {
            let id: Int64 = member["id"]
            rows[id] = Row(
                memberId: id, email: member["email"], name: member["name"],
                suspended: (member["suspendedAt"] as Int64?) != nil)
        }
        let bounds: StatementArguments = [month.start, month.end]
        func count(_ sql: String, _ update: (inout Row, Int) -> Void) throws {
            for row in try GRDB.Row.fetchAll(db, sql: sql, arguments: bounds) {
                let id: Int64 = row["memberId"]
                if rows[id] != nil { update(&rows[id]!, row["n"]) }
            }
        }
        try count(
            "SELECT referrerId AS memberId, COUNT(*) AS n FROM referral WHERE createdAt >= ? AND createdAt < ? GROUP BY referrerId"
        ) { $0.given = $1 }
        try count(
            "SELECT ownerId AS memberId, COUNT(*) AS n FROM referral WHERE deliveredAt >= ? AND deliveredAt < ? GROUP BY ownerId"
        ) { $0.received = $1 }
        try count(
            "SELECT ownerId AS memberId, COUNT(*) AS n FROM referral WHERE acceptedAt >= ? AND acceptedAt < ? GROUP BY ownerId"
        ) { $0.accepted = $1 }

        // First answers: the first move out of pending by ACCEPT or REJECT, after delivery.
        var answerTimes: [Int64: [Int64]] = [:]
        for row in try GRDB.Row.fetchAll(
            db,
            sql: """
                SELECT r.ownerId AS memberId, r.deliveredAt AS deliveredAt,
                       (SELECT MIN(e.at) FROM ledgerEvent e
                        WHERE e.ref = 'R-' || r.id AND e.action = 'state' AND e.fromState = 'pending'
                          AND e.toState IN ('accepted', 'rejected')) AS answeredAt
                FROM referral r
                WHERE r.deliveredAt >= ? AND r.deliveredAt < ?
                """, arguments: bounds)
        {
            guard let answeredAt = row["answeredAt"] as Int64?, let deliveredAt = row["deliveredAt"] as Int64? else {
                continue
            }
            answerTimes[row["memberId"], default: []].append(max(0, answeredAt - deliveredAt))
        }
        for (id, times) in answerTimes where rows[id] != nil {
            rows[id]!.medianFirstAnswer = median(times)
        }

        // Stale now (``isStale``, in SQL: a network has millions of open referrals).
        let pendingBefore = reminderThreshold(settings).map { now - $0 } ?? Int64.min
        let touchedBefore = settings.staleAfterDays > 0 ? now - settings.staleAfterSeconds : Int64.min
        for row in try GRDB.Row.fetchAll(
            db,
            sql: """
                SELECT ownerId AS memberId, COUNT(*) AS n FROM referral
                WHERE (state = 'pending' AND deliveredAt IS NOT NULL AND deliveredAt <= ?)
                   OR (state IN ('accepted', 'contacted', 'won') AND updatedAt <= ?)
                GROUP BY ownerId
                """, arguments: [pendingBefore, touchedBefore])
        {
            let id: Int64 = row["memberId"]
            if rows[id] != nil { rows[id]!.stale = row["n"] }
        }

        let threshold = reminderThreshold(settings)
        var result = Array(rows.values)
        for index in result.indices {
            var row = result[index]
            if row.stale > 0 {
                row.light = .red
                row.reason = "\(row.stale) stale"
            } else if row.given == 0 && row.received == 0 && row.accepted == 0 {
                row.light = .amber
                row.reason = "quiet month"
            } else if let median = row.medianFirstAnswer, let threshold, median > threshold {
                row.light = .amber
                row.reason = "slow to answer"
            } else {
                row.light = .green
                row.reason = ""
            }
            result[index] = row
        }
        return result.sorted { ($0.light, $0.email) < ($1.light, $1.email) }
    }

    /// How long a pending referral waits before its reminder: half of `network.referral_expiry_days`.
    public static func reminderThreshold(_ settings: NetworkSettings) -> Int64? {
        settings.referralExpiryDays > 0 ? settings.referralExpirySeconds / 2 : nil
    }

    /// Whether the referral has waited on its owner longer than the reminder threshold at `now`
    /// (what ``rows(month:now:settings:in:)`` counts, in SQL).
    public static func isStale(_ referral: Referral, now: Int64, settings: NetworkSettings) -> Bool {
        switch referral.state {
        case .pending:
            guard let deliveredAt = referral.deliveredAt, let threshold = reminderThreshold(settings) else { return false }
            return now >= deliveredAt + threshold
        case .accepted, .contacted, .won:
            guard settings.staleAfterDays > 0 else { return false }
            return now >= referral.updatedAt + settings.staleAfterSeconds
        default:
            return false
        }
    }

    /// The median (the mean of the middle two for an even count, rounded down).
    static func median(_ values: [Int64]) -> Int64? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let mid = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    }

    /// `45m`, `3h 20m`, `2d 4h`.
    public static func duration(_ seconds: Int64) -> String {
        let minutes = seconds / 60
        if minutes < 60 { return "\(minutes)m" }
        let hours = minutes / 60
        if hours < 48 { return minutes % 60 == 0 ? "\(hours)h" : "\(hours)h \(minutes % 60)m" }
        return hours % 24 == 0 ? "\(hours / 24)d" : "\(hours / 24)d \(hours % 24)h"
    }
}
