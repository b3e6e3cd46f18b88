/// `LEAVE`: the member leaves; their open referrals stay with their counterparts.
public struct LeaveHandler: CommandHandler {
    public let word = CommandWord.leave

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        var member = try MemberHandling.member(context, ledger: ledger, line: command.line, allowPending: true)
        member.state = .left
        member.leftAt = context.now
        try ledger.save(&member)
        return [
            MemberHandling.done(
                command, context: context, summary: "You have left \(MemberHandling.networkName(context)).",
                detail: "We will not send you announcements or new requests. Referrals already under way stay with "
                    + "the members on their other side. To come back, send JOIN.")
        ]
    }
}
