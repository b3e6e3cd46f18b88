import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin compliance override|rules`: the listing guardrails of `compliance.rules_file`.
    struct Compliance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "compliance",
            abstract: "Show the compliance rules in force, or publish a listing a rule holds back.",
            discussion: """
                A LISTING whose reward breaks a compliance rule (for example a money reward from a US real \
                estate listing, RESPA section 8) is refused with an explanation and kept pending, held: \
                APPROVE does not publish it. The rules come from compliance.rules_file, or the rules built \
                into refbot. The rules are a guardrail, not legal advice.
                """,
            subcommands: [Rules.self, Override.self])

        /// `refbot admin compliance rules`
        struct Rules: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "rules",
                abstract: "Print the compliance rules in force: professions, jurisdictions, allowed rewards, disclosures.",
                discussion: """
                    They are read from compliance.rules_file (relative: beside the configuration file), or, \
                    when it is not set, the rules built into refbot (a copy is /usr/share/refbot/compliance.toml). \
                    Exit status: 0 printed, 78 configuration (a broken rules file is reported line by line).
                    """)

            @OptionGroup var options: ConfigOptions

            func run() async throws {
                let configuration = try options.load()
                for line in ComplianceRulesFile.describe(
                    configuration.compliance.rules, source: configuration.compliance.source)
                {
                    print(line)
                }
            }
        }

        /// `refbot admin compliance override L-n --reason TEXT`
        struct Override: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "override",
                abstract: "Publish a listing a compliance rule holds back, recording why.",
                discussion: """
                    The listing goes live as with approve; the reason, the admin (the first address of \
                    bot.admins and your login) and the time are kept with the listing, shown by \
                    `refbot admin listings`, and written to its history. The owner gets listing.approved \
                    saying an admin overrode the rule, and the owner's followers get listing.new, queued in \
                    the same transaction; a running daemon sends them on its next pass. \
                    Exit status: 0 done, 1 refused (the message says why), 64 usage, 78 configuration.
                    """)

            @OptionGroup var options: ConfigOptions

            @Argument(help: ArgumentHelp("The held listing, e.g. L-12.", valueName: "L-n"))
            var listing: String

            @Option(help: ArgumentHelp("Why it may go live despite the rule; kept in the listing's history.", valueName: "TEXT"))
            var reason: String

            func validate() throws {
                _ = try Admin.listingID(listing)
                if reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                    throw ValidationError("--reason must say why the listing may go live despite the rule.")
                }
            }

            func run() async throws {
                let id = try Admin.listingID(listing)
                let configuration = try options.load()
                let admin = Admin.actor(configuration.bot.admins.first ?? configuration.bot.address)
                try await Admin.runListingCommand(
                    ComplianceOverrideHandler(reason: reason, admin: admin), word: .approve,
                    arguments: id.description, options: options)
            }
        }
    }
}

extension Admin {
    /// What `admin listings` shows of a listing's compliance: profession, hold, override, disclosure.
    static func complianceLines(_ listing: Listing) -> [String] {
        let compliance = listing.compliance
        var lines: [String] = []
        if let profession = compliance.profession {
            lines.append("profession: \(printable(profession))" + (compliance.jurisdiction.map { " (\(printable($0)))" } ?? ""))
        }
        if let rule = compliance.heldBy {
            if let reason = compliance.overrideReason {
                lines.append(
                    "compliance rule \(printable(rule)) overridden by \(printable(compliance.overrideBy ?? "?")) "
                        + "\(AdminTime.text(compliance.overrideAt)): \(printable(reason))")
            } else {
                let ref = listing.listingID?.description ?? "L-?"
                lines.append("HELD by compliance rule \(printable(rule)): refbot admin compliance override \(ref) --reason TEXT")
            }
        }
        if compliance.disclosure != nil { lines.append("agreements carry a compliance disclosure") }
        return lines
    }
}
