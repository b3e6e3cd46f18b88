import RefbotCore

/// The handlers for the command words this network answers.
public struct CommandRouter: Sendable {
    private let handlers: [CommandWord: any CommandHandler]

    public init(handlers: [any CommandHandler]) {
        var table: [CommandWord: any CommandHandler] = [:]
        for handler in handlers { table[handler.word] = handler }
        self.handlers = table
    }

    /// The router with every handler refbot has; HELP lists exactly these words.
    /// `options` carry the bot address and the standard agreement the referral handlers use.
    public static func standard(options: ReferralOptions = ReferralOptions()) -> CommandRouter {
        let handlers: [any CommandHandler] = [
            // One line per handler; keep them grouped by concern.
            // Members, credits and announcements.
            JoinHandler(),
            ConfirmHandler(),
            ProfileHandler(),
            LeaveHandler(),
            ForgetHandler(),
            ExportHandler(),
            StopHandler(),
            StartHandler(),
            CreditsHandler(),
            RedeemHandler(),
            GrantHandler(),
            AnnounceHandler(),
            // Listings, search and follows.
            ListingHandler(compliance: options.complianceRules),
            ApproveHandler(),
            DeclineHandler(),
            FeatureHandler(),
            CloseHandler(),
            ShowHandler(),
            SearchHandler(word: .search),
            SearchHandler(word: .listings),
            FollowHandler(),
            UnfollowHandler(),
            // Connections, referrals, agreements, consent and the dashboard.
            ConnectHandler(),
            AcceptHandler(),
            RejectHandler(),
            ReferHandler(options: options),
            AgreeHandler(options: options),
            ContactedHandler(),
            WonHandler(),
            LostHandler(),
            PaidHandler(),
            ReceivedHandler(),
            DisputeHandler(),
            YesHandler(),
            NoHandler(),
            StatusHandler(options: options),
        ]
        let words = Set(handlers.map(\.word)).union([.help])
        return CommandRouter(handlers: handlers + [HelpHandler(available: words)])
    }

    /// The words that have a handler.
    public var words: Set<CommandWord> { Set(handlers.keys) }

    /// The handler for a word, or the error a member sees for a word this network does not take.
    public func handler(for command: ParsedCommand) throws(CommandError) -> any CommandHandler {
        guard let handler = handlers[command.word] else {
            throw CommandError(
                line: command.line,
                problem: "\(command.word.rawValue) is a command word, but this network does not take it by mail yet.",
                remedy: "Send HELP for the commands it takes, or ask an admin.")
        }
        return handler
    }
}
