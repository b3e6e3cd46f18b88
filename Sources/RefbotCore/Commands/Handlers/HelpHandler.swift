/// `HELP`: the list of commands, generated from ``CommandWord``.
public struct HelpHandler: CommandHandler {
    public let word = CommandWord.help
    /// The words that have a handler on this network; others are left out of the list.
    public let available: Set<CommandWord>

    public init(available: Set<CommandWord>) {
        self.available = available
    }

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        func words(_ audience: CommandAudience) -> [CommandWord] {
            CommandWord.allCases.filter { $0.audience == audience && available.contains($0) }
        }
        func rows(_ audience: CommandAudience) -> TemplateValue {
            .list(
                words(audience).map {
                    .object(["word": .text($0.rawValue), "synopsis": .text($0.synopsis), "summary": .text($0.summary)])
                })
        }
        return [
            Notification(
                event: .help, to: [context.sender],
                values: [
                    "anyone": rows(.anyone), "member": rows(.member), "admin": rows(.admin),
                    "hasMember": .flag(!words(.member).isEmpty),
                    "isAdmin": .flag(context.isAdmin && !words(.admin).isEmpty),
                ],
                quoted: [command.line], thread: context.messageID.map { [$0] } ?? [])
        ]
    }
}
