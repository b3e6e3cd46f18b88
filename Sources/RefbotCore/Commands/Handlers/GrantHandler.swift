/// `GRANT email n` (admins): gives a member `n` credits (a negative `n` takes them away), answers
/// the admin with `command.done` and tells the member with `credits.granted`.
public struct GrantHandler: CommandHandler {
    public let word = CommandWord.grant

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try MemberHandling.requireAdmin(context, word: word, line: command.line)
        let (email, amount) = try Self.arguments(command.arguments, line: command.line)
        let (member, notifications) = try Self.grant(
            amount, to: email, ledger: ledger, line: command.line, bounceLimit: context.settings.bounceLimit)
        let verb = amount > 0 ? "Gave" : "Took"
        let preposition = amount > 0 ? "to" : "from"
        return [
            MemberHandling.done(
                command, context: context,
                summary: "\(verb) \(MemberHandling.count(abs(amount), "credit")) \(preposition) \(member.email).",
                detail: "\(member.displayName) now has \(MemberHandling.count(member.credits, "credit")).")
        ] + notifications
    }

    /// Grants the credits and returns the member and the mail that tells them (none for a member
    /// who left or whose mail bounces `bounceLimit` times).
    public static func grant(
        _ amount: Int, to email: String, ledger: any Ledger, line: String, bounceLimit: Int
    ) throws -> (Member, [Notification]) {
        guard var member = try ledger.member(email: email) else {
            throw CommandError(
                line: line, problem: "No member has the address \(Member.normalizedEmail(email)).",
                remedy: "Check the address; `refbot admin members` lists every member.")
        }
        try Credits.grant(amount, to: &member, line: line)
        try ledger.save(&member)
        guard member.state != .left, bounceLimit <= 0 || !member.isBouncing(limit: bounceLimit) else { return (member, []) }
        let notice = Notification(
            event: .creditsGranted, to: [member.email],
            values: [
                "name": .text(member.name), "added": .flag(amount > 0), "amount": .number(Int64(abs(amount))),
                "amountNoun": .text(MemberHandling.noun(abs(amount), "credit")),
                "credits": .number(Int64(member.credits)), "creditsNoun": .text(MemberHandling.noun(member.credits, "credit")),
            ])
        return (member, [notice])
    }

    /// `ann@example.org 5` (either order) → ("ann@example.org", 5).
    static func arguments(_ text: String, line: String) throws -> (String, Int) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
        let email = words.first { $0.contains("@") }
        let number = words.compactMap { Int($0.hasPrefix("+") ? String($0.dropFirst()) : $0) }.first
        guard words.count == 2, let email, let number else {
            throw CommandError(
                line: line, problem: "GRANT needs a member's address and a number of credits.",
                remedy: "Write it like GRANT ann@example.org 5 (or -5 to take credits away).")
        }
        return (Member.normalizedEmail(email), number)
    }
}
