/// `RECEIVED` (a tagged reply, or `RECEIVED R-n`): see `ReferralMoves`.
public struct ReceivedHandler: CommandHandler {
    public let word = CommandWord.received

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ReferralMoves.handle(.received, command: command, context: context, ledger: ledger)
    }
}
