import ArgumentParser
import RefbotCore

extension Admin {
    /// `refbot admin feature L-n --days N`: the same FEATURE an admin can send by mail.
    struct Feature: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "feature",
            abstract: "Show a live listing first in search results for a number of days.",
            discussion: "Exit status: 0 done, 1 refused (the message says why), 64 usage, 78 configuration.")

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("The listing, e.g. L-12.", valueName: "L-n"))
        var listing: String

        @Option(help: ArgumentHelp("How many days, from now (1 to \(FeatureHandler.maxDays)).", valueName: "n"))
        var days: Int = FeatureHandler.defaultDays

        func validate() throws {
            _ = try Admin.listingID(listing)
            guard (1...FeatureHandler.maxDays).contains(days) else {
                throw ValidationError("--days must be from 1 to \(FeatureHandler.maxDays).")
            }
        }

        func run() async throws {
            let id = try Admin.listingID(listing)
            try await Admin.runListingCommand(
                FeatureHandler(), word: .feature, arguments: "\(id) \(days)", options: options)
        }
    }
}
