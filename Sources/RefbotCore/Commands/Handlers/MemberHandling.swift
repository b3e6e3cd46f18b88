/// What the member commands share: finding the sender's membership, answering with
/// `command.done`, quoting the lines acted on, and writing counts and dates in words.
public enum MemberHandling {
    /// The reply-tag action of the JOIN confirmation mail.
    static let joinConfirmAction = "member.confirm"
    /// The reply-tag action of a held command's confirmation mail.
    static let heldCommandAction = SenderAuthentication.heldCommandAction
    /// The reply-tag action of an announcement's unsubscribe address.
    public static let unsubscribeAction = "unsubscribe"

    /// The sender's membership, or the error that says how to join.
    ///
    /// `allowPending` lets a member who has not confirmed yet use the command (STOP, START, LEAVE).
    static func member(
        _ context: CommandContext, ledger: any Ledger, line: String, allowPending: Bool = false
    ) throws -> Member {
        guard let member = try ledger.member(email: context.sender) else {
            throw CommandError(
                line: line, problem: "\(context.sender) is not a member of \(networkName(context)).",
                remedy: "Send JOIN with a Name: line to join, for example:\nJOIN\nName: Ann Lee\nBusiness: Lee Plumbing")
        }
        switch member.state {
        case .active:
            return member
        case .pending:
            if allowPending { return member }
            throw CommandError(
                line: line, problem: "You have not confirmed your address yet, so you are not a member.",
                remedy: "Reply CONFIRM to the mail we sent when you joined, or send JOIN again for a new one.")
        case .left:
            throw CommandError(
                line: line, problem: "You left \(networkName(context)) on \(date(member.leftAt ?? member.joinedAt)).",
                remedy: "Send JOIN with a Name: line to join again.")
        }
    }

    /// The sender, when they are an admin; otherwise the error.
    static func requireAdmin(_ context: CommandContext, word: CommandWord, line: String) throws {
        guard context.isAdmin else {
            throw CommandError(
                line: line, problem: "\(word.rawValue) is for the network's admins, and \(context.sender) is not one.",
                remedy: "Send HELP for the commands you can use.")
        }
    }

    /// A `command.done` answer to the sender.
    static func done(
        _ command: ParsedCommand, context: CommandContext, summary: String, detail: String? = nil
    ) -> Notification {
        var values: [String: TemplateValue] = ["summary": .text(summary)]
        if let detail, !detail.isEmpty { values["detail"] = .text(detail) }
        return Notification(
            event: .commandDone, to: [context.sender], values: values, quoted: quoted(command), thread: thread(context))
    }

    /// The lines a command acted on: its line and the lines under it, up to 40, without trailing blanks.
    static func quoted(_ command: ParsedCommand) -> [String] {
        var lines = [command.line] + command.followingLines.prefix(40)
        while let last = lines.last, last.allSatisfy(\.isWhitespace), lines.count > 1 { lines.removeLast() }
        return lines
    }

    /// The Message-IDs an answer follows.
    static func thread(_ context: CommandContext) -> [String] {
        context.messageID.map { [$0] } ?? []
    }

    /// The form's lines: the command's rest when it is itself a `Key: value` line, then the lines under it.
    static func formLines(_ command: ParsedCommand) -> [String] {
        if !command.arguments.isEmpty, FormFields.keyLine(command.arguments) != nil {
            return [command.arguments] + command.followingLines
        }
        return command.followingLines
    }

    /// "1 credit", "3 credits".
    static func count(_ value: Int, _ noun: String) -> String { "\(value) \(noun)\(value == 1 ? "" : "s")" }

    /// `noun` or its plural for `value`.
    static func noun(_ value: Int, _ noun: String) -> String { value == 1 ? noun : noun + "s" }

    static func networkName(_ context: CommandContext) -> String {
        context.botName.isEmpty ? "the network" : context.botName
    }

    /// A Unix time as `2026-11-23` (UTC).
    static func date(_ time: Int64) -> String {
        let (y, m, d) = civil(time)
        return "\(y)-\(pad(m))-\(pad(d))"
    }

    /// A Unix time as `2026-11-23T10:00:00Z`.
    static func timestamp(_ time: Int64) -> String {
        let seconds = ((time % 86_400) + 86_400) % 86_400
        return "\(date(time))T\(pad(Int(seconds / 3600))):\(pad(Int(seconds / 60 % 60))):\(pad(Int(seconds % 60)))Z"
    }

    private static func pad(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Year, month, day (UTC) of a Unix time.
    private static func civil(_ time: Int64) -> (Int, Int, Int) {
        RecognitionMonth.civil(days: time >= 0 ? time / 86_400 : (time - 86_399) / 86_400)
    }
}
