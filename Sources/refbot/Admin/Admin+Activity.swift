import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin activity [--month YYYY-MM]`: per member, a month's referrals and what waits
    /// on them now, with a traffic light.
    struct Activity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "activity",
            abstract: "Show each member's referral activity for a month and who needs a nudge.",
            discussion: """
                One row per active member, including those with no activity: referrals they gave (sent) \
                in the month, received (reached them as a listing's owner) and accepted; the median time \
                from a referral reaching them to their first ACCEPT or REJECT (over those of the month \
                answered so far); and stale items: referrals waiting on them now longer than the reminder \
                threshold (pending past half of network.referral_expiry_days, or accepted with no update \
                for network.stale_after_days). The light: red with any stale item; amber with none but a \
                quiet month (nothing given, received or accepted) or a median first answer slower than \
                the reminder threshold; green otherwise. Red rows come first. Months are UTC; the default \
                is the current month so far. Exit status: 0 done, 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Option(help: ArgumentHelp("The month (UTC) as YYYY-MM, e.g. 2026-11; the current month by default.", valueName: "month"))
        var month: String?

        @Option(help: ArgumentHelp("text (a table), csv or json.", valueName: "format"))
        var format: String = "text"

        func validate() throws {
            if let month {
                guard let parsed = RecognitionMonth(month) else {
                    throw ValidationError("--month needs a month written YYYY-MM, such as 2026-11, not \"\(month)\".")
                }
                let now = Int64(Date().timeIntervalSince1970)
                guard parsed.start <= now else {
                    throw ValidationError("--month \(month) has not started yet; name this month or an earlier one.")
                }
            }
            guard TableFormat(rawValue: format.lowercased()) != nil else {
                throw ValidationError("--format must be text, csv or json, not \"\(format)\".")
            }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let now = Int64(Date().timeIntervalSince1970)
            let month = self.month.flatMap { RecognitionMonth($0) } ?? RecognitionMonth(containing: now)
            let settings = configuration.networkSettings
            let rows = try await store.read { db in
                try ActivityReport.rows(month: month, now: now, settings: settings, in: db)
            }
            switch TableFormat(rawValue: format.lowercased())! {
            case .csv, .json:
                let records: [AdminExport.Record] = rows.map { row in
                    [("email", row.email), ("name", row.name), ("given", "\(row.given)"),
                     ("received", "\(row.received)"), ("accepted", "\(row.accepted)"),
                     ("median_first_answer_seconds", row.medianFirstAnswer.map { "\($0)" } ?? ""),
                     ("stale", "\(row.stale)"), ("light", row.light.rawValue), ("reason", row.reason),
                     ("suspended", row.suspended ? "yes" : "no")]
                }
                let columns = ["email", "name", "given", "received", "accepted", "median_first_answer_seconds", "stale",
                               "light", "reason", "suspended"]
                try Admin.emit(
                    format.lowercased() == "csv" ? Admin.csv(columns: columns, records: records) : Admin.json(records),
                    to: nil)
            case .text:
                let soFar = month == RecognitionMonth(containing: now) ? " so far" : ""
                guard !rows.isEmpty else {
                    print("No active members: nothing to show for \(month.name)\(soFar).")
                    return
                }
                let emailWidth = min(max(rows.map(\.email.count).max() ?? 6, 6), 40)
                func cell(_ text: String, _ width: Int, right: Bool = false) -> String {
                    let cut = text.count > width ? String(text.prefix(width - 1)) + "…" : text
                    if right { return String(repeating: " ", count: width - cut.count) + cut }
                    return cut.padding(toLength: width, withPad: " ", startingAt: 0)
                }
                print("Referral activity in \(month.name)\(soFar) (UTC), per active member:")
                print("\(cell("member", emailWidth))  given  received  accepted  1st answer  stale  light")
                for row in rows {
                    let answer = row.medianFirstAnswer.map(ActivityReport.duration) ?? "-"
                    let light = row.light.rawValue + (row.reason.isEmpty ? "" : " (\(row.reason))")
                        + (row.suspended ? ", suspended" : "")
                    print(Admin.printable(
                        "\(cell(row.email, emailWidth))  \(cell("\(row.given)", 5, right: true))  "
                            + "\(cell("\(row.received)", 8, right: true))  \(cell("\(row.accepted)", 8, right: true))  "
                            + "\(cell(answer, 10, right: true))  \(cell("\(row.stale)", 5, right: true))  \(light)"))
                }
                let counts = ActivityReport.Light.allCases.map { light in "\(rows.filter { $0.light == light }.count) \(light.rawValue)" }
                print("\(counts.joined(separator: ", ")). Red: something waits past the reminder threshold; "
                    + "amber: a quiet month or slow answers; see --help for the rule.")
            }
        }
    }
}
