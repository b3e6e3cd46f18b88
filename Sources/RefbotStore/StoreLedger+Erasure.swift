import Foundation
import GRDB
import RefbotCore

extension StoreLedger {
    public func erase(email rawEmail: String, now: Int64, currentMessageID: String?) throws -> Erasure {
        let email = Member.normalizedEmail(rawEmail)
        var erasure = Erasure(email: email)
        let marker = Erasure.marker
        // Words that identify the person in stored mail: the address, and names long enough not
        // to match everything.
        var needles = [email]

        if var member = try member(email: email), let id = member.id {
            needles += [member.name, member.business ?? "", member.phone ?? "", member.website ?? ""]
            try db.execute(
                sql: "UPDATE listing SET state = 'closed', updatedAt = ? WHERE ownerId = ? AND state IN ('pending', 'live')",
                arguments: [now, id])
            member.email = Erasure.anonymousAddress(memberId: id)
            member.name = marker
            member.business = nil
            member.category = nil
            member.city = nil
            member.website = nil
            member.phone = nil
            member.about = nil
            member.state = .left
            member.leftAt = member.leftAt ?? now
            member.announcementsOff = true
            member.suspendReason = nil
            try save(&member)
            try db.execute(sql: "UPDATE member SET erasedAt = ? WHERE id = ?", arguments: [now, id])
            try db.execute(sql: "DELETE FROM follow WHERE followerId = ? OR followedId = ?", arguments: [id, id])
            try db.execute(sql: "UPDATE connection SET message = NULL WHERE requesterId = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM digest WHERE memberId = ?", arguments: [id])
            erasure.memberId = id
        }

        let referralIds = try Int64.fetchAll(
            db, sql: "SELECT id FROM referral WHERE customerEmail = ? ORDER BY id", arguments: [email])
        if !referralIds.isEmpty {
            needles += try String.fetchAll(
                db, sql: "SELECT customerName FROM referral WHERE customerEmail = ? UNION SELECT customerPhone FROM referral WHERE customerEmail = ? AND customerPhone IS NOT NULL",
                arguments: [email, email])
            // A referral that has not reached its owner yet never will: it would carry no customer.
            erasure.withdrawnReferralIds = try Int64.fetchAll(
                db, sql: "SELECT id FROM referral WHERE customerEmail = ? AND state = 'pending' AND deliveredAt IS NULL ORDER BY id",
                arguments: [email])
            try db.execute(
                sql: """
                    UPDATE referral SET state = 'rejected', rejectReason = 'The customer asked for their details to be erased.',
                      closedAt = ?, updatedAt = ?
                    WHERE customerEmail = ? AND state = 'pending' AND deliveredAt IS NULL
                    """, arguments: [now, now, email])
            try db.execute(
                sql: "UPDATE referral SET customerName = ?, customerEmail = NULL, customerPhone = NULL, need = ? WHERE customerEmail = ?",
                arguments: [marker, marker, email])
            erasure.referralIds = referralIds
        }

        try db.execute(sql: "DELETE FROM replyToken WHERE memberEmail = ?", arguments: [email])
        try db.execute(
            sql: "UPDATE heldCommand SET sender = ? WHERE sender = ?", arguments: [Erasure.anonymousRecipient, email])
        try db.execute(sql: "DELETE FROM errorReply WHERE sender = ?", arguments: [email])
        try db.execute(sql: "DELETE FROM commandSeen WHERE sender = ?", arguments: [email])
        try db.execute(
            sql: "UPDATE bounce SET recipient = ? WHERE recipient = ?", arguments: [Erasure.anonymousRecipient, email])
        try eraseFromHistory(email: email, memberId: erasure.memberId, now: now)

        // The stored mail that carried the person's data: any that names them, and all mail about
        // their referrals with the mail that caused it.
        let words = Array(Set(needles.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            .filter { $0.count >= 4 && $0 != marker }))
        let rawMatch = words.map { _ in "instr(lower(CAST(raw AS TEXT)), ?) > 0" }
        let refs = referralIds.map { ReferralID($0).description }
        let refList = refs.map { _ in "?" }.joined(separator: ", ")
        var outboxWhere = rawMatch + words.map { _ in "instr(lower(recipients), ?) > 0" }
        var outboxArguments: [(any DatabaseValueConvertible)?] = words + words
        if !refs.isEmpty {
            outboxWhere.append("ref IN (\(refList))")
            outboxArguments += refs
        }
        var inboundWhere = rawMatch
        var inboundArguments: [(any DatabaseValueConvertible)?] = words
        if !refs.isEmpty {
            inboundWhere.append("id IN (SELECT inboundId FROM outboxMessage WHERE ref IN (\(refList)) AND inboundId IS NOT NULL)")
            inboundArguments += refs
        }
        // Webhook posts whose body names the person, waiting or kept until the retention purge: a
        // receiver must not get, nor refbot keep, what was just erased.
        if !words.isEmpty {
            try db.execute(
                sql: "DELETE FROM webhookDelivery WHERE " + words.map { _ in "instr(lower(body), ?) > 0" }.joined(separator: " OR "),
                arguments: StatementArguments(words))
        }
        guard !inboundWhere.isEmpty else { return erasure }
        try db.execute(
            sql: """
                UPDATE inboundMessage SET raw = X'', purgedAt = ?
                WHERE purgedAt IS NULL AND (state <> 'received' OR (? IS NOT NULL AND messageId = ?))
                  AND (\(inboundWhere.joined(separator: " OR ")))
                """, arguments: StatementArguments([now, currentMessageID, currentMessageID] + inboundArguments))
        erasure.inboundPurged = db.changesCount
        // Mail not sent yet is withdrawn: it would hand out what was just erased.
        try db.execute(
            sql: """
                UPDATE outboxMessage SET raw = X'', purgedAt = ?,
                  recipients = CASE WHEN instr(lower(recipients), ?) > 0 THEN ? ELSE recipients END,
                  lastError = CASE WHEN state = 'pending' THEN 'withdrawn: the person it named was erased' ELSE lastError END,
                  state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END
                WHERE purgedAt IS NULL AND (\(outboxWhere.joined(separator: " OR ")))
                """, arguments: StatementArguments([now, email, Erasure.anonymousRecipient] + outboxArguments))
        erasure.outboundPurged = db.changesCount
        return erasure
    }
}

