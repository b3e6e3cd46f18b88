/// `CONFIRM`, in reply to the `member.confirm` mail: makes a pending member active and
/// welcomes them.
///
/// A CONFIRM in reply to a `command.confirm` mail (a held command) is run by the daemon, which
/// re-reads the held mail; this handler explains any other use.
public struct ConfirmHandler: CommandHandler {
    public let word = CommandWord.confirm

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let tag = try Self.ownedTag(command, context: context, ledger: ledger)
        guard tag.action == MemberHandling.joinConfirmAction else {
            throw CommandError(
                line: command.line, problem: "The mail you answered does not ask for CONFIRM.",
                remedy: "Reply CONFIRM only to the mail that asks for it; send HELP for the other commands.")
        }
        guard var member = try ledger.member(email: context.sender) else {
            throw CommandError(
                line: command.line, problem: "We have no request to join from \(context.sender).",
                remedy: "Send JOIN with a Name: line to join.")
        }
        switch member.state {
        case .active:
            throw CommandError(
                line: command.line,
                problem: "Your address is already confirmed: you have been a member since "
                    + "\(MemberHandling.date(member.confirmedAt ?? member.joinedAt)).",
                remedy: "Nothing more to do. Send HELP to see what you can do, or PROFILE to see your details.")
        case .left:
            throw CommandError(
                line: command.line, problem: "You left the network after this confirmation was sent.",
                remedy: "Send JOIN with a Name: line to join again.")
        case .pending:
            break
        }
        try Self.requireLive(tag, command: command, remedy: "Send JOIN again for a new confirmation.")
        member.state = .active
        member.confirmedAt = context.now
        try ledger.save(&member)
        try ledger.revokeReplyTag(hash: tag.hash, at: context.now)
        return [
            Notification(
                event: .memberWelcome, to: [member.email],
                values: [
                    "name": .text(member.name), "credits": .number(Int64(member.credits)),
                    "creditsNoun": .text(MemberHandling.noun(member.credits, "credit")),
                ],
                quoted: MemberHandling.quoted(command), thread: MemberHandling.thread(context))
        ]
    }

    /// The tag this CONFIRM answers, when it is the sender's own and still valid; otherwise the error.
    public static func ownedTag(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> ReplyTag {
        guard let hash = context.tag, let tag = try ledger.replyTag(hash: hash) else {
            throw CommandError(
                line: command.line, problem: "CONFIRM only works as a reply to the mail that asked for it.",
                remedy: "Find that mail and reply to it with CONFIRM (its reply address is a special one), "
                    + "or click the link in it.")
        }
        guard Member.sameEmail(tag.memberEmail, context.sender) else {
            throw CommandError(
                line: command.line,
                problem: "That confirmation was sent to another address, so it cannot be confirmed from \(context.sender).",
                remedy: "Reply from the address the confirmation was sent to.")
        }
        guard context.now < tag.expiresAt else {
            throw CommandError(
                line: command.line,
                problem: "This confirmation expired on \(MemberHandling.date(tag.expiresAt)).",
                remedy: tag.action == MemberHandling.joinConfirmAction
                    ? "Send JOIN again for a new one." : "Send the command again; we will ask you to confirm it anew.")
        }
        return tag
    }
}

extension ConfirmHandler {
    /// The most lines a `command.confirm` shows; a longer command is refused, never cut.
    public static let maxShownLines = 100
    /// The most characters a `command.confirm` shows, all lines together; a longer command is refused.
    public static let maxShownCharacters = 8000

    /// What a held command runs: its line and every line under it that the handler reads, without
    /// trailing blank lines. The confirmation shows all of it.
    public static func shownLines(_ command: ParsedCommand) -> [String] {
        var lines = [command.line] + command.followingLines
        while let last = lines.last, last.allSatisfy(\.isWhitespace), lines.count > 1 { lines.removeLast() }
        return lines
    }

