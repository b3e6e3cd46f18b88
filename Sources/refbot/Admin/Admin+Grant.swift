import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon

extension Admin {
    /// `refbot admin grant EMAIL N`: the same GRANT an admin can send by mail.
    struct Grant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "grant",
            abstract: "Give a member credits (a negative number takes credits away).",
            discussion: """
                The member is told by mail (credits.granted), queued in the same transaction as the change; \
                a running daemon sends it on its next pass. To take credits away, put -- before the number: \
                refbot admin grant ann@example.org -- -5. Exit status: 0 done, 1 refused (an unknown \
                member, or a balance that would fall below zero; the message says why), 64 usage, \
                78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("The member's address.", valueName: "email"))
        var email: String

        @Argument(help: ArgumentHelp("How many credits to give; negative to take away.", valueName: "n"))
        var amount: Int

        func validate() throws {
            guard email.contains("@") else { throw ValidationError("\"\(email)\" is not an email address.") }
            guard amount != 0 else { throw ValidationError("The number of credits must not be 0.") }
        }

        func run() async throws {
            try await Admin.runListingCommand(
                GrantHandler(), word: .grant, arguments: "\(Member.normalizedEmail(email)) \(amount)", options: options)
        }
    }
}
