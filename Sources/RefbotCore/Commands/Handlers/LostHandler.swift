/// `LOST` (a tagged reply, or `LOST R-n`): see `ReferralMoves`.
public struct LostHandler: CommandHandler {
    public let word = CommandWord.lost

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ReferralMoves.handle(.lost, command: command, context: context, ledger: ledger)
    }
}