    /// The error for a confirmation tag that has died (used up, or its member left since).
    static func requireLive(_ tag: ReplyTag, command: ParsedCommand, remedy: String) throws {
        guard let revokedAt = tag.revokedAt else { return }
        throw CommandError(
            line: command.line,
            problem: "This confirmation stopped working on \(MemberHandling.date(revokedAt)): it was used, or the address left the network.",
            remedy: remedy)
    }

    /// Holds a state-changing command whose sender is not proven (spec §2 path 3): stores it
    /// under a new `confirm` tag for the `From:` address and returns the `command.confirm` mail
    /// to that address, showing the whole command, every line as it will run. A command longer
    /// than ``maxShownLines`` lines or ``maxShownCharacters`` characters cannot be shown whole, so
    /// it is refused (a ``CommandError``) and nothing is held.
    public static func hold(
        _ command: ParsedCommand, inboundId: Int64, context: CommandContext, ledger: any Ledger
    ) throws -> Notification {
        let shown = shownLines(command)
        let characters = shown.reduce(0) { $0 + $1.count }
        guard shown.count <= maxShownLines, characters <= maxShownCharacters else {
            throw CommandError(
                line: command.line,
                problem: "This command is too long for us to show you whole in a confirmation: it has \(shown.count) "
                    + "lines and \(characters) characters, and a confirmation shows at most \(maxShownLines) lines and "
                    + "\(maxShownCharacters) characters. We only run a command after showing you all of it, so we did "
                    + "not keep this one.",
                remedy: "Send it again in at most \(maxShownLines) lines and \(maxShownCharacters) characters "
                    + "(a long text can be shortened, or sent in two commands).")
        }
        let tag = try ledger.makeReplyTag(
            for: context.sender, action: SenderAuthentication.heldCommandAction, ref: nil, now: context.now,
            expiresAt: context.now + context.settings.linkExpirySeconds)
        try ledger.holdCommand(
            HeldCommand(
                token: tag.hash, inboundId: inboundId, sender: tag.memberEmail, createdAt: context.now,
                expiresAt: tag.expiresAt, confirmedAt: nil))
        return Notification(
            event: .commandConfirm, to: [tag.memberEmail], replyTag: tag.token,
            values: [
                "word": .text(command.word.rawValue),
                "expiryDays": .number(Int64(context.settings.linkExpiryDays)),
                // Not `quoted`, which cuts long lines: every character shown is a character run.
                "command": .list(shown.map { .text($0) }), "commandLines": .number(Int64(shown.count)),
            ],
            thread: MemberHandling.thread(context), actions: ["CONFIRM"])
    }

    /// The held command a CONFIRM releases, marked confirmed; or the error when the tag is not the
    /// sender's, has expired, holds nothing, or was confirmed before (a held command runs once).
    public static func release(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> HeldCommand {
        let tag = try ownedTag(command, context: context, ledger: ledger)
        guard var held = try ledger.heldCommand(token: tag.hash) else {
            throw CommandError(
                line: command.line, problem: "There is no command waiting for this confirmation.",
                remedy: "Send the command again.")
        }
        if let confirmedAt = held.confirmedAt {
            throw CommandError(
                line: command.line,
                problem: "You already confirmed this command on \(MemberHandling.date(confirmedAt)), and it ran then.",
                remedy: "Nothing more to do. To do it again, send the command again.")
        }
        try requireLive(tag, command: command, remedy: "Send the command again; we will ask you to confirm it anew.")
        guard context.now < held.expiresAt else {
            throw CommandError(
                line: command.line,
                problem: "The command waited for your confirmation until \(MemberHandling.date(held.expiresAt)) and has expired.",
                remedy: "Send the command again; we will ask you to confirm it anew.")
        }
        try ledger.markHeldCommandConfirmed(token: held.token, at: context.now)
        try ledger.revokeReplyTag(hash: tag.hash, at: context.now)
        held.confirmedAt = context.now
        return held
    }
}
