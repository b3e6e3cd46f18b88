/// `YES`: a referred customer's answer to `customer.consent` (see `CustomerAnswer`).
public struct YesHandler: CommandHandler {
    public let word = CommandWord.yes

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try CustomerAnswer.handle(agrees: true, command: command, context: context, ledger: ledger)
    }
}
