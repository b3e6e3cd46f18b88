import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotStore
import RefbotTemplates

/// Runs one command handler outside the mail pipeline (the admin CLI) the way the Processor does:
/// the handler's state change and the mail it causes are written in the caller's one transaction.
///
/// ```swift
/// let executor = try CommandExecutor(configuration: configuration)
/// let context = executor.adminContext(now: now)
/// let command = ParsedCommand(
///     word: .approve, arguments: "L-3", line: "APPROVE L-3", followingLines: [], source: .body)
/// let queued = try await store.write { db in
///     try executor.run(ApproveHandler(), command: command, context: context, in: db)
/// }
/// ```
///
/// Failure modes: a member-facing mistake is thrown as the handler's ``CommandError`` and nothing
/// is written (the caller's transaction rolls back); a template or database error is thrown as is.
public struct CommandExecutor: Sendable {
    let configuration: Configuration
    let composer: MailComposer

    /// An executor with the configuration's templates; throws when a template is missing or broken.
    public init(configuration: Configuration) throws {
        self.configuration = configuration
        self.composer = try Processor.composer(for: configuration)
    }

    /// An executor that uses an existing composer.
    public init(configuration: Configuration, composer: MailComposer) {
        self.configuration = configuration
        self.composer = composer
    }

    /// The context of a command given by an admin at the command line: the first address in
    /// `bot.admins` (or `sender`), authenticated by being able to run refbot on the server.
    public func adminContext(sender: String? = nil, now: Int64) -> CommandContext {
        CommandContext(
            sender: Member.normalizedEmail(sender ?? configuration.bot.admins.first ?? configuration.bot.address),
            isAdmin: true, isAuthenticated: true, now: now, settings: configuration.networkSettings,
            botName: configuration.bot.name, admins: configuration.bot.admins)
    }

    /// Runs `handler` in the caller's transaction and queues the mail it returns, except the ones
    /// `skip` picks out (the CLI prints its own answer instead of mailing `command.done` to the admin).
    /// Returns every notification the handler made, queued or skipped.
    @discardableResult
    public func run(
        _ handler: any CommandHandler, command: ParsedCommand, context: CommandContext, in db: Database,
        skip: (Notification) -> Bool = { _ in false }
    ) throws -> [Notification] {
        let notifications = try handler.handle(command, context: context, ledger: StoreLedger(db))
        for notification in notifications {
            try WebhookEvents.record(
                notification, configuration: configuration, inboundId: nil, unique: "cli.\(handler.name)",
                actor: .admin(context.sender), now: context.now, logger: Logger(label: "refbot.webhooks"), in: db)
        }
        for (index, notification) in notifications.enumerated() where !skip(notification) {
            let unique = "cli.\(handler.name).\(index).\(context.now).\(UUID().uuidString.prefix(8))"
            let row = try composer.compose(notification, unique: unique, now: context.now, inboundId: nil)
            _ = try Outbox.enqueue(row, envelopeFrom: { composer.envelopeFrom(outboxId: $0, recipients: row.recipientList) }, in: db)
        }
        return notifications
    }
}
