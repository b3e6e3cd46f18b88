/// `DISPUTE` (a tagged reply, or `DISPUTE R-n`): see `ReferralMoves`.
public struct DisputeHandler: CommandHandler {
    public let word = CommandWord.dispute

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ReferralMoves.handle(.dispute, command: command, context: context, ledger: ledger)
    }
}