extension StoreLedger {
    /// Takes the person out of the ledger's history ("v13: member admin"): their address as the
    /// actor of changes, and, for a member, the admins' notes about them and every address they
    /// had before an admin changed it (as actor, and as the recipient of the mail sent there).
    func eraseFromHistory(email: String, memberId: Int64?, now: Int64) throws {
        var addresses = [email]
        if let memberId {
            let ref = LedgerHistory.memberRef(memberId)
            let moves = try String.fetchAll(
                db, sql: "SELECT detail FROM ledgerEvent WHERE ref = ? AND action = 'address changed' AND detail IS NOT NULL",
                arguments: [ref])
            addresses += moves.flatMap { $0.components(separatedBy: " → ") }.map { Member.normalizedEmail($0) }
            try db.execute(sql: "UPDATE ledgerEvent SET detail = NULL WHERE ref = ?", arguments: [ref])
        }
        for address in Set(addresses) where !address.isEmpty {
            try db.execute(
                sql: "UPDATE ledgerEvent SET actor = ? WHERE actor = ?", arguments: [Erasure.anonymousRecipient, address])
            guard address != email else { continue }
            try db.execute(
                sql: """
                    UPDATE outboxMessage SET recipients = ?, raw = X'', purgedAt = coalesce(purgedAt, ?),
                      lastError = CASE WHEN state = 'pending' THEN 'withdrawn: the person it named was erased' ELSE lastError END,
                      state = CASE WHEN state = 'pending' THEN 'failed' ELSE state END
                    WHERE recipients = ?
                    """, arguments: [Erasure.anonymousRecipient, now, address])
            try db.execute(
                sql: "UPDATE bounce SET recipient = ? WHERE recipient = ?", arguments: [Erasure.anonymousRecipient, address])
            try db.execute(sql: "DELETE FROM replyToken WHERE memberEmail = ?", arguments: [address])
        }
    }
}
