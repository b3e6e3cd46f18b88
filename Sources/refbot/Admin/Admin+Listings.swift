import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin listings [--pending]`: the listings, newest last.
    struct Listings: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "listings",
            abstract: "List listings, or only those waiting for review with --pending.",
            discussion: """
                Approve one with `refbot admin approve L-n`, decline it with \
                `refbot admin decline L-n --reason TEXT`, feature it with `refbot admin feature L-n --days N`.
                """)

        @OptionGroup var options: ConfigOptions

        @Flag(help: "Only listings waiting for an admin's APPROVE or DECLINE.")
        var pending = false

        @Option(help: "The most rows to list.")
        var limit: Int = 200

        func validate() throws {
            if limit < 1 { throw ValidationError("--limit must be at least 1.") }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let state: ListingState? = pending ? .pending : nil
            let limit = limit
            let now = Int64(Date().timeIntervalSince1970)
            let rows = try await store.read { db in
                let ledger = StoreLedger(db)
                return try ledger.listings(state: state, limit: limit).map { listing in
                    (listing, try ledger.member(id: listing.ownerId)?.email ?? "?")
                }
            }
            if rows.isEmpty {
                print(pending ? "No listing is waiting for review." : "There are no listings yet.")
                return
            }
            print("listing  state     featured  owner                           title / reward")
            for (listing, owner) in rows {
                let id = (listing.listingID?.description ?? "-").padding(toLength: 8, withPad: " ", startingAt: 0)
                let state = listing.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                let featured = (listing.state == .live && listing.isFeatured(at: now) ? "yes" : "").padding(
                    toLength: 9, withPad: " ", startingAt: 0)
                let ownerText = owner.padding(toLength: 31, withPad: " ", startingAt: 0)
                print("\(id) \(state) \(featured) \(ownerText) \(listing.title)")
                print(String(repeating: " ", count: 62) + listing.reward.description)
                for line in Admin.complianceLines(listing) { print(String(repeating: " ", count: 62) + line) }
            }
        }
    }
}
