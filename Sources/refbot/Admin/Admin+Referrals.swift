import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin referrals`: the referrals, filtered by state, member or disagreement.
    struct Referrals: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "referrals",
            abstract: "List referrals: by state, by member, or the disputed ones.",
            discussion: """
                Newest first: number, state, owner, referrer, listing and when it last changed. --disputed \
                lists the referrals whose two sides disagree: the referrer sent DISPUTE, or the owner said \
                PAID 14 or more days ago and the referrer has not sent RECEIVED. `refbot admin referral R-n` \
                shows one referral's history and evidence. Exit status: 0 done, 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Option(help: ArgumentHelp(
            "Only referrals in this state: \(ReferralState.allCases.map(\.rawValue).joined(separator: ", ")).",
            valueName: "state"))
        var state: String?

        @Option(help: ArgumentHelp("Only referrals this member sent or received.", valueName: "email"))
        var member: String?

        @Flag(help: "Only referrals whose two sides disagree (DISPUTE, or PAID without RECEIVED for 14 days).")
        var disputed = false

        @Option(help: "The most rows to list.")
        var limit: Int = 100

        func validate() throws {
            if let state, ReferralState(rawValue: state.lowercased()) == nil {
                throw ValidationError(
                    "--state must be one of \(ReferralState.allCases.map(\.rawValue).joined(separator: ", ")), not \"\(state)\".")
            }
            if let member, !member.contains("@") { throw ValidationError("--member needs an email address, not \"\(member)\".") }
            if limit < 1 { throw ValidationError("--limit must be at least 1.") }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let now = Int64(Date().timeIntervalSince1970)
            let wanted = state.flatMap { ReferralState(rawValue: $0.lowercased()) }
            let rows = try await store.read { db in
                try ReferralDesk.list(
                    state: wanted, memberEmail: member, disputedOnly: disputed, now: now, limit: limit, in: db)
            }
            if rows.isEmpty {
                print(disputed ? "No disputed referrals." : "No referrals match.")
                return
            }
            func cell(_ text: String, _ width: Int) -> String {
                let cut = text.count > width ? String(text.prefix(width - 1)) + "…" : text
                return cut.padding(toLength: width, withPad: " ", startingAt: 0)
            }
            print("\(cell("ref", 8))  \(cell("state", 10))  \(cell("owner", 28))  \(cell("referrer", 28))  \(cell("listing", 24))  updated")
            for row in rows {
                let ref = row.referral.referralID?.description ?? "R-?"
                let listing = "L-\(row.referral.listingId) \(row.listingTitle)"
                print(Admin.printable(
                    "\(cell(ref, 8))  \(cell(row.referral.state.rawValue, 10))  \(cell(row.owner, 28))  \(cell(row.referrer, 28))  "
                        + "\(cell(listing, 24))  \(AdminTime.text(row.referral.updatedAt))"))
                if disputed, let why = ReferralDesk.disagreement(row.referral, now: now) {
                    print(Admin.printable("          \(why)"))
                }
            }
            print("\(rows.count) referral\(rows.count == 1 ? "" : "s")" + (rows.count == limit ? " (the first \(limit); --limit shows more)" : ""))
        }
    }

    /// `refbot admin referral R-n`: one referral's history and evidence.
    struct OneReferral: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "referral",
            abstract: "Show one referral: parties, terms, history (who did what, when, how) and agreement evidence.",
            discussion: """
                The history lists each change with its time, who made it and how: by mail (with the inbound \
                mail's number), with a one-click link, with refbot admin, or by the scheduler (reminders, \
                expiry). The agreement evidence is the terms' version and SHA-256, how and when each side \
                agreed, and the evidence id. Then every mail refbot sent about the referral. Exit status: \
                0 done, 1 no such referral, 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("The referral, e.g. R-12.", valueName: "R-n"))
        var referral: String

        func validate() throws { _ = try Admin.referralID(referral) }

        func run() async throws {
            let id = try Admin.referralID(referral)
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let now = Int64(Date().timeIntervalSince1970)
            guard let lines = try await store.read({ db in try ReferralDesk.report(id: id.rawValue, now: now, in: db) }) else {
                printError("error: There is no referral \(id). `refbot admin referrals` lists them.")
                throw ExitCode(1)
            }
            for line in lines { print(Admin.printable(line)) }
        }
    }

    /// Reads `R-12` (or `12`) for a referral command, or a usage error.
    static func referralID(_ text: String) throws -> ReferralID {
        if let id = ReferralID(parsing: text) { return id }
        if let number = Int64(text), number > 0 { return ReferralID(number) }
        throw ValidationError("\"\(text)\" is not a referral number; write it like R-12.")
    }
}
