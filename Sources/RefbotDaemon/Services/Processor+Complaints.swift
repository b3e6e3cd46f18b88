import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotMail
import RefbotStore

extension Processor {
    /// A feedback loop's complaint (ARF, RFC 5965) counts only when the reported mail's envelope
    /// sender (`Original-Mail-From`, or the original's `Return-Path`) is a VERP address with
    /// refbot's mac for an outbox row, and the original's `Message-ID`, where the report keeps it,
    /// is that row's. Then announcements and digests to the row's recipient stop at once (as
    /// STOP does) and the admins are told (`member.complaint`, through the notice cap). Anything
    /// else is logged and dropped, unanswered: a stranger cannot make refbot stop mailing a member.
    func recordComplaint(_ report: FeedbackReport, inboundId: Int64, now: Int64, in db: Database) throws {
        guard report.isComplaint else {
            logger.info(
                "Feedback report ignored",
                metadata: ["inbound.id": "\(inboundId)", "rule": "complaint-not-abuse", "reason": "\(report.feedbackType)"])
            return
        }
        let verified = try verifiedOutboxRow(report.verpAddresses(base: bot), messageID: report.originalMessageID, in: db)
        guard let row = verified, let outboxId = row.id else {
            logger.notice(
                "Complaint not counted",
                metadata: [
                    "inbound.id": "\(inboundId)", "rule": "complaint-not-verp",
                    "reason": "\(report.verpAddresses(base: bot).isEmpty ? "the reported mail was not sent from a VERP address" : "VERP address without refbot's mac, row or Message-ID")",
                    "feedback.agent": "\(report.userAgent ?? "-")",
                ])
            return
        }
        let ledger = StoreLedger(db)
        var stopped: [Member] = []
        for address in row.recipientList {
            guard let member = try ledger.member(email: address), let memberId = member.id else { continue }
            try db.execute(
                sql: "UPDATE member SET announcementsOff = 1, complainedAt = COALESCE(complainedAt, ?) WHERE id = ?",
                arguments: [now, memberId])
            stopped.append(member)
            logger.warning(
                "Member complained; announcements and digests stopped",
                metadata: [
                    "inbound.id": "\(inboundId)", "outbox.id": "\(outboxId)", "member.email": "\(member.email)",
                    "event": "\(row.event)", "feedback.agent": "\(report.userAgent ?? "-")", "rule": "complaint",
                ])
        }
        guard !stopped.isEmpty else {
            logger.notice(
                "Complaint not counted",
                metadata: [
                    "inbound.id": "\(inboundId)", "rule": "complaint-no-member", "outbox.id": "\(outboxId)",
                    "reason": "the reported mail's recipients are not members",
                ])
            return
        }
        guard !configuration.bot.admins.isEmpty else { return }
        for member in stopped {
            let notification = Notification(
                event: .memberComplaint, to: configuration.bot.admins,
                values: [
                    "email": .text(member.email), "name": .text(member.name), "event": .text(row.event),
                    "feedbackType": .text(report.feedbackType), "agent": .text(report.userAgent ?? "the provider"),
                    "outboxId": .text("\(outboxId)"),
                    "alreadyOff": .flag(member.announcementsOff),
                ])
            try adminNotices.notify(
                notification, summary: "\(member.email) complained (\(report.feedbackType)) about \(row.event); announcements and digests stopped",
                unique: "complaint\(inboundId).\(member.email)", inboundId: inboundId, now: now, in: db)
        }
    }
}
