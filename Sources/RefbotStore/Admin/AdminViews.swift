import Foundation
import GRDB
import RefbotCore

/// Times in admin output: `2026-12-04 05:30 UTC`.
public enum AdminTime {
    public static func text(_ seconds: Int64?) -> String {
        guard let seconds else { return "-" }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }
}

/// One member as `refbot admin member EMAIL` shows them: profile, state, credits, bounces, open
/// items and the history of admin changes.
public struct MemberDetails: Sendable {
    public var member: Member
    public var lastBounceAt: Int64?
    /// Referrals waiting on the member as owner (pending, accepted, contacted, won).
    public var referralsWaiting: [(Referral, counterpart: String)]
    /// Referrals the member sent that are still open.
    public var referralsSent: [(Referral, counterpart: String)]
    /// Connection requests to the member, not answered.
    public var connectionsWaiting: [(Connection, counterpart: String)]
    /// Connection requests the member sent, not answered.
    public var connectionsSent: [(Connection, counterpart: String)]
    public var listings: [Listing]
    public var history: [LedgerHistory.Event]
    /// How many of each kind of open item there are in all (only the first ``shownPerKind`` are loaded).
    public var totals: [String: Int] = [:]

    /// The most open items of one kind the report lists; the rest are counted.
    public static let shownPerKind = 20

    /// Everything about the member with that address, or `nil` when there is none.
    public static func load(email: String, in db: Database) throws -> MemberDetails? {
        let ledger = StoreLedger(db)
        guard let member = try ledger.member(email: email), let id = member.id else { return nil }
        // Waiting on the member as owner: pending to won. Sent by them and not finished: pending to paid.
        func states(_ column: String) -> String {
            let open: [ReferralState] = column == "ownerId" ? [.pending, .accepted, .contacted, .won] : [.pending, .accepted, .contacted, .won, .lost, .paid]
            return open.map { "'\($0.rawValue)'" }.joined(separator: ",")
        }
        var totals: [String: Int] = [:]
        for column in ["ownerId", "referrerId"] {
            totals[column] = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM referral WHERE \(column) = ? AND state IN (\(states(column)))", arguments: [id]) ?? 0
        }
        for column in ["addresseeId", "requesterId"] {
            totals[column] = try Int.fetchOne(
                db, sql: "SELECT COUNT(*) FROM connection WHERE \(column) = ? AND state = 'pending'", arguments: [id]) ?? 0
        }
        func referrals(_ column: String, counterpart: String) throws -> [(Referral, counterpart: String)] {
            try Row.fetchAll(
                db,
                sql: """
                    SELECT referral.*, member.email AS adminCounterpart FROM referral
                    JOIN member ON member.id = referral.\(counterpart)
                    WHERE referral.\(column) = ? AND referral.state IN (\(states(column)))
                    ORDER BY referral.id LIMIT \(shownPerKind)
                    """, arguments: [id]
            ).map { (try Referral(row: $0), counterpart: $0["adminCounterpart"] as String) }
        }
        func connections(_ column: String, counterpart: String) throws -> [(Connection, counterpart: String)] {
            try Row.fetchAll(
                db,
                sql: """
                    SELECT connection.*, member.email AS adminCounterpart FROM connection
                    JOIN member ON member.id = connection.\(counterpart)
                    WHERE connection.\(column) = ? AND connection.state = 'pending' ORDER BY connection.id LIMIT \(shownPerKind)
                    """, arguments: [id]
            ).map { (try Connection(row: $0), counterpart: $0["adminCounterpart"] as String) }
        }
        return MemberDetails(
            member: member, lastBounceAt: try MemberAdmin.lastBounce(email: member.email, in: db),
            referralsWaiting: try referrals("ownerId", counterpart: "referrerId"),
            referralsSent: try referrals("referrerId", counterpart: "ownerId"),
            connectionsWaiting: try connections("addresseeId", counterpart: "requesterId"),
            connectionsSent: try connections("requesterId", counterpart: "addresseeId"),
            listings: try ledger.listings(ownedBy: id),
            history: try LedgerHistory.events(ref: LedgerHistory.memberRef(id), in: db), totals: totals)
    }

