import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotStore
import RefbotTransport
import Synchronization

/// The Sender's hold after a provider's quota reply: no mail goes out before `until`; each quota
/// reply after a hold has run out doubles the next (a minute, two, four, … an hour at most).
struct QuotaPause: Sendable {
    var until: Int64 = 0
    var strikes = 0
}

extension Sender {
    /// The first hold after a quota reply, in seconds, and the longest.
    static let quotaPauseFirst: Int64 = 60
    static let quotaPauseLongest: Int64 = 3600
    /// The most failures one `delivery.failed` summary lists; the rest are counted.
    static let failureSummaryListed = 100
    /// The least time between two `delivery.failed` summaries, in seconds.
    static let failureSummaryInterval: Int64 = 3600

    /// How long to hold the Sender after the `strikes`-th quota reply in a row: a daily quota waits
    /// the longest hold at once, a rate limit starts at a minute and doubles.
    static func quotaPauseSeconds(strikes: Int, daily: Bool) -> Int64 {
        if daily { return quotaPauseLongest }
        let doublings = min(max(strikes - 1, 0), 12)
        return min(quotaPauseFirst << Int64(doublings), quotaPauseLongest)
    }

    /// Whether a quota hold is in force at `now`.
    func isPaused(now: Int64) -> Bool {
        quotaPause.withLock { now < $0.until }
    }

    /// Holds the whole Sender back after a quota reply; returns when mail may go out again. The
    /// rest of a batch refused in the same hold does not lengthen it.
    func slowDown(after error: TransportError, now: Int64) -> Int64 {
        let (until, started, strikes) = quotaPause.withLock { pause -> (Int64, Bool, Int) in
            if now < pause.until { return (pause.until, false, pause.strikes) }
            pause.strikes += 1
            pause.until = now + Sender.quotaPauseSeconds(
                strikes: pause.strikes, daily: ProviderReply.isDailyQuota(text: error.message))
            return (pause.until, true, pause.strikes)
        }
        if started {
            logger.warning(
                "SMTP quota reached; sending held back",
                metadata: [
                    "until": "\(Date(timeIntervalSince1970: TimeInterval(until)).formatted(.iso8601))",
                    "seconds": "\(until - now)", "strikes": "\(strikes)", "error": "\(error.message)",
                    "rule": "smtp-quota",
                ])
        }
        return until
    }

    /// A mail went out: the next quota reply starts again at the shortest hold.
    func quotaEased() {
        quotaPause.withLock { $0.strikes = 0 }
    }

    /// How many recipients may go out now under `smtp.max_per_minute` and `smtp.max_per_day`
    /// (nil: no limit); logs once per wait when none may.
    func sendingAllowance(now: Int64) async throws -> Int? {
        let limits = configuration.sendingLimits
        guard !limits.isUnlimited else { return nil }
        let (minute, day, freesAt) = try await store.read { db -> (Int, Int, Int64?) in
            let minute = limits.perMinute > 0 ? try SendingWindow.recipientsSent(after: now - 60, in: db) : 0
            let day = limits.perDay > 0 ? try SendingWindow.recipientsSent(after: now - 86_400, in: db) : 0
            let full = limits.perDay > 0 && day >= limits.perDay
            let freesAt = try SendingWindow.oldestSent(after: now - (full ? 86_400 : 60), in: db)
                .map { $0 + (full ? 86_400 : 60) }
            return (minute, day, freesAt)
        }
        let allowance = limits.allowance(sentLastMinute: minute, sentLastDay: day)
        if allowance == 0 {
            if !limitLogged.withLock({ logged in defer { logged = true }; return logged }) {
                logger.notice(
                    "Sending limit reached; mail waits",
                    metadata: [
                        "sent_last_minute": "\(minute)", "sent_last_day": "\(day)",
                        "max_per_minute": "\(limits.perMinute)", "max_per_day": "\(limits.perDay)",
                        "resumes_at": "\(freesAt.map { Date(timeIntervalSince1970: TimeInterval($0)).formatted(.iso8601) } ?? "-")",
                        "rule": "smtp-sending-limit",
                    ])
            }
        } else {
            limitLogged.withLock { $0 = false }
        }
        return allowance
    }

    /// The leading rows whose recipients fit in `allowance`. A first row with more recipients than
    /// the limit itself (`capacity`, the smaller limit) could never fit: it goes alone once the
    /// window is empty.
    static func fitting(_ rows: [OutboxMessage], allowance: Int, capacity: Int) -> [OutboxMessage] {
        var taken: [OutboxMessage] = []
        var used = 0
        for row in rows {
            let count = max(row.recipientList.count, 1)
            if used + count > allowance {
                if taken.isEmpty && count > capacity && allowance >= capacity { taken.append(row) }
                break
            }
            taken.append(row)
            used += count
        }
        return taken
    }

    /// Queues one `delivery.failed` to the admins listing the mail given up on since the last
    /// one, when some waits and the last is an hour old; returns whether it queued one.
    /// A database that cannot be written just then leaves the summary for a later pass.
    @discardableResult
    func reportFailures(now: Int64) async throws -> Bool {
        guard !configuration.bot.admins.isEmpty else { return false }
        do {
            let due = try await store.read { db -> Bool in
                guard try !FailureReport.unreported(in: db).isEmpty else { return false }
                guard let last = try FailureReport.lastReportAt(in: db) else { return true }
                return now - last >= Sender.failureSummaryInterval
            }
            guard due else { return false }
            return try await queueFailureSummary(now: now)
        } catch where Store.isTemporary(error) {
            databaseOutage.failed(error, logger: logger)
            return false
        }
    }

    private func queueFailureSummary(now: Int64) async throws -> Bool {
        try await store.write { db in
            let failures = try FailureReport.unreported(in: db)
            guard !failures.isEmpty else { return false }
            if let last = try FailureReport.lastReportAt(in: db), now - last < Sender.failureSummaryInterval {
                return false
            }
            func time(_ seconds: Int64) -> String { Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601) }
            let listed = failures.prefix(Sender.failureSummaryListed)
            let items: [TemplateValue] = listed.map { failure in
                let row = failure.row
                return .object([
                    "event": .text(row.event), "recipients": .text(row.recipientList.joined(separator: ", ")),
                    "attempts": .text("\(row.attempts)"), "lastError": .text(row.lastError ?? ""),
                    "outboxId": .text("\(row.id ?? 0)"), "queuedAt": .text(time(row.firstQueuedAt)),
                    "failedAt": .text(time(failure.failedAt)),
                ])
            }
            let more = failures.count - listed.count
            let notification = Notification(
                event: .deliveryFailed, to: self.configuration.bot.admins,
                values: [
                    "count": .number(Int64(failures.count)), "mailsNoun": .text(failures.count == 1 ? "mail" : "mails"),
                    "items": .list(items), "more": .number(Int64(more)), "hasMore": .flag(more > 0),
                    "giveUpHours": .number(Int64(self.configuration.smtp.giveUpHours)),
                ])
            let firstId = failures[0].row.id ?? 0
            try Processor.enqueue(
                notification, composer: self.composer, configuration: self.configuration,
                unique: "failures.\(firstId).\(now)", inboundId: nil, now: now, logger: self.logger, in: db)
            try AdminNoticeLog.record(
                event: MailEvent.deliveryFailed.rawValue, summary: "\(failures.count) mails given up on, in one summary",
                mailed: true, now: now, in: db)
            try FailureReport.markReported(failures.compactMap(\.row.id), at: now, in: db)
            self.logger.notice(
                "Delivery failures reported", metadata: ["count": "\(failures.count)", "event": "delivery.failed"])
            return true
        }
    }
}
