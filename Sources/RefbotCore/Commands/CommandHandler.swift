/// Carries out one command word.
///
/// A handler reads and changes state only through the ``Ledger`` and returns the mail to send;
/// it never sends mail or reads a clock itself. A member mistake is a thrown ``CommandError``.
///
/// ```swift
/// struct HelpHandler: CommandHandler {
///     let word = CommandWord.help
///     func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] { … }
/// }
/// ```
public protocol CommandHandler: Sendable {
    /// The word this handler answers.
    var word: CommandWord { get }
    /// A short name for logs (`"help"`).
    var name: String { get }
    /// Runs the command.
    func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification]
}

extension CommandHandler {
    public var name: String { word.rawValue.lowercased() }
}