    /// The report, line by line (member text unfiltered: the caller makes it safe to print).
    public func lines(bounceLimit: Int, bounceResetDays: Int) -> [String] {
        var lines: [String] = []
        lines.append("\(member.displayName) <\(member.email)>")
        var state = "\(member.state)"
        switch member.state {
        case .pending: state += " (joined \(AdminTime.text(member.joinedAt)), not confirmed)"
        case .active: state += " (member since \(AdminTime.text(member.confirmedAt ?? member.joinedAt)))"
        case .left: state += " (left \(AdminTime.text(member.leftAt)))"
        }
        lines.append("State:          \(state)")
        if let suspendedAt = member.suspendedAt {
            lines.append(
                "Suspended:      since \(AdminTime.text(suspendedAt))" + (member.suspendReason.map { ": \($0)" } ?? ""))
        }
        for (label, value) in [
            ("Business", member.business), ("Category", member.category), ("City", member.city), ("Website", member.website),
            ("Phone", member.phone), ("About", member.about),
        ] {
            if let value, !value.isEmpty { lines.append("\(label + ":")\(String(repeating: " ", count: max(1, 15 - label.count)))\(value)") }
        }
        lines.append("Credits:        \(member.credits)    Points: \(member.points)")
        var bounces = "\(member.bounceCount)"
        if let lastBounceAt { bounces += " (last \(AdminTime.text(lastBounceAt)))" }
        if let stopped = member.bounceStoppedAt {
            bounces += "; mail stopped \(AdminTime.text(stopped)) after the probe bounced"
        } else if member.bounceCount > 0 {
            bounces += "; a probe goes out at \(bounceLimit)"
            if bounceResetDays > 0 { bounces += ", the count starts again \(bounceResetDays) days after the last bounce" }
        }
        lines.append("Bounces:        \(bounces)")
        lines.append("Announcements:  \(member.announcementsOff ? "off (sent STOP)" : "on")")
        lines.append("")
        lines.append("Open items")
        var open = 0
        func more(_ key: String, shown: Int, _ what: String) {
            let total = totals[key] ?? shown
            guard total > shown else { return }
            lines.append("  … and \(total - shown) more \(what)")
        }
        for (referral, counterpart) in referralsWaiting {
            lines.append("  \(referral.referralID?.description ?? "R-?") from \(counterpart): \(referral.state), waiting on them as owner")
            open += 1
        }
        more("ownerId", shown: referralsWaiting.count, "referrals waiting on them (refbot admin referrals --member \(member.email))")
        for (referral, counterpart) in referralsSent {
            lines.append("  \(referral.referralID?.description ?? "R-?") to \(counterpart): \(referral.state)"
                + (referral.state == .paid ? ", waiting on them to confirm RECEIVED" : ""))
            open += 1
        }
        more("referrerId", shown: referralsSent.count, "open referrals they sent (refbot admin referrals --member \(member.email))")
        for (connection, counterpart) in connectionsWaiting {
            lines.append("  \(connection.connectionID?.description ?? "C-?") connection request from \(counterpart), waiting on them")
            open += 1
        }
        more("addresseeId", shown: connectionsWaiting.count, "connection requests waiting on them")
        for (connection, counterpart) in connectionsSent {
            lines.append("  \(connection.connectionID?.description ?? "C-?") connection request to \(counterpart), not answered yet")
            open += 1
        }
        more("requesterId", shown: connectionsSent.count, "connection requests they sent")
        for listing in listings where [.pending, .live].contains(listing.state) {
            lines.append("  \(listing.listingID?.description ?? "L-?") listing \"\(listing.title)\": \(listing.state)")
            open += 1
        }
        if open == 0 { lines.append("  none") }
        if !history.isEmpty {
            lines.append("")
            lines.append("Admin changes")
            for event in history {
                lines.append(
                    "  \(AdminTime.text(event.at))  \(event.action)" + (event.detail.map { ": \($0)" } ?? "")
                        + " (by \(event.actor ?? "unknown"))")
            }
        }
        return lines
    }
}

