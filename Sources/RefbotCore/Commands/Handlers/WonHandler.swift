/// `WON` (a tagged reply, or `WON R-n`): see `ReferralMoves`.
public struct WonHandler: CommandHandler {
    public let word = CommandWord.won

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ReferralMoves.handle(.won, command: command, context: context, ledger: ledger)
    }
}
