import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin backup`: SQLite online backup while the daemon runs.
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy the database to FILE while the daemon keeps running (SQLite online backup).")

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("Where to write the copy; must not exist yet.", valueName: "file"))
        var file: String

        func validate() throws {
            if FileManager.default.fileExists(atPath: file) {
                throw ValidationError("\(file) exists already; name a new file so no backup is overwritten.")
            }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let interactive = isatty(STDERR_FILENO) == 1
            try store.backup(to: file) { done, total in
                guard interactive, total > 0 else { return }
                printError("\r  copied \(done) of \(total) pages (\(done * 100 / total) %)", newline: false)
            }
            if interactive { printError("") }
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
            print("Backed up \(configuration.bot.database) to \(file) (\(size) bytes).")
        }
    }
}