/// Referrals for `refbot admin referrals` and `refbot admin referral R-n`.
public enum ReferralDesk {
    /// A referral with its listing's title and both sides' addresses.
    public struct Summary: Sendable {
        public var referral: Referral
        public var listingTitle: String
        public var owner: String
        public var referrer: String
    }

    /// How long a `paid` referral may wait for the referrer's RECEIVED before it is listed as a
    /// disagreement: 14 days.
    public static let paidUnconfirmedSeconds: Int64 = 14 * 86_400

    /// Referrals, newest first: in one state, involving one member (either side), or disputed
    /// (the referrer sent DISPUTE, or the owner said PAID and the referrer has not confirmed it in
    /// ``paidUnconfirmedSeconds``).
    public static func list(
        state: ReferralState?, memberEmail: String?, disputedOnly: Bool, now: Int64, limit: Int, in db: Database
    ) throws -> [Summary] {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let state {
            conditions.append("referral.state = ?")
            arguments += [state.rawValue]
        }
        if let memberEmail {
            conditions.append("(owner.email = ? OR referrer.email = ?)")
            arguments += [Member.normalizedEmail(memberEmail), Member.normalizedEmail(memberEmail)]
        }
        if disputedOnly {
            conditions.append("(referral.disputedAt IS NOT NULL OR (referral.state = 'paid' AND referral.updatedAt <= ?))")
            arguments += [now - paidUnconfirmedSeconds]
        }
        arguments += [limit]
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT referral.*, listing.title AS adminListingTitle, owner.email AS adminOwner, referrer.email AS adminReferrer
                FROM referral
                JOIN listing ON listing.id = referral.listingId
                JOIN member owner ON owner.id = referral.ownerId
                JOIN member referrer ON referrer.id = referral.referrerId
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY referral.id DESC LIMIT ?
                """, arguments: arguments)
        return try rows.map {
            Summary(
                referral: try Referral(row: $0), listingTitle: $0["adminListingTitle"], owner: $0["adminOwner"],
                referrer: $0["adminReferrer"])
        }
    }

    /// Whether the two sides disagree about the referral, in words; `nil` when they do not.
    public static func disagreement(_ referral: Referral, now: Int64) -> String? {
        if let disputedAt = referral.disputedAt {
            return "the referrer sent DISPUTE on \(AdminTime.text(disputedAt))"
                + (referral.disputeReason.map { ": \($0)" } ?? "")
        }
        if referral.state == .paid, now - referral.updatedAt >= paidUnconfirmedSeconds {
            return "the owner said PAID on \(AdminTime.text(referral.updatedAt)); the referrer has not sent RECEIVED"
        }
        return nil
    }

    /// One referral's report: its parties, terms, history (who did what, when, how) and evidence.
    public static func report(id: Int64, now: Int64, in db: Database) throws -> [String]? {
        guard let summary = try Row.fetchOne(
            db,
            sql: """
                SELECT referral.*, listing.title AS adminListingTitle, owner.email AS adminOwner, referrer.email AS adminReferrer
                FROM referral
                JOIN listing ON listing.id = referral.listingId
                JOIN member owner ON owner.id = referral.ownerId
                JOIN member referrer ON referrer.id = referral.referrerId
                WHERE referral.id = ?
                """, arguments: [id]
        ).map({
            Summary(
                referral: try Referral(row: $0), listingTitle: $0["adminListingTitle"], owner: $0["adminOwner"],
                referrer: $0["adminReferrer"])
        }) else { return nil }
        let referral = summary.referral
        let ref = ReferralID(id).description
        var lines: [String] = []
        lines.append("\(ref): \(referral.state)")
        lines.append("Listing:   \(ListingID(referral.listingId)) \"\(summary.listingTitle)\"")
        lines.append("Owner:     \(summary.owner)")
        lines.append("Referrer:  \(summary.referrer)")
        lines.append("Customer:  \(referral.customerName)" + (referral.customerEmail.map { " <\($0)>" } ?? "")
            + " (consent: \(referral.consent.rawValue))")
        lines.append("Need:      \(referral.need)")
        if let owed = referral.rewardOwed { lines.append("Owed:      \(owed.formatted)") }
        if let owed = referral.inKindOwed { lines.append("Owed:      \(owed)") }
        if let paid = referral.rewardPaid { lines.append("Paid:      \(paid.formatted)") }
        if let won = referral.wonAmount { lines.append("Won:       \(won.formatted)") }
        if let reason = referral.rejectReason { lines.append("Rejected:  \(reason)") }
        if let reason = referral.lostReason { lines.append("Lost:      \(reason)") }
        if referral.selfReferralFlag { lines.append("Flag:      the owner and the referrer look like one person") }
        if let disagreement = disagreement(referral, now: now) { lines.append("Dispute:   \(disagreement)") }

        lines.append("")
        lines.append("History")
        let events = try LedgerHistory.events(ref: ref, in: db)
        if events.isEmpty { lines.append("  none recorded (the referral predates the history)") }
        for event in events {
            var what: String
            switch event.action {
            case "created": what = "created (\(event.toState ?? "?"))"
            case "state": what = "\(event.fromState ?? "?") → \(event.toState ?? "?")"
            case "disputed": what = "disputed" + (event.detail.map { ": \($0)" } ?? "")
            default: what = event.action + (event.detail.map { ": \($0)" } ?? "")
            }
            var how = ""
            switch event.method {
            case .mail?: how = "by \(event.actor ?? "?") by mail" + (event.inboundId.map { ", inbound mail \($0)" } ?? "")
            case .link?: how = "by \(event.actor ?? "?") with a link" + (event.inboundId.map { ", inbound \($0)" } ?? "")
            case .admin?: how = "by \(event.actor ?? "?") with refbot admin"
            case .schedule?: how = "by \(event.actor ?? "refbot") on schedule"
            case nil: how = "by an unrecorded path"
            }
            lines.append("  \(AdminTime.text(event.at))  \(what), \(how)")
        }

        lines.append("")
        lines.append("Agreement evidence")
        let agreement = try Agreement.filter(
            Column("listingId") == referral.listingId && Column("referrerId") == referral.referrerId
        ).order(Column("referrerAgreedAt").desc).fetchAll(db).first { $0.referrerAgreedAt <= referral.createdAt }
            ?? Agreement.filter(Column("listingId") == referral.listingId && Column("referrerId") == referral.referrerId)
                .order(Column("referrerAgreedAt").desc).fetchOne(db)
        if let agreement {
            lines.append("  terms \(agreement.version), sha256 \(agreement.sha256)")
            lines.append("  owner agreed \(AdminTime.text(agreement.ownerAgreedAt)) by \(agreement.ownerMethod.rawValue)")
            lines.append("  referrer agreed \(AdminTime.text(agreement.referrerAgreedAt)) by \(agreement.referrerMethod.rawValue)")
            lines.append("  evidence id \(agreement.evidenceId ?? "-")" + (agreement.messageId.map { ", Message-ID <\($0)>" } ?? ""))
            if let verdict = agreement.authVerdict { lines.append("  sender check: \(verdict)") }
        } else {
            lines.append("  no agreement recorded for this listing and referrer")
        }

        let mails = try Row.fetchAll(
            db, sql: "SELECT id, event, recipients, state, firstQueuedAt, sentAt FROM outboxMessage WHERE ref = ? ORDER BY id",
            arguments: [ref])
        if !mails.isEmpty {
            lines.append("")
            lines.append("Mail about \(ref)")
            for mail in mails {
                let recipients = (mail["recipients"] as String).split(separator: "\n").joined(separator: ", ")
                let state: String = mail["state"]
                let sentAt: Int64? = mail["sentAt"]
                lines.append(
                    "  \(mail["id"] as Int64)  \(AdminTime.text(mail["firstQueuedAt"]))  \(mail["event"] as String) to \(recipients): "
                        + (sentAt.map { "sent \(AdminTime.text($0))" } ?? state))
            }
        }
        return lines
    }
}
