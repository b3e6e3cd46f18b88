/// `PROFILE`: bare, shows the member's details (`profile`); with JOIN's fields, updates them
/// (`command.done`).
public struct ProfileHandler: CommandHandler {
    public let word = CommandWord.profile

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        var member = try MemberHandling.member(context, ledger: ledger, line: command.line)
        let form = try FormFields.parse(lines: MemberHandling.formLines(command), spec: .profile, line: command.line).get()
        if form.values.isEmpty && form.warnings.isEmpty {
            return [Self.show(member, command: command, context: context)]
        }
        guard !form.values.isEmpty else {
            throw CommandError(
                line: command.line, problem: form.warnings.joined(separator: " "),
                remedy: "Write the fields to change as Key: value lines under PROFILE, for example City: Springfield.")
        }
        let before = member
        JoinHandler.apply(form, to: &member)
        try ledger.save(&member)
        let changed = Self.fields(of: member).filter { field in
            Self.fields(of: before).first { $0.label == field.label }?.value != field.value
        }
        var detail = changed.isEmpty
            ? "Nothing changed: your profile already said that."
            : "Now:\n" + changed.map { "  \($0.label): \($0.value ?? "(none)")" }.joined(separator: "\n")
        if !form.warnings.isEmpty { detail += "\n\n" + form.warnings.joined(separator: "\n") }
        return [
            MemberHandling.done(command, context: context, summary: "Your profile is updated.", detail: detail)
        ]
    }

    static func fields(of member: Member) -> [(label: String, value: String?)] {
        [
            ("Name", member.name), ("Business", member.business), ("Category", member.category), ("City", member.city),
            ("Website", member.website), ("Phone", member.phone), ("Email", member.email), ("About", member.about),
        ]
    }

    static func show(_ member: Member, command: ParsedCommand, context: CommandContext) -> Notification {
        let rows: [TemplateValue] = fields(of: member).map { field in
            .object(["label": .text(field.label), "value": .text(field.value ?? "(none)")])
        }
        return Notification(
            event: .profile, to: [context.sender],
            values: [
                "name": .text(member.name), "fields": .list(rows),
                "joinedOn": .text(MemberHandling.date(member.confirmedAt ?? member.joinedAt)),
                "state": .text(member.announcementsOff ? "announcements off (send START to get them)" : "announcements on"),
            ],
            quoted: MemberHandling.quoted(command), thread: MemberHandling.thread(context))
    }
}
