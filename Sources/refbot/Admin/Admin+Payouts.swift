import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin payouts --year Y`: money rewards marked PAID in a year, per payee.
    struct Payouts: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "payouts",
            abstract: "Total the money rewards marked PAID in one year, per payee, and flag the large ones.",
            discussion: """
                A payee is the member who made the referral. A reward counts in the calendar year (UTC) the \
                owner marked it PAID, with the amount they gave; referrals never marked PAID, rejected or \
                expired do not count, nor do rewards in kind. Totals are exact, one row per payee and \
                currency. A payee whose total in the network's currency (network.currency) is at or over \
                network.payout_report_threshold (600 by default: the US 1099-NEC line) is flagged; totals \
                in another currency are listed but not compared. This is what members reported, not tax \
                or legal advice. Admins are mailed a reminder (admin.payouts.reminder) in January. \
                Exit status: 0 done, 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Option(help: ArgumentHelp("The calendar year (UTC), e.g. 2026.", valueName: "year"))
        var year: Int

        @Option(help: ArgumentHelp("text (a table), csv or json.", valueName: "format"))
        var format: String = "text"

        func validate() throws {
            guard (2000...9999).contains(year) else {
                throw ValidationError("--year needs a four-digit year such as 2026, not \(year).")
            }
            guard TableFormat(rawValue: format.lowercased()) != nil else {
                throw ValidationError("--format must be text, csv or json, not \"\(format)\".")
            }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let year = self.year
            let rows = try await store.read { db in try PayoutReport.totals(year: year, in: db) }
            let threshold = configuration.network.payoutReportThreshold
            let currency = configuration.network.currency
            let line = Money(
                amountMinor: Int64(threshold) * (Currency(code: currency)?.minorPerMajor ?? 100), currency: currency)
            func flag(_ row: PayoutReport.Row) -> String {
                switch PayoutReport.reaches(row.total, threshold: threshold, currency: currency) {
                case true?: "over"
                case false?: ""
                case nil: "other currency"
                }
            }
            switch TableFormat(rawValue: format.lowercased())! {
            case .csv, .json:
                let records: [AdminExport.Record] = rows.map { row in
                    [("payee", row.email), ("name", row.name), ("currency", row.total.currency),
                     ("total", row.total.decimalString), ("referrals", "\(row.referrals)"),
                     ("at_or_over_threshold", flag(row) == "over" ? "yes" : flag(row) == "" ? "no" : "")]
                }
                let columns = ["payee", "name", "currency", "total", "referrals", "at_or_over_threshold"]
                try Admin.emit(
                    format.lowercased() == "csv" ? Admin.csv(columns: columns, records: records) : Admin.json(records),
                    to: nil)
            case .text:
                guard !rows.isEmpty else {
                    print("No money rewards were marked PAID in \(year).")
                    return
                }
                let emailWidth = min(max(rows.map(\.email.count).max() ?? 5, 5), 40)
                let amountWidth = max(rows.map(\.total.formatted.count).max() ?? 5, 5)
                func cell(_ text: String, _ width: Int, right: Bool = false) -> String {
                    let cut = text.count > width ? String(text.prefix(width - 1)) + "…" : text
                    if right { return String(repeating: " ", count: width - cut.count) + cut }
                    return cut.padding(toLength: width, withPad: " ", startingAt: 0)
                }
                print("Money rewards marked PAID in \(year) (UTC), per payee:")
                print("\(cell("payee", emailWidth))  \(cell("total", amountWidth, right: true))  currency  referrals  flag")
                for row in rows {
                    let mark = flag(row) == "over" ? "at or over \(line.formatted)" : flag(row)
                    print(Admin.printable(
                        "\(cell(row.email, emailWidth))  \(cell(row.total.formatted, amountWidth, right: true))  "
                            + "\(cell(row.total.currency, 8))  \(cell(String(row.referrals), 9, right: true))  \(mark)"))
                }
                let flagged = rows.filter { flag($0) == "over" }.count
                print("\(Set(rows.map(\.email)).count) payee\(Set(rows.map(\.email)).count == 1 ? "" : "s"); "
                    + "\(flagged) at or over \(line.formatted) (network.payout_report_threshold). Not tax or legal advice.")
            }
        }
    }
}
