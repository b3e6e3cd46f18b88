/// `REDEEM n`: turns reward points into credits at `network.points_per_credit`; bare REDEEM
/// redeems every point.
public struct RedeemHandler: CommandHandler {
    public let word = CommandWord.redeem

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        var member = try MemberHandling.member(context, ledger: ledger, line: command.line)
        var requested: Int?
        let argument = command.arguments.split(separator: " ").first.map(String.init) ?? ""
        if !argument.isEmpty {
            guard let number = Int(argument) else {
                throw CommandError(
                    line: command.line, problem: "\"\(argument.prefix(20))\" is not a number of points.",
                    remedy: "Write it like REDEEM 5, or REDEEM alone to redeem every point you have.")
            }
            requested = number
        }
        let redemption = try Points.redeem(
            requested, member: &member, pointsPerCredit: context.settings.pointsPerCredit, line: command.line)
        try ledger.save(&member)
        return [
            MemberHandling.done(
                command, context: context,
                summary: "You turned \(MemberHandling.count(redemption.pointsSpent, "point")) into "
                    + "\(MemberHandling.count(redemption.creditsGained, "credit")).",
                detail: "You now have \(MemberHandling.count(member.credits, "credit")) and "
                    + "\(MemberHandling.count(member.points, "point")).")
        ]
    }
}
