/// `ACCEPT`: takes a referral (owner; one credit, a point to the referrer, a per-lead reward owed)
/// or a connection request, named by the reply address it came to or written as `ACCEPT R-12` /
/// `ACCEPT C-3`.
public struct AcceptHandler: CommandHandler {
    public let word = CommandWord.accept

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        if let (id, rest) = try ConnectionAnswer.target(command, context: context, ledger: ledger) {
            return try ConnectionAnswer.answer(.accept, id: id, rest: rest, command: command, context: context, ledger: ledger)
        }
        return try ReferralMoves.handle(.accept, command: command, context: context, ledger: ledger)
    }
}
