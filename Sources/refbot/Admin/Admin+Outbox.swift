import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin outbox`: the mail queue, like Postfix's mailq.
    struct Outbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List outbound mail waiting to be sent, or failed mail with --failed.",
            discussion: """
                Pending mail is retried with backoff until smtp.give_up_hours, then marked failed and \
                the admins are told. Use --failed --retry to queue every failed mail again once its \
                cause is fixed.
                """)

        @OptionGroup var options: ConfigOptions

        @Flag(help: "List failed mail instead of pending mail.")
        var failed = false

        @Flag(help: "With --failed: queue every failed mail again, to be sent now.")
        var retry = false

        @Option(help: "The most rows to list.")
        var limit: Int = 50

        func validate() throws {
            if retry && !failed { throw ValidationError("--retry works with --failed: refbot admin outbox --failed --retry") }
            if limit < 1 { throw ValidationError("--limit must be at least 1.") }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
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
