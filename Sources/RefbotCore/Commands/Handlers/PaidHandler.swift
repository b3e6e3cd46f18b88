/// `PAID` (a tagged reply, or `PAID R-n`): see `ReferralMoves`.
public struct PaidHandler: CommandHandler {
    public let word = CommandWord.paid

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ReferralMoves.handle(.paid, command: command, context: context, ledger: ledger)
    }
}
