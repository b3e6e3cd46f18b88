import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotStore

/// The mail refbot sends the admins on its own: `message.quarantined`, `delivery.failed` and
/// `member.bouncing`. Anyone can make mail quarantine or fail, so these are capped: at most
/// `mail.admin_notices_per_hour` (default 10) go out one by one in any hour; past that each notice
/// is kept as one line, and the Scheduler mails those lines in one `admin.summary`, at most once
/// an hour (on its first pass after a notice is kept, then no sooner than an hour after the last
/// summary). An admin hears of everything, in at most cap + 1 mails an hour.
struct AdminNotices {
    let configuration: Configuration
    let composer: MailComposer
    let logger: Logger

    /// The rule a notice kept for the summary is logged under.
    static let rule = "admin-notice-cap"
    /// The most notices one summary lists; the rest are counted.
    static let summaryListed = 100
    /// The least time between two summaries, in seconds.
    static let summaryInterval: Int64 = 3600
    /// The longest line a notice leaves for the summary, in characters.
    static let summaryLineLimit = 300

    /// Queues `notification` to the admins, or keeps `summary` (one line saying what happened)
    /// for the next summary when this hour's notices are used up; in the caller's transaction.
    /// Returns whether the notice was mailed now.
    @discardableResult
    func notify(
        _ notification: Notification, summary: String, unique: String, inboundId: Int64?, now: Int64, in db: Database
    ) throws -> Bool {
        guard !notification.to.isEmpty else { return false }
        let line = String(summary.filter { !$0.isNewline }.prefix(Self.summaryLineLimit))
        let mailed = try AdminNoticeLog.mailedCount(since: now - 3600, in: db)
        if mailed < configuration.mail.adminNoticesPerHour {
            try Processor.enqueue(
                notification, composer: composer, configuration: configuration, unique: unique, inboundId: inboundId,
                now: now, logger: logger, in: db)
            try AdminNoticeLog.record(event: notification.event.rawValue, summary: line, mailed: true, now: now, in: db)
            return true
        }
        try AdminNoticeLog.record(event: notification.event.rawValue, summary: line, mailed: false, now: now, in: db)
        logger.notice(
            "Admin notice kept for the summary",
            metadata: [
                "event": "\(notification.event.rawValue)", "rule": "\(Self.rule)",
                "limit": "\(configuration.mail.adminNoticesPerHour)",
            ])
        return false
    }

    /// Queues one `admin.summary` listing the notices kept since the last one, when some wait and
    /// the last summary is an hour old; in the caller's transaction. Returns how many it lists.
    func sendSummary(now: Int64, in db: Database) throws -> Int {
        guard !configuration.bot.admins.isEmpty else { return 0 }
        let waiting = try AdminNoticeLog.waiting(in: db)
        guard !waiting.isEmpty else { return 0 }
        if let last = try AdminNoticeLog.lastSummaryAt(in: db), now - last < Self.summaryInterval { return 0 }
        let listed = waiting.prefix(Self.summaryListed)
        let items: [TemplateValue] = listed.map { notice in
            .object([
                "time": .text(Date(timeIntervalSince1970: TimeInterval(notice.createdAt)).formatted(.iso8601)),
                "event": .text(notice.event), "summary": .text(notice.summary),
            ])
        }
        let more = waiting.count - listed.count
        let notification = Notification(
            event: .adminSummary, to: configuration.bot.admins,
            values: [
                "count": .number(Int64(waiting.count)), "noticesNoun": .text(waiting.count == 1 ? "notice" : "notices"),
                "limit": .number(Int64(configuration.mail.adminNoticesPerHour)), "items": .list(items),
                "more": .number(Int64(more)), "hasMore": .flag(more > 0), "folder": .text(configuration.imap.quarantineFolder),
            ])
        try Processor.enqueue(
            notification, composer: composer, configuration: configuration, unique: "summary.\(waiting[0].id)",
            inboundId: nil, now: now, logger: logger, in: db)
        try AdminNoticeLog.markSummarized(waiting.map(\.id), at: now, in: db)
        logger.notice("Admin summary queued", metadata: ["count": "\(waiting.count)", "rule": "\(Self.rule)"])
        return waiting.count
    }
}
