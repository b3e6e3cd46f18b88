/// `JOIN`: asks to join; always confirmed by mail (double opt-in, spec §2 path 3).
///
/// A new address becomes a `pending` member with the network's starting credits; a pending or
/// departed one has its details refreshed. Either way `member.confirm` goes to the `From:`
/// address with a tagged reply address, and only a CONFIRM from that address makes it active.
public struct JoinHandler: CommandHandler {
    public let word = CommandWord.join

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        var lines = MemberHandling.formLines(command)
        let hasName = lines.contains { FormFields.keyLine($0.trimmedOfWhitespace).map { FormFields.normalizedKey($0.0) } == "name" }
        if !hasName, !command.arguments.isEmpty, FormFields.keyLine(command.arguments) == nil {
            // "JOIN Ann Lee": the rest of the line is the name.
            lines.insert("Name: \(command.arguments)", at: 0)
        }
        let form = try FormFields.parse(lines: lines, spec: .join, line: command.line).get()
        let name = form["name"] ?? ""

        var member: Member
        if var existing = try ledger.member(email: context.sender) {
            if existing.state == .active {
                throw CommandError(
                    line: command.line,
                    problem: "\(existing.email) is already a member of \(MemberHandling.networkName(context)).",
                    remedy: "Send PROFILE to see or change your details, or HELP for what you can do.")
            }
            existing.state = .pending
            existing.leftAt = nil
            Self.apply(form, to: &existing)
            member = existing
        } else {
            member = Member(
                email: context.sender, name: name, state: .pending, credits: Credits.starting(context.settings),
                joinedAt: context.now)
            Self.apply(form, to: &member)
        }
        try ledger.save(&member)

        let tag = try ledger.makeReplyTag(
            for: member.email, action: MemberHandling.joinConfirmAction, ref: nil, now: context.now,
            expiresAt: context.now + context.settings.linkExpirySeconds)
        return [
            Notification(
                event: .memberConfirm, to: [member.email], replyTag: tag.token,
                values: [
                    "name": .text(member.name), "expiryDays": .number(Int64(context.settings.linkExpiryDays)),
                    "warnings": .list(Self.shownWarnings(form.warnings).map { .text($0) }),
                    "hasWarnings": .flag(!form.warnings.isEmpty),
                ],
                quoted: Self.quotedForm(command, form: form), thread: MemberHandling.thread(context),
                actions: ["CONFIRM"])
        ]
    }

    /// The most characters of the JOIN line and of each field a `member.confirm` quotes back.
    static let quotedValueLimit = 100
    /// The most notes on the form a `member.confirm` lists; the rest are counted.
    static let warningsShown = 3

    /// What `member.confirm` quotes: the JOIN line and the fields it will keep, one line each and
    /// each cut to ``quotedValueLimit`` characters. The mail goes to an address nobody has proven,
    /// so it carries no more of the sender's text than the recipient needs to know the request.
    static func quotedForm(_ command: ParsedCommand, form: FormFields) -> [String] {
        func cut(_ text: String) -> String {
            let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
            return flat.count > quotedValueLimit ? flat.prefix(quotedValueLimit) + "…" : flat
        }
        var lines = [cut(command.line)]
        for key in form.order {
            guard let value = form[key] else { continue }
            let label = FormFields.Spec.join.fields.first { $0.key == key }?.label ?? key
            lines.append("\(label): \(cut(value))")
        }
        return lines
    }

    /// The first ``warningsShown`` notes on the form, and how many more there were.
    static func shownWarnings(_ warnings: [String]) -> [String] {
        guard warnings.count > warningsShown else { return warnings }
        let more = warnings.count - warningsShown
        return Array(warnings.prefix(warningsShown)) + ["…and \(more) more \(more == 1 ? "note" : "notes") like these."]
    }

    /// Copies the form's member fields onto `member`; `-` or `none` clears an optional field.
    static func apply(_ form: FormFields, to member: inout Member) {
        func value(_ key: String) -> String?? {
            guard let raw = form[key] else { return .none }
            let trimmed = raw.trimmedOfWhitespace
            if trimmed == "-" || trimmed.lowercased() == "none" { return .some(nil) }
            return .some(trimmed)
        }
        if let name = value("name"), let name, !name.isEmpty { member.name = name }
        if let business = value("business") { member.business = business }
        if let category = value("category") { member.category = category }
        if let city = value("city") { member.city = city }
        if let website = value("website") { member.website = website }
        if let phone = value("phone") { member.phone = phone }
        if let about = value("about") { member.about = about }
    }
}
