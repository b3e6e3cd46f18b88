import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin approve L-n`: the same APPROVE an admin can send by mail.
    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve",
            abstract: "Put a pending listing live.",
            discussion: """
                The owner gets listing.approved and the members who follow the owner get listing.new, \
                queued in the same transaction as the change; a running daemon sends them on its next pass. \
                Exit status: 0 done, 1 refused (the message says why), 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("The listing, e.g. L-12.", valueName: "L-n"))
        var listing: String

        func validate() throws { _ = try Admin.listingID(listing) }

        func run() async throws {
            let id = try Admin.listingID(listing)
            try await Admin.runListingCommand(
                ApproveHandler(), word: .approve, arguments: id.description, options: options)
        }
    }

    /// Reads `L-12` (or `12`) for a listing command, or a usage error.
    static func listingID(_ text: String) throws -> ListingID {
        if let id = ListingID(parsing: text) { return id }
        if let number = Int64(text), number > 0 { return ListingID(number) }
        throw ValidationError("\"\(text)\" is not a listing number; write it like L-12.")
    }

    /// Runs a listing command as the first admin of `bot.admins`, queues the mail it causes in the
    /// same transaction, and prints its answer instead of mailing it.
    static func runListingCommand(
        _ handler: any CommandHandler, word: CommandWord, arguments: String, followingLines: [String] = [],
        options: ConfigOptions
    ) async throws {
        let configuration = try options.load()
        let executor: CommandExecutor
        do {
            executor = try CommandExecutor(configuration: configuration)
        } catch {
            printError("error: bot.templates: \(error); check that the folder holds every mail template")
            throw ExitCode(78)
        }
        let store = try options.openStore(configuration)
        let context = executor.adminContext(now: Int64(Date().timeIntervalSince1970))
        let line = "\(word.rawValue) \(arguments)".trimmingCharacters(in: .whitespaces)
        let command = ParsedCommand(
            word: word, arguments: arguments, line: line, followingLines: followingLines, source: .body)
        do {
            let notifications = try await store.write { db in
                let mark = try LedgerHistory.mark(in: db)
                let notifications = try executor.run(handler, command: command, context: context, in: db) {
                    $0.event == .commandDone
                }
                try LedgerHistory.stamp(actor: Admin.actor(context.sender), method: .admin, inboundId: nil, after: mark, in: db)
                return notifications
            }
            for notification in notifications where notification.event == .commandDone {
                if case .text(let summary)? = notification.values["summary"] { print(summary) }
                if case .text(let detail)? = notification.values["detail"] { print(detail) }
            }
            let mails = notifications.filter { $0.event != .commandDone }.count
            if mails > 0 {
                print("\(mails) mail\(mails == 1 ? "" : "s") queued; a running daemon sends them on its next pass.")
            }
        } catch let error as CommandError {
            printError("error: \(error.problem) \(error.remedy)")
            throw ExitCode(1)
        }
    }
}
