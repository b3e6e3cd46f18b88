/// `REJECT [reason]`: turns down a referral (owner) or a connection request, named by the reply
/// address it came to or written as `REJECT R-12 reason` / `REJECT C-3`.
public struct RejectHandler: CommandHandler {
    public let word = CommandWord.reject

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        if let (id, rest) = try ConnectionAnswer.target(command, context: context, ledger: ledger) {
            return try ConnectionAnswer.answer(.reject, id: id, rest: rest, command: command, context: context, ledger: ledger)
        }
        return try ReferralMoves.handle(.reject, command: command, context: context, ledger: ledger)
    }
}
