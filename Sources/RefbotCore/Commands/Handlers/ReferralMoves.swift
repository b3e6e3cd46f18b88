/// The reply words that move a referral on (ACCEPT, REJECT, CONTACTED, WON, LOST, PAID, RECEIVED,
/// DISPUTE): one place that checks the role and the state (Core ``IllegalMove``), records what the
/// move means, and says so to the other side.
enum ReferralMoves {
    static func handle(
        _ move: ReferralMove, command: ParsedCommand, context: CommandContext, ledger: any Ledger
    ) throws -> [Notification] {
        let line = command.line
        let member = try ReferralDesk.member(ledger, context, line: line)
        let tag = try ReferralDesk.tag(ledger, context, line: line)
        var (referral, id, rest) = try ReferralDesk.referral(command, tag: tag, ledger: ledger)
        let role = try ReferralDesk.role(of: member, on: referral, id: id, line: line)
        if role == .owner, referral.deliveredAt == nil, referral.state == .pending {
            throw CommandError(
                line: line,
                problem: "\(id) has not reached you yet: it waits for the referrer's agreement or the customer's consent.",
                remedy: "You will get it by mail as soon as it is ready; answer that mail.")
        }
        let next: ReferralState
        do throws(IllegalMove) {
            next = try referral.state.after(move, by: role)
        } catch {
            throw error.commandError(ref: id, line: line)
        }
        let parties = try ReferralDesk.parties(referral, ledger: ledger)
        let listing = parties.0
        var owner = parties.1
        var referrer = parties.2
        let ref = id.description
        let now = context.now
        let reason = ReferralDesk.reason(rest: rest, following: command.followingLines)
        let thread = try ReferralDesk.thread(ledger, ref: ref)
        var notifications: [Notification] = []
        var summary: String
        var detail: String?

        switch move {
        case .accept:
            try Credits.debitForAccept(
                &owner, referral: id, pointsPerCredit: context.settings.pointsPerCredit, line: line)
            try ledger.save(&owner)
            Points.awardForAccept(&referrer)
            try ledger.save(&referrer)
            referral.rewardOwed = listing.reward.owedOnAccept()
            referral.acceptedAt = now
        case .reject:
            referral.rejectReason = reason
            referral.closedAt = now
        case .won:
            let amount = try Self.amount(rest, context: context, line: line)
            if listing.reward.needsSaleAmount, amount == nil {
                throw CommandError(
                    line: line,
                    problem: "The reward for \(listing.listingID?.description ?? "this listing") is \(listing.reward), "
                        + "so we need the amount of the sale to work out what is owed.",
                    remedy: "Reply WON with the amount, like WON $5,000.")
            }
            referral.wonAmount = amount
            if let owed = listing.reward.owedOnWon(saleAmount: amount) { referral.rewardOwed = owed }
            if let inKind = listing.reward.inKindOwedOnWon() { referral.inKindOwed = inKind }
        case .lost:
            referral.lostReason = reason
        case .paid:
            referral.rewardPaid = try Self.amount(rest, context: context, line: line) ?? referral.rewardOwed
        case .received:
            referral.closedAt = now
        case .dispute:
            guard let reason else {
                throw CommandError(
                    line: line, problem: "DISPUTE needs a few words on what is wrong.",
                    remedy: "Reply DISPUTE followed by the reason, like DISPUTE The reward was not paid.")
            }
            referral.disputeReason = reason
            referral.disputedAt = now
        case .contacted, .expire:
            break
        }
        referral.state = next
        referral.updatedAt = now
        try ledger.save(&referral)

        var values = ReferralDesk.values(
            referral, id: id, listing: listing, owner: owner, referrer: referrer,
            contact: referral.ownerSeesContactDetails)
        if let reason { values["reason"] = .text(reason) }
        // A closed referral's tags are dead; its mail carries none.
        let referrerTag = next == .closed ? nil : try ReferralDesk.referrerTag(referrer, ref: ref, ledger: ledger, now: now)
        let ownerMoves = IllegalMove.list(next.openMoves(for: .owner))

        switch move {
        case .accept:
            values["points"] = .number(Int64(referrer.points))
            notifications.append(
                Notification(
                    event: .referralAccepted, to: [referrer.email], ref: ref, replyTag: referrerTag?.token,
                    values: values, thread: thread))
            summary = "You accepted \(ref): \(referral.customerName) for \"\(listing.title)\"."
            var lines = ["You have \(Credits.count(owner.credits, "credit")) left."]
            if referral.ownerSeesContactDetails {
                if let email = referral.customerEmail { lines.append("Customer's email: \(email)") }
                if let phone = referral.customerPhone { lines.append("Customer's phone: \(phone)") }
            }
            if let owed = referral.rewardOwed { lines.append("You now owe \(referrer.displayName) \(owed.formatted).") }
            lines.append("Reply \(ownerMoves) to this mail as it moves on.")
            detail = lines.joined(separator: "\n")
        case .reject:
            notifications.append(
                Notification(
                    event: .referralRejected, to: [referrer.email], ref: ref, replyTag: referrerTag?.token,
                    values: values, thread: thread))
            summary = "You rejected \(ref); we told \(referrer.displayName)."
        case .contacted, .won, .lost, .paid:
            values["recipientName"] = .text(referrer.name)
            values["headline"] = .text(Self.headline(move, referral: referral, owner: owner, id: id))
            values["askReceived"] = .flag(move == .paid || (move == .won && referral.rewardOwed != nil))
            notifications.append(
                Notification(
                    event: .referralUpdated, to: [referrer.email], ref: ref, replyTag: referrerTag?.token,
                    values: values, thread: thread))
            summary = "\(ref) is now \(next.phrase); we told \(referrer.displayName)."
            var lines: [String] = []
            if let owed = referral.rewardOwed, move == .won { lines.append("You owe \(referrer.displayName) \(owed.formatted).") }
            if let inKind = referral.inKindOwed, move == .won { lines.append("You owe \(referrer.displayName): \(inKind).") }
            if !ownerMoves.isEmpty { lines.append("Reply \(ownerMoves) to this mail as it moves on.") }
            detail = lines.isEmpty ? nil : lines.joined(separator: "\n")
        case .received:
            let headline = Self.headline(move, referral: referral, owner: referrer, id: id)
            values["headline"] = .text(headline)
            var toOwner = values
            toOwner["recipientName"] = .text(owner.name)
            var toReferrer = values
            toReferrer["recipientName"] = .text(referrer.name)
            notifications.append(
                Notification(
                    event: .referralUpdated, to: [owner.email], ref: ref, values: toOwner,
                    thread: thread))
            notifications.append(
                Notification(
                    event: .referralUpdated, to: [referrer.email], ref: ref, values: toReferrer,
                    quoted: [command.line], thread: thread + (context.messageID.map { [$0] } ?? [])))
            return notifications
        case .dispute:
            let ownerTag = try ReferralDesk.ownerTag(owner, ref: ref, ledger: ledger, now: now)
            notifications.append(
                Notification(
                    event: .referralDisputed, to: [owner.email], ref: ref, replyTag: ownerTag.token, values: values,
                    thread: thread))
            let admins = context.admins.filter { Member.normalizedEmail($0) != owner.email }
            if !admins.isEmpty {
                notifications.append(
                    Notification(event: .referralDisputed, to: admins, ref: ref, values: values, thread: thread))
            }
            summary = "We passed your dispute about \(ref) to \(owner.displayName) and the admins."
        case .expire:
            return []
        }
        // The answer carries the sender's own reply address for this referral, so the next word
        // (CONTACTED, WON, PAID …) can be a reply to it.
        let answerTag =
            next.isFinal ? nil
            : role == .owner ? try ReferralDesk.ownerTag(owner, ref: ref, ledger: ledger, now: now) : referrerTag
        notifications.append(
            ReferralDesk.done(
                summary, detail: detail, ref: ref, command: command, context: context, thread: thread,
                replyTag: answerTag?.token))
        return notifications
    }

    /// An optional amount at the start of `text`; an error when the text is there but is no amount.
    static func amount(_ text: String, context: CommandContext, line: String) throws -> Money? {
        let trimmed = text.trimmedOfWhitespace
        guard !trimmed.isEmpty else { return nil }
        if let (money, _) = MoneyParser.parseLeading(trimmed, defaultCurrency: context.settings.currency) {
            return money
        }
        return try MoneyParser.parse(trimmed, defaultCurrency: context.settings.currency, line: line)
    }

    static func headline(_ move: ReferralMove, referral: Referral, owner: Member, id: ReferralID) -> String {
        switch move {
        case .contacted: "\(owner.displayName) has contacted \(referral.customerName) (\(id))"
        case .won: "\(referral.customerName) bought from \(owner.displayName) (\(id) won)"
        case .lost: "\(referral.customerName) did not buy from \(owner.displayName) (\(id) lost)"
        case .paid: "\(owner.displayName) reports paying your reward for \(id)"
        case .received: "\(owner.displayName) confirmed receiving the reward; \(id) is closed"
        default: "\(id) is now \(referral.state.phrase)"
        }
    }
}
