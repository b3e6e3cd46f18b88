import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin backup`: SQLite online backup while the daemon runs, with the link secret.
    struct Backup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "backup",
            abstract: "Copy the database to FILE while the daemon keeps running (SQLite online backup).",
            discussion: """
                The link secret (bot.secret_file) is copied beside it as FILE.secret: links in mail \
                already sent only work with the secret they were made with, so keep the two together. \
                Both files are created readable by their owner only. Restore them with \
                `refbot admin restore FILE`.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("Where to write the copy; must not exist yet.", valueName: "file"))
        var file: String

        func validate() throws {
            if FileManager.default.fileExists(atPath: file) {
                throw ValidationError("\(file) exists already; name a new file so no backup is overwritten.")
            }
            if FileManager.default.fileExists(atPath: SecretCopy.path(besideBackup: file)) {
                throw ValidationError(
                    "\(SecretCopy.path(besideBackup: file)) exists already; name a new backup file so no secret is overwritten.")
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
            let secret = configuration.bot.secretFile
            let copy = SecretCopy.path(besideBackup: file)
            do {
                try PrivateFile.copy(from: secret, to: copy)
                print("Copied the link secret \(secret) to \(copy); keep it with the backup.")
            } catch {
                print(
                    "The link secret was not copied (\(error)). It is \(secret) (bot.secret_file): keep a copy of it "
                        + "with the backup, or links in mail already sent stop working after a restore.")
            }
        }
    }
}

/// The link secret kept beside a backup: `FILE.secret`, 0600 (``PrivateFile``).
enum SecretCopy {
    static func path(besideBackup file: String) -> String { file + ".secret" }
}
