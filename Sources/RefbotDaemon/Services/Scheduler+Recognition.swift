import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotStore

extension Scheduler {
    /// Members mailed per transaction: a large network's mail goes out in short transactions.
    static let recognitionBatch = 200

    /// On the first pass of a month, mails last month's recognition (``Recognition``: top
    /// `network.recognition_top` by referrals given, accepted and won — counts only) to every
    /// active member who has not sent STOP, `recognition.monthly`, in batches of members.
    ///
    /// The `recognitionMonth` row is the record: it is written with the month's standings (which
    /// STATUS reads) before the first batch, each batch moves `lastMemberId` in the transaction
    /// that queues its mail, and `finishedAt` ends it, so a restart resumes where it stopped and
    /// never mails a member twice. A month with no referral in any list is recorded and mails
    /// nobody. With `network.recognition_top = 0` nothing is ranked or mailed. Returns how many
    /// mails it queued.
    func sendRecognition(now: Int64) async -> Int {
        let top = configuration.network.recognitionTop
        guard top > 0 else { return 0 }
        let month = RecognitionMonth(containing: now).previous
        let key = month.description
        do {
            let finished = try await store.read { db in
                try Row.fetchOne(db, sql: "SELECT finishedAt FROM recognitionMonth WHERE month = ?", arguments: [key])
                    .map { ($0["finishedAt"] as Int64?) != nil }
            }
            if finished == true { return 0 }
            let board = try await store.read { db in try StoreLedger(db).recognitionBoard(month: month) }
            if finished == nil {
                // The month's ranks, recorded once: STATUS and digests read them from now on.
                try await store.write { db in _ = try StoreLedger(db).recordRecognition(board, now: now, finished: board.isEmpty) }
            }
            if board.isEmpty {
                if finished == false {
                    try await store.write { db in
                        try db.execute(sql: "UPDATE recognitionMonth SET finishedAt = ? WHERE month = ?", arguments: [now, key])
                    }
                }
                logger.info(
                    "Recognition skipped", metadata: ["event": "\(MailEvent.recognitionMonthly.rawValue)", "month": "\(key)",
                                                      "reason": "no referral given, accepted or won that month"])
                return 0
            }
            let lists: TemplateValue = .list(
                Recognition.Category.allCases.map { category in
                    .object([
                        "heading": .text(category.heading),
                        "entries": .list(
                            board.top(category, limit: top).map { entry in
                                .object([
                                    "rank": .number(Int64(entry.rank)), "shownName": .text(entry.shownName),
                                    "count": .number(Int64(entry.count)),
                                ])
                            }),
                    ])
                })
            var queued = 0
            while true {
                let (batchQueued, more) = try await store.write { db -> (Int, Bool) in
                    try self.recognitionBatch(month: month, board: board, lists: lists, now: now, in: db)
                }
                queued += batchQueued
                if !more { break }
            }
            logger.notice(
                "Recognition queued",
                metadata: ["event": "\(MailEvent.recognitionMonthly.rawValue)", "month": "\(key)", "count": "\(queued)",
                           "top": "\(top)"])
            return queued
        } catch {
            logger.error("Recognition failed", metadata: ["month": "\(key)", "error": "\(error)"])
            return 0
        }
    }

    /// One batch in one transaction: queues the mail of the next members after the recorded
    /// `lastMemberId` and moves it on; returns how many were queued and whether more may follow.
    private func recognitionBatch(
        month: RecognitionMonth, board: Recognition.Board, lists: TemplateValue, now: Int64, in db: Database
    ) throws -> (Int, Bool) {
        let key = month.description
        guard let progress = try Row.fetchOne(
            db, sql: "SELECT lastMemberId, finishedAt FROM recognitionMonth WHERE month = ?", arguments: [key]),
            (progress["finishedAt"] as Int64?) == nil
        else { return (0, false) }
        let last: Int64 = progress["lastMemberId"]
        let ids = try Int64.fetchAll(
            db,
            sql: """
                SELECT id FROM member
                WHERE state = 'active' AND announcementsOff = 0 AND suspendedAt IS NULL AND erasedAt IS NULL AND id > ?
                ORDER BY id LIMIT ?
                """, arguments: [last, Self.recognitionBatch])
        let ledger = StoreLedger(db)
        var queued = 0
        for id in ids {
            guard let member = try ledger.member(id: id) else { continue }
            let tag = try ledger.makeReplyTag(
                for: member.email, action: MemberHandling.unsubscribeAction, ref: nil, now: now,
                expiresAt: now + AnnounceHandler.unsubscribeDays * NetworkSettings.secondsPerDay)
            var values: [String: TemplateValue] = [
                "memberName": .text(member.name), "month": .text(month.name), "lists": lists,
                "privateName": .text(Recognition.privateName),
            ]
            let mine = StatusHandler.recognitionValues(
                board.standings(of: id), month: month, isPrivate: member.recognitionOff)
            values["mine"] = mine["rows"]
            values["isPrivate"] = mine["isPrivate"]
            let notification = Notification(
                event: .recognitionMonthly, to: [member.email], replyTag: tag.token, values: values, actions: ["STOP"])
            if try Processor.enqueue(
                notification, composer: composer, configuration: configuration, unique: "recognition.\(key).m\(id)",
                inboundId: nil, now: now, logger: logger, in: db)
            {
                queued += 1
            }
        }
        if let next = ids.last, ids.count == Self.recognitionBatch {
            try db.execute(
                sql: "UPDATE recognitionMonth SET lastMemberId = ?, queued = queued + ? WHERE month = ?",
                arguments: [next, queued, key])
            return (queued, true)
        }
        try db.execute(
            sql: "UPDATE recognitionMonth SET lastMemberId = ?, queued = queued + ?, finishedAt = ? WHERE month = ?",
            arguments: [ids.last ?? last, queued, now, key])
        return (queued, false)
    }
}
