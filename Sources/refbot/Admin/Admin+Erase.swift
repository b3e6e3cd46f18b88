import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin erase EMAIL`: erases a person's personal data, member or customer.
    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "erase",
            abstract: "Erase a person's personal data: a member's profile, or a customer's details in every referral.",
            discussion: """
                For a member: the profile (name, business, category, city, website, phone, about) is blanked, \
                their listings close and they are marked left, as FORGET does by mail. For a customer: their \
                name, email, phone and need are replaced by "(erased)" in every referral that gave their \
                address. Either way their reply addresses, and the stored incoming and outgoing mail that \
                named them, are purged (mail not yet sent is withdrawn); mail still waiting to be processed \
                is left to mail.retention_days. Referrals, agreements and credits stay, anonymised. Prints what \
                it erased. Exit status: 0 erased, 1 nothing held for that address, 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("The member's or customer's address.", valueName: "email"))
        var email: String

        func validate() throws {
            guard email.contains("@") else { throw ValidationError("\"\(email)\" is not an email address.") }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let address = Member.normalizedEmail(email)
            let now = Int64(Date().timeIntervalSince1970)
            let actor = Admin.actor(configuration.bot.admins.first ?? configuration.bot.address)
            let erasure = try await store.write { db in
                let mark = try LedgerHistory.mark(in: db)
                let erasure = try StoreLedger(db).erase(email: address, now: now, currentMessageID: nil)
                try LedgerHistory.stamp(actor: actor, method: .admin, inboundId: nil, after: mark, in: db)
                return erasure
            }
            guard !erasure.isEmpty else {
                printError("error: nothing is held for \(address): no member, no referral and no stored mail has that address.")
                throw ExitCode(1)
            }
            // Copy the change into the database file now, so no older page with the data lingers in the WAL.
            try? store.checkpoint()
            print("Erased for \(address):")
            for line in erasure.lines { print("  \(line)") }
            print("Referrals, agreements and credits stay on record, without these details.")
        }
    }
}
