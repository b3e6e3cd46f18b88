import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotStore

extension Scheduler {
    /// The event of the January reminder; its outbox rows are the record that it went out.
    static let payoutsReminderEvent = MailEvent.adminPayoutsReminder.rawValue

    /// In January (UTC), on the first pass of the year, queues one `admin.payouts.reminder` to the
    /// admins: last year's payee totals are ready in `refbot admin payouts --year Y`. The outbox
    /// row it writes is the record: a pass that finds one queued since January 1 sends nothing, so
    /// a restart never sends it twice. Returns 1 when it queued the reminder.
    func sendPayoutsReminder(now: Int64) async -> Int {
        guard !configuration.bot.admins.isEmpty else { return 0 }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = Date(timeIntervalSince1970: TimeInterval(now))
        let parts = calendar.dateComponents([.year, .month], from: date)
        guard parts.month == 1, let year = parts.year else { return 0 }
        let reportYear = year - 1
        let yearStart = PayoutReport.bounds(year: year).start
        let configuration = self.configuration
        do {
            return try await store.write { db in
                let already = try Bool.fetchOne(
                    db,
                    sql: "SELECT EXISTS (SELECT 1 FROM outboxMessage WHERE event = ? AND firstQueuedAt >= ?)",
                    arguments: [Self.payoutsReminderEvent, yearStart]) ?? false
                if already { return 0 }
                let totals = try PayoutReport.totals(year: reportYear, in: db)
                let threshold = configuration.network.payoutReportThreshold
                let currency = configuration.network.currency
                let flagged = totals.filter {
                    PayoutReport.reaches($0.total, threshold: threshold, currency: currency) == true
                }.count
                let payees = Set(totals.map(\.email)).count
                let notification = Notification(
                    event: .adminPayoutsReminder, to: configuration.bot.admins,
                    values: [
                        "year": .text(String(reportYear)), "payees": .number(Int64(payees)),
                        "payeesNoun": .text(payees == 1 ? "payee" : "payees"), "flagged": .number(Int64(flagged)),
                        "threshold": .text(Money(amountMinor: Int64(threshold) * (Currency(code: currency)?.minorPerMajor ?? 100), currency: currency).formatted),
                    ])
                try Processor.enqueue(
                    notification, composer: self.composer, configuration: configuration, unique: "payouts.\(reportYear)",
                    inboundId: nil, now: now, logger: self.logger, in: db)
                self.logger.notice(
                    "Payouts reminder queued",
                    metadata: ["event": "\(Self.payoutsReminderEvent)", "year": "\(reportYear)", "payees": "\(payees)",
                               "flagged": "\(flagged)"])
                return 1
            }
        } catch {
            logger.error("Payouts reminder failed", metadata: ["error": "\(error)"])
            return 0
        }
    }
}
