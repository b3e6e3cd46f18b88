import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// The formats of `refbot admin export` and `refbot admin payouts`.
    enum TableFormat: String, ExpressibleByArgument, CaseIterable {
        case text, csv, json
    }

    /// `refbot admin export members|listings|referrals`: the network's rows as CSV or JSON.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "export",
            abstract: "Export members, listings or referrals as CSV or JSON, for a spreadsheet or a CRM.",
            discussion: """
                CSV is RFC 4180 with a header row and CRLF line ends; a field a spreadsheet would run as a \
                formula (starting with =, +, -, @) gets a leading '. JSON is one array of objects, one per \
                row, every value a string. Times are UTC, ISO 8601. A customer's email and phone are exported \
                only where the listing's owner was given them: the referral was delivered and the customer \
                consented; otherwise both are empty. --since keeps members who joined on or after the date, \
                and listings and referrals changed on or after it. Output goes to standard output, or to \
                --output FILE, a new file readable only by you (an existing file is never overwritten). \
                Exit status: 0 done, 1 the file could not be written, 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("What to export: members, listings or referrals.", valueName: "kind"))
        var kind: String

        @Option(help: ArgumentHelp("csv or json.", valueName: "format"))
        var format: String = "csv"

        @Option(help: ArgumentHelp("Only rows new or changed on or after this day (UTC), as YYYY-MM-DD.", valueName: "date"))
        var since: String?

        @Option(help: ArgumentHelp("Write to this new file (0600) instead of standard output.", valueName: "file"))
        var output: String?

        func validate() throws {
            guard AdminExport.Kind(rawValue: kind.lowercased()) != nil else {
                throw ValidationError("Export members, listings or referrals, not \"\(kind)\".")
            }
            guard ["csv", "json"].contains(format.lowercased()) else {
                throw ValidationError("--format must be csv or json, not \"\(format)\".")
            }
            if let since, Admin.day(since) == nil {
                throw ValidationError("--since needs a date written YYYY-MM-DD, such as 2026-01-31, not \"\(since)\".")
            }
            if let output, FileManager.default.fileExists(atPath: output) {
                throw ValidationError("\(output) already exists; name a new file, or remove it first.")
            }
        }

        func run() async throws {
            let kind = AdminExport.Kind(rawValue: kind.lowercased())!
            let from = since.flatMap(Admin.day)
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let records = try await store.read { db in try AdminExport.records(kind, since: from, in: db) }
            let text = format.lowercased() == "json"
                ? Admin.json(records) : Admin.csv(columns: AdminExport.columns(kind), records: records)
            try Admin.emit(text, to: output)
            if let output {
                printError("Wrote \(records.count) \(kind.rawValue) row\(records.count == 1 ? "" : "s") to \(output).")
            }
        }
    }

    /// The first second of `YYYY-MM-DD`, UTC, or `nil` when it is not such a date.
    static func day(_ text: String) -> Int64? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        formatter.isLenient = false
        guard text.count == 10, let date = formatter.date(from: text) else { return nil }
        return Int64(date.timeIntervalSince1970)
    }

    /// RFC 4180 CSV with a header row, CRLF line ends, each field guarded against formulas.
    static func csv(columns: [String], records: [AdminExport.Record]) -> String {
        let lines = [columns.map(ExportHandler.field).joined(separator: ",")]
            + records.map { $0.map { ExportHandler.field($0.value) }.joined(separator: ",") }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// One JSON array of objects, keys in column order.
    static func json(_ records: [AdminExport.Record]) -> String {
        func quoted(_ text: String) -> String {
            let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes])
            let array = data.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
            return String(array.dropFirst().dropLast())
        }
        let objects = records.map { record in
            "  {" + record.map { "\(quoted($0.column)): \(quoted($0.value))" }.joined(separator: ", ") + "}"
        }
        return objects.isEmpty ? "[]\n" : "[\n" + objects.joined(separator: ",\n") + "\n]\n"
    }

    /// Prints `text`, or writes it to the new file `path` (0600, never overwriting). On a terminal,
    /// control characters print as `?` so a member's field cannot drive it.
    static func emit(_ text: String, to path: String?) throws {
        guard let path else {
            let lineEnd = text.hasSuffix("\r\n") ? "\r\n" : "\n"
            let safe = isatty(1) == 1
                ? text.components(separatedBy: lineEnd).map(printable).joined(separator: lineEnd)
                : text
            FileHandle.standardOutput.write(Data(safe.utf8))
            return
        }
        do throws(PrivateFile.Failure) {
            try PrivateFile.write(Data(text.utf8), to: path)
        } catch where error.stage == .create {
            printError("error: \(error). Name a new file in a folder you can write to.")
            throw ExitCode(1)
        } catch {
            printError("error: \(error).")
            throw ExitCode(1)
        }
    }
}
