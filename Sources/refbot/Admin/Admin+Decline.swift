import ArgumentParser
import RefbotCore

extension Admin {
    /// `refbot admin decline L-n --reason T`: the same DECLINE an admin can send by mail.
    struct Decline: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "decline",
            abstract: "Decline a pending or live listing.",
            discussion: """
                The owner gets listing.declined with the reason, queued in the same transaction as the change. \
                Exit status: 0 done, 1 refused (the message says why), 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("The listing, e.g. L-12.", valueName: "L-n"))
        var listing: String

        @Option(help: ArgumentHelp("Why, in words for the owner.", valueName: "text"))
        var reason: String?

        func validate() throws { _ = try Admin.listingID(listing) }

        func run() async throws {
            let id = try Admin.listingID(listing)
            let lines = (reason ?? "").split(whereSeparator: \.isNewline).map(String.init)
            try await Admin.runListingCommand(
                DeclineHandler(), word: .decline, arguments: id.description, followingLines: lines, options: options)
        }
    }
}
