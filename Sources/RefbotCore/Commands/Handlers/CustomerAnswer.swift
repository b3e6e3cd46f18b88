/// A referred customer's YES or NO to `customer.consent` (spec §3, "Customer consent"). The
/// customer need not be a member: the reply address was made for their address.
enum CustomerAnswer {
    static func handle(
        agrees: Bool, command: ParsedCommand, context: CommandContext, ledger: any Ledger
    ) throws -> [Notification] {
        let line = command.line
        guard let hash = context.tag, let tag = try ledger.replyTag(hash: hash), tag.action == ReplyAction.customerConsent,
            let id = tag.ref.flatMap(ReferralID.init(parsing:))
        else {
            throw CommandError(
                line: line, problem: "\(command.word) answers our question whether you would like an introduction.",
                remedy: "Reply \(command.word) to that mail itself, so we know which introduction you mean.")
        }
        guard tag.memberEmail == Member.normalizedEmail(context.sender) else {
            throw CommandError(
                line: line, problem: "The address you replied to was made for someone else, so we did not act on it.",
                remedy: "Reply from the address our question went to.")
        }
        guard var referral = try ledger.referral(id: id.rawValue) else {
            throw CommandError(line: line, problem: "That introduction no longer exists.", remedy: "Nothing more is needed.")
        }
        let (listing, owner, referrer) = try ReferralDesk.parties(referral, ledger: ledger)
        // The question's tag dies with the answer (and with the referral).
        guard referral.state == .pending, referral.consent == .asked, tag.isLive(at: context.now) else {
            let answered = referral.consent == .granted ? "yes" : referral.consent == .refused ? "no" : nil
            return [
                ReferralDesk.done(
                    answered.map { "You already answered \($0); nothing more is needed." }
                        ?? "This introduction is no longer open; nothing more is needed.",
                    ref: nil, command: command, context: context)
            ]
        }
        if agrees {
            referral.consent = .granted
            referral.updatedAt = context.now
            try ledger.save(&referral)
            try ledger.revokeReplyTag(hash: tag.hash, at: context.now)
            var notifications = try ReferralDesk.proceed(
                &referral, listing: listing, owner: owner, referrer: referrer, ledger: ledger, context: context)
            notifications.append(
                ReferralDesk.done(
                    "Thank you: we passed your details to \(owner.displayName), who will be in touch.",
                    ref: nil, command: command, context: context))
            return notifications
        }
        referral.consent = .refused
        referral.state = (try? referral.state.after(.reject)) ?? .rejected
        referral.rejectReason = "The customer declined the introduction."
        referral.closedAt = context.now
        referral.updatedAt = context.now
        try ledger.save(&referral)
        var values = ReferralDesk.values(referral, id: id, listing: listing, owner: owner, referrer: referrer, contact: false)
        values["customerDeclined"] = true
        return [
            Notification(
                event: .referralRejected, to: [referrer.email], ref: id.description, values: values,
                thread: try ReferralDesk.thread(ledger, ref: id.description)),
            ReferralDesk.done(
                "Understood: we will not pass on your details, and we have told \(referrer.displayName).",
                ref: nil, command: command, context: context),
        ]
    }
}
