import Foundation
import GRDB
import RefbotCore

/// `refbot admin payouts --year Y`: the money rewards marked PAID in one calendar year (UTC), totalled
/// per payee (the referrer) and currency, in exact minor units.
///
/// A referral counts when it carries a paid amount and its state is `paid` or `closed` (RECEIVED
/// after PAID); it counts in the year it first became `paid` (its history), or, for referrals paid
/// before the history was kept, the year it last changed. Unpaid, rejected, expired and lost-unpaid
/// referrals never count.
public enum PayoutReport {
    /// One payee's total in one currency.
    public struct Row: Sendable, Equatable {
        public var email: String
        public var name: String
        public var total: Money
        /// How many referrals make up the total.
        public var referrals: Int

        public init(email: String, name: String, total: Money, referrals: Int) {
            self.email = email
            self.name = name
            self.total = total
            self.referrals = referrals
        }
    }

    /// The first second of `year` and of the next year, UTC.
    public static func bounds(year: Int) -> (start: Int64, end: Int64) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        func start(_ y: Int) -> Int64 {
            Int64(calendar.date(from: DateComponents(year: y, month: 1, day: 1))!.timeIntervalSince1970)
        }
        return (start(year), start(year + 1))
    }

    /// The year's totals, largest first within each currency (currencies in code order).
    public static func totals(year: Int, in db: Database) throws -> [Row] {
        let (start, end) = bounds(year: year)
        let rows = try GRDB.Row.fetchAll(
            db,
            sql: """
                SELECT m.email AS email, m.name AS name, r.rewardPaidCurrency AS currency,
                       SUM(r.rewardPaidMinor) AS totalMinor, COUNT(*) AS referrals
                FROM referral r JOIN member m ON m.id = r.referrerId
                WHERE r.state IN ('paid', 'closed') AND r.rewardPaidMinor IS NOT NULL AND r.rewardPaidCurrency IS NOT NULL
                  AND COALESCE(
                        (SELECT MIN(e.at) FROM ledgerEvent e WHERE e.ref = 'R-' || r.id AND e.action = 'state' AND e.toState = 'paid'),
                        r.updatedAt) >= ?
                  AND COALESCE(
                        (SELECT MIN(e.at) FROM ledgerEvent e WHERE e.ref = 'R-' || r.id AND e.action = 'state' AND e.toState = 'paid'),
                        r.updatedAt) < ?
                GROUP BY m.id, r.rewardPaidCurrency
                ORDER BY r.rewardPaidCurrency, totalMinor DESC, m.email
                """, arguments: [start, end])
        return rows.map { row in
            Row(
                email: row["email"], name: row["name"],
                total: Money(amountMinor: row["totalMinor"], currency: row["currency"]), referrals: row["referrals"])
        }
    }

    /// Whether `total` is at or over `threshold` whole units of `currency`; `nil` when the total is
    /// in another currency (no exchange rate is assumed).
    public static func reaches(_ total: Money, threshold: Int, currency: String) -> Bool? {
        guard total.currency == currency.uppercased() else { return nil }
        let per = Currency(code: total.currency)?.minorPerMajor ?? 100
        let (limit, overflow) = Int64(threshold).multipliedReportingOverflow(by: per)
        return !overflow && total.amountMinor >= limit
    }
}
