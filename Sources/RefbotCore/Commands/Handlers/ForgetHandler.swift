/// `FORGET` (a member, proven or confirmed): erases the member's personal data — their profile,
/// their reply addresses and the stored mail that carried them — and marks them left. Referrals,
/// agreements and credits stay on record for the members on their other side, without the
/// member's details (``Erasure``).
public struct ForgetHandler: CommandHandler {
    public let word = CommandWord.forget

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        guard let member = try ledger.member(email: context.sender), member.id != nil else {
            throw CommandError(
                line: command.line,
                problem: "We keep no member profile for \(context.sender), so there is nothing to forget.",
                remedy: "If we hold your details because someone referred you, write to the admins of "
                    + "\(MemberHandling.networkName(context)) and they will erase them.")
        }
        let erasure = try ledger.erase(email: member.email, now: context.now, currentMessageID: context.messageID)
        let erased = erasure.lines.map { "- " + $0 }.joined(separator: "\n")
        return [
            MemberHandling.done(
                command, context: context,
                summary: "We have erased your details from \(MemberHandling.networkName(context)).",
                detail: "Erased:\n\(erased)\n\nYour listings are closed. Referrals and agreements you were part of stay "
                    + "on record for the members on their other side, without your details. This mail is the last "
                    + "we send you; to come back, send JOIN.")
        ]
    }
}
