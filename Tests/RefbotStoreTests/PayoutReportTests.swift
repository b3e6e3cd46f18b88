import Foundation
import GRDB
import RefbotCore
import RefbotStore
import Testing

/// `refbot admin payouts`: the year's PAID money rewards per payee, on a real SQLite file.
@Suite("Payout totals in the store")
struct PayoutReportTests {
    /// Seconds of a UTC date-time.
    static func at(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 12, _ second: Int = 0) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return Int64(
            calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, second: second))!
                .timeIntervalSince1970)
    }

    /// A referral from `referrer` to Ann (member 1) that was won at `wonAt` and then moved to `state`
    /// at `movedAt` with `paidMinor` of `currency` paid (the trigger records the move in the history).
    func referral(
        _ id: Int, referrer: Int, state: String, paidMinor: Int64?, currency: String = "USD", wonAt: Int64,
        movedAt: Int64, in db: Database
    ) throws {
        try db.execute(
            sql: """
                INSERT INTO referral (id, listingId, ownerId, referrerId, customerName, need, consent, state, createdAt, updatedAt,
                  rewardOwedMinor, rewardOwedCurrency)
                VALUES (?, 1, 1, ?, 'Customer', 'work', 'byReferrer', 'won', ?, ?, 10000, ?)
                """, arguments: [id, referrer, wonAt, wonAt, currency])
        try db.execute(
            sql: "UPDATE referral SET state = ?, rewardPaidMinor = ?, rewardPaidCurrency = ?, updatedAt = ? WHERE id = ?",
            arguments: [state, paidMinor, paidMinor == nil ? nil : currency, movedAt, id])
    }

    @Test("Totals per payee and currency count PAID money in the year it was marked PAID, exactly; unpaid, rejected and expired referrals are left out")
    func totals() async throws {
        let (store, _) = try makeStore()
        try await store.write { db in
            try db.execute(sql: """
                INSERT INTO member (id, email, name, state, credits, points, bounceCount, joinedAt) VALUES
                  (1, 'ann@example.org', 'Ann', 'active', 0, 0, 0, 1),
                  (2, 'bob@example.org', 'Bob', 'active', 0, 0, 0, 1),
                  (3, 'cy@example.org', 'Cy', 'active', 0, 0, 0, 1),
                  (4, 'di@example.org', 'Di', 'active', 0, 0, 0, 1);
                INSERT INTO listing (id, ownerId, title, category, customer, rewardKind, state, createdAt, updatedAt) VALUES
                  (1, 1, 'Pipes', 'Plumbing', 'Homeowners', 'none', 'live', 1, 1);
                """)
            let won = Self.at(2025, 1, 10)
            // Bob: $400.00 in March and $250.01 in the last second of 2025; $100 in the first second of 2026.
            try referral(1, referrer: 2, state: "paid", paidMinor: 40_000, wonAt: won, movedAt: Self.at(2025, 3, 1), in: db)
            try referral(2, referrer: 2, state: "paid", paidMinor: 25_001, wonAt: won, movedAt: Self.at(2025, 12, 31, 23, 3599), in: db)
            try referral(3, referrer: 2, state: "paid", paidMinor: 10_000, wonAt: won, movedAt: Self.at(2026, 1, 1, 0, 0), in: db)
            // Cy: €700 paid in June; $599.99 paid in November and confirmed (closed) in January 2026.
            try referral(4, referrer: 3, state: "paid", paidMinor: 70_000, currency: "EUR", wonAt: won, movedAt: Self.at(2025, 6, 1), in: db)
            try referral(5, referrer: 3, state: "paid", paidMinor: 59_999, wonAt: won, movedAt: Self.at(2025, 11, 1), in: db)
            try db.execute(sql: "UPDATE referral SET state = 'closed', updatedAt = ? WHERE id = 5", arguments: [Self.at(2026, 1, 5)])
            // Di: won but never paid, rejected, expired, and closed by RECEIVED with no amount: none count.
            try referral(6, referrer: 4, state: "won", paidMinor: nil, wonAt: won, movedAt: Self.at(2025, 5, 1), in: db)
            try referral(7, referrer: 4, state: "rejected", paidMinor: 90_000, wonAt: won, movedAt: Self.at(2025, 5, 1), in: db)
            try referral(8, referrer: 4, state: "expired", paidMinor: 90_000, wonAt: won, movedAt: Self.at(2025, 5, 1), in: db)
            try referral(9, referrer: 4, state: "closed", paidMinor: nil, wonAt: won, movedAt: Self.at(2025, 5, 1), in: db)
        }
        let rows = try await store.read { db in try PayoutReport.totals(year: 2025, in: db) }
        #expect(rows == [
            PayoutReport.Row(email: "cy@example.org", name: "Cy", total: Money(amountMinor: 70_000, currency: "EUR"), referrals: 1),
            PayoutReport.Row(email: "bob@example.org", name: "Bob", total: Money(amountMinor: 65_001, currency: "USD"), referrals: 2),
            PayoutReport.Row(email: "cy@example.org", name: "Cy", total: Money(amountMinor: 59_999, currency: "USD"), referrals: 1),
        ])
        let next = try await store.read { db in try PayoutReport.totals(year: 2026, in: db) }
        #expect(next == [PayoutReport.Row(email: "bob@example.org", name: "Bob", total: Money(amountMinor: 10_000, currency: "USD"), referrals: 1)])
        // The threshold is whole units of the network's currency; another currency is not compared.
        #expect(PayoutReport.reaches(rows[1].total, threshold: 600, currency: "USD") == true)
        #expect(PayoutReport.reaches(rows[2].total, threshold: 600, currency: "USD") == false)
        #expect(PayoutReport.reaches(Money(amountMinor: 60_000, currency: "USD"), threshold: 600, currency: "usd") == true)
        #expect(PayoutReport.reaches(rows[0].total, threshold: 600, currency: "USD") == nil)
        #expect(PayoutReport.reaches(Money(amountMinor: 600, currency: "JPY"), threshold: 600, currency: "JPY") == true)
    }
}
