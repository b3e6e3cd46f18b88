/// `START`: announcements and digests again, after STOP.
public struct StartHandler: CommandHandler {
    public let word = CommandWord.start

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        var member = try MemberHandling.member(context, ledger: ledger, line: command.line, allowPending: true)
        let already = !member.announcementsOff
        member.announcementsOff = false
        try ledger.save(&member)
        return [
            MemberHandling.done(
                command, context: context,
                summary: already ? "Announcements and digests were already on for you." : "Announcements and digests are on again.",
                detail: "Send STOP at any time to turn them off.")
        ]
    }
}
