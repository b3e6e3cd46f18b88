import ArgumentParser

/// `refbot`: the daemon and its admin tools.
@main
struct RefbotCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refbot",
        abstract: "Runs a business referral network by email.",
        discussion: """
            refbot reads commands from an IMAP mailbox, keeps the network's state in SQLite and \
            answers over SMTP. Members never see a web form: they mail HELP to the bot's address.

            Exit codes: 0 ok, 64 usage error, 75 a mail server could not be reached (run --once), \
            78 configuration error (a missing or unreadable config file included).
            """,
        version: refbotVersion,
        subcommands: [Run.self, CheckConfig.self, Parse.self, Admin.self, Auth.self]
    )
}
