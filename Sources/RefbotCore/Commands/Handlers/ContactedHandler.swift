/// `CONTACTED` (a tagged reply, or `CONTACTED R-n`): see `ReferralMoves`.
public struct ContactedHandler: CommandHandler {
    public let word = CommandWord.contacted

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ReferralMoves.handle(.contacted, command: command, context: context, ledger: ledger)
    }
}
