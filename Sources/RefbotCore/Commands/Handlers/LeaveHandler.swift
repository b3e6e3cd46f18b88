/// `LEAVE`: the member leaves; their open referrals stay with their counterparts.
public struct LeaveHandler: CommandHandler {
    public let word = CommandWord.leave

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        var member = try MemberHandling.member(context, ledger: ledger, line: command.line, allowPending: true)
        member.state = .left
        member.leftAt = context.now
        try ledger.save(&member)
        // A departed member's listings leave SEARCH and SHOW at once: they can take no referrals.
        var closed = 0
        for var listing in try ledger.listings(ownedBy: member.id ?? 0) {
            guard let next = try? listing.state.after(.close) else { continue }
            listing.state = next
            listing.updatedAt = context.now
            try ledger.save(&listing)
            closed += 1
        }
        return [
            MemberHandling.done(
                command, context: context, summary: "You have left \(MemberHandling.networkName(context)).",
                detail: "We will not send you announcements or new requests. Referrals already under way stay with "
                    + "the members on their other side."
                    + (closed > 0 ? " We closed your \(MemberHandling.count(closed, "open listing"))." : "")
                    + " To come back, send JOIN. To have your details erased as well, send FORGET.")
        ]
    }
}
