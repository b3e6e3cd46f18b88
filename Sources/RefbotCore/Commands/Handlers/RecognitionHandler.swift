/// `RECOGNITION off` / `RECOGNITION on`: whether the monthly recognition mail names the member.
/// Off, they keep their place in the lists as "a member who keeps their rank private" and still
/// see their own rank in STATUS. A setting: it changes the member's record, so it needs a proven
/// sender like every other change.
public struct RecognitionHandler: CommandHandler {
    public let word = CommandWord.recognition

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let argument = command.arguments.split(whereSeparator: \.isWhitespace).first
            .map { $0.trimmingCharacters(in: [".", "!", ","]).lowercased() }
        let off: Bool
        switch argument {
        case "off"?: off = true
        case "on"?: off = false
        default:
            throw CommandError(
                line: command.line,
                problem: argument.map { "RECOGNITION takes on or off, not \"\(MemberHandling.printable($0))\"." }
                    ?? "RECOGNITION needs on or off.",
                remedy: "Send RECOGNITION off to keep your name out of the monthly recognition mail, "
                    + "or RECOGNITION on to be named in it.")
        }
        var member = try MemberHandling.member(context, ledger: ledger, line: command.line)
        let already = member.recognitionOff == off
        member.recognitionOff = off
        try ledger.save(&member)
        let summary: String
        let detail: String
        if off {
            summary = already
                ? "Your rank was already private." : "Your rank is private now."
            detail = "The monthly recognition mail shows your place as \"\(Recognition.privateName)\", "
                + "without your name. You still see your own rank in STATUS. Send RECOGNITION on to be named again."
        } else {
            summary = already
                ? "You were already named in the monthly recognition mail." : "You will be named in the monthly recognition mail."
            detail = "It lists counts of referrals only, never amounts. Send RECOGNITION off to keep your rank private."
        }
        return [MemberHandling.done(command, context: context, summary: summary, detail: detail)]
    }
}

extension MemberHandling {
    /// A word from the member's mail, cut short and without control characters, to quote in an answer.
    static func printable(_ text: String) -> String {
        let kept = String(text.unicodeScalars.filter { $0.properties.generalCategory != .control }.map(Character.init))
        return kept.count > 40 ? kept.prefix(40) + "…" : kept
    }
}
