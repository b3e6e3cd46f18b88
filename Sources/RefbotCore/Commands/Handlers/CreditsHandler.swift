/// `CREDITS`: the member's credits and points, and how REDEEM turns points into credits.
public struct CreditsHandler: CommandHandler {
    public let word = CommandWord.credits

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let member = try MemberHandling.member(context, ledger: ledger, line: command.line)
        let perCredit = max(1, context.settings.pointsPerCredit)
        let redeemable = member.points / perCredit
        var values: [String: TemplateValue] = [
            "name": .text(member.name),
            "credits": .number(Int64(member.credits)), "creditsNoun": .text(MemberHandling.noun(member.credits, "credit")),
            "points": .number(Int64(member.points)), "pointsNoun": .text(MemberHandling.noun(member.points, "point")),
            "pointsPerCreditText": .text(
                perCredit == 1 ? "each point turns into a credit" : "every \(perCredit) points turn into a credit"),
        ]
        if redeemable > 0 {
            values["redeemable"] = .number(Int64(redeemable))
            values["redeemableNoun"] = .text(MemberHandling.noun(redeemable, "credit"))
            values["redeemablePoints"] = .number(Int64(redeemable * perCredit))
        }
        return [
            Notification(
                event: .credits, to: [context.sender], values: values, quoted: MemberHandling.quoted(command),
                thread: MemberHandling.thread(context))
        ]
    }
}
