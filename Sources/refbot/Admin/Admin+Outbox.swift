import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin outbox`: the mail queue, like Postfix's mailq.
    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "outbox",
            abstract: "List outbound mail waiting to be sent, or failed mail with --failed; show, retry or cancel one.",
            discussion: """
                Pending mail is retried with backoff until smtp.give_up_hours, then marked failed and \
                the admins are told. Use --failed --retry to queue every failed mail again once its \
                cause is fixed.

                For one mail, by the id the listing shows: `refbot admin outbox show ID` prints its state, \
                recipients, attempts, last error and header; `refbot admin outbox retry ID` queues a failed \
                or cancelled mail again, to be sent now; `refbot admin outbox cancel ID` stops a mail not \
                sent yet (it stays in the outbox as failed and cancelled, and --failed --retry leaves it \
                alone). `refbot admin outbox cancel ID --announcement` cancels every mail of the \
                announcement ID belongs to that is not sent yet, and prints how many. Exit status: 0 done, \
                1 refused (no such mail, already sent; the message says why), 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("For one mail: show, retry or cancel.", valueName: "action"))
        var action: OneMailAction?

        @Argument(help: ArgumentHelp("The mail's id, as the listing shows it.", valueName: "id"))
        var id: Int64?

        @Flag(help: "With cancel: cancel every mail of that announcement not sent yet.")
        var announcement = false

        @Flag(help: "List failed mail instead of pending mail.")
        var failed = false

        @Flag(help: "With --failed: queue every failed mail again, to be sent now.")
        var retry = false

        @Option(help: "The most rows to list.")
        var limit: Int = 50

        func validate() throws {
            if action != nil {
                guard let id, id > 0 else { throw ValidationError("\(action?.rawValue ?? "") needs the mail's id: refbot admin outbox \(action?.rawValue ?? "show") 12") }
                if failed || retry { throw ValidationError("--failed and --retry list or retry every failed mail; leave them out for one mail.") }
            } else if id != nil {
                throw ValidationError("Say what to do with the mail: refbot admin outbox show|retry|cancel ID")
            }
            if announcement && action != .cancel { throw ValidationError("--announcement goes with cancel: refbot admin outbox cancel ID --announcement") }
            if retry && !failed { throw ValidationError("--retry works with --failed: refbot admin outbox --failed --retry") }
            if limit < 1 { throw ValidationError("--limit must be at least 1.") }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            if let action, let id {
                try await Admin.oneMail(action, id: id, wholeAnnouncement: announcement, store: store)
                return
            }
            if retry {
                let now = Int64(Date().timeIntervalSince1970)
                let count = try await store.write { db in try RefbotStore.Outbox.retryFailed(now: now, in: db) }
                print("\(count) failed mail\(count == 1 ? "" : "s") queued again; a running daemon sends them on its next pass.")
                return
            }
            let state: OutboxMessage.State = failed ? .failed : .pending
            let rows = try await store.read { db in try RefbotStore.Outbox.list(state: state, limit: limit, in: db) }
            if rows.isEmpty {
                print(failed ? "No failed mail." : "The outbox is empty: every mail has been sent.")
                return
            }
            print("id      event                  attempts  next attempt          recipients / last error")
            for row in rows {
                let next = Date(timeIntervalSince1970: TimeInterval(row.nextAttemptAt)).formatted(.iso8601)
                let id = String(row.id ?? 0).padding(toLength: 7, withPad: " ", startingAt: 0)
                let event = row.event.padding(toLength: 22, withPad: " ", startingAt: 0)
                let attempts = String(row.attempts).padding(toLength: 9, withPad: " ", startingAt: 0)
                print("\(id) \(event) \(attempts) \(next)  \(row.recipientList.joined(separator: ", "))")
                if let error = row.lastError { print("        last error: \(error)") }
            }
        }
    }
}
