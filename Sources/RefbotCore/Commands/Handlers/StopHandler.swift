/// `STOP`: no more announcements or digests (also a reply to an announcement's unsubscribe address).
public struct StopHandler: CommandHandler {
    public let word = CommandWord.stop

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        var member = try MemberHandling.member(context, ledger: ledger, line: command.line, allowPending: true)
        let already = member.announcementsOff
        member.announcementsOff = true
        try ledger.save(&member)
        return [
            MemberHandling.done(
                command, context: context,
                summary: already ? "Announcements and digests were already off for you." : "Announcements and digests are off.",
                detail: "Mail about your own listings, referrals and connections still reaches you. "
                    + "Send START to get announcements again.")
        ]
    }
}
