import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin webhooks [--failed [--retry]]`.
    struct Webhooks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "webhooks",
            abstract: "List webhook events waiting to be posted, or failed ones with --failed; post failed ones again.",
            discussion: """
                Every state change a [[webhooks]] entry takes is queued in the same transaction as the \
                change and POSTed, signed, to the entry's url. A failed POST (no 2xx answer, or no answer \
                within timeout_seconds) is retried with doubling backoff; after max_attempts it is given up \
                on, the admins are told (webhook.failed), and later events about the same object go out. \
                Use --failed --retry to post every failed event again once the receiver works: each keeps \
                its Refbot-Delivery id, so a receiver that has it already can drop it. Exit status: 0 done, \
                64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Flag(help: "List failed deliveries instead of pending ones.")
        var failed = false

        @Flag(help: "With --failed: queue every failed delivery again, to be posted now.")
        var retry = false

        @Option(help: "The most rows to list.")
        var limit: Int = 50

        func validate() throws {
            if retry && !failed { throw ValidationError("--retry works with --failed: refbot admin webhooks --failed --retry") }
            if limit < 1 { throw ValidationError("--limit must be at least 1.") }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            if retry {
                let now = Int64(Date().timeIntervalSince1970)
                let count = try await store.write { db in try WebhookQueue.retryFailed(now: now, in: db) }
                print(
                    "\(count) failed webhook deliver\(count == 1 ? "y" : "ies") queued again; a running daemon posts "
                        + "\(count == 1 ? "it" : "them") on its next pass.")
                return
            }
            let state: WebhookDelivery.State = failed ? .failed : .pending
            let (rows, counts) = try await store.read { db in
                (try WebhookQueue.list(state: state, limit: limit, in: db), try WebhookQueue.counts(in: db))
            }
            if configuration.webhooks.isEmpty {
                print("No [[webhooks]] entry in \(options.config): no events are queued for posting.")
            }
            let summary = WebhookDelivery.State.allCases.map { "\(counts[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
            if rows.isEmpty {
                print(failed ? "No failed webhook deliveries (\(summary))." : "No webhook deliveries waiting (\(summary)).")
                return
            }
            print("Webhook deliveries: \(summary). \(failed ? "Failed" : "Waiting"), oldest first:")
            print("id      event                  object          attempts  \(failed ? "given up              " : "next attempt          ")url / delivery id")
            for row in rows {
                let when = failed ? (row.failedAt ?? row.nextAttemptAt) : row.nextAttemptAt
                let time = Date(timeIntervalSince1970: TimeInterval(when)).formatted(.iso8601)
                let id = String(row.id ?? 0).padding(toLength: 7, withPad: " ", startingAt: 0)
                let event = row.event.padding(toLength: 22, withPad: " ", startingAt: 0)
                let object = (row.objectKey.split(separator: ":", maxSplits: 1).last.map(String.init) ?? row.objectKey)
                    .padding(toLength: 15, withPad: " ", startingAt: 0)
                let attempts = String(row.attempts).padding(toLength: 9, withPad: " ", startingAt: 0)
                print(Admin.printable("\(id) \(event) \(object) \(attempts) \(time)  \(row.url) \(row.deliveryId)"))
                if let error = row.lastError { print(Admin.printable("        last error: \(error)")) }
            }
        }
    }
}
