/// `NO`: a referred customer's answer to `customer.consent` (see `CustomerAnswer`).
public struct NoHandler: CommandHandler {
    public let word = CommandWord.no

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try CustomerAnswer.handle(agrees: false, command: command, context: context, ledger: ledger)
    }
}
