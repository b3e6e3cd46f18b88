import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin stats`: counts of inbound and outbound mail by state.
    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show counts of inbound and outbound mail by state.")

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let (inbound, outbound) = try await store.read { db in
                (try InboundQueue.counts(in: db), try RefbotStore.Outbox.counts(in: db))
            }
            print("Inbound mail")
            for state in [InboundMessage.State.received, .done, .ignored, .quarantined] {
                print("  \(state.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(inbound[state] ?? 0)")
            }
            print("Outbound mail")
            for state in [OutboxMessage.State.pending, .sent, .failed] {
                print("  \(state.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)) \(outbound[state] ?? 0)")
            }
        }
    }
}
