import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin migrations`: the schema migrations the database has and the ones it lacks.
    struct Migrations: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "migrations",
            abstract: "List the database's applied and pending schema migrations.",
            discussion: """
                Reads the database without migrating or writing it. Pending migrations are applied \
                by the next `refbot run`, which first copies the database to \
                <database>.pre-v<N> (N: the schema version the database had, the number of its \
                newest applied migration). A database a newer refbot has migrated is refused by \
                every command; this one lists what it has.
                """)

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let configuration = try options.load()
            let path = configuration.bot.database
            guard FileManager.default.fileExists(atPath: path) else {
                printError("error: bot.database: there is no database at \(path); `refbot run` creates it, or point bot.database at the existing one")
                throw ExitCode(78)
            }
            let state: DatabaseMigrationState
            do {
                state = try Store.migrationState(path: path)
            } catch {
                printError("error: bot.database: \(error)")
                throw ExitCode(78)
            }
            print("Database \(path): schema version \(state.version); this refbot knows up to \(state.binaryVersion).")
            for name in state.known {
                print("  \(state.applied.contains(name) ? "applied" : "pending")  \(name)")
            }
            for name in state.unknown {
                print("  unknown  \(name)  (from a newer refbot)")
            }
            if state.isNewer {
                print("A newer refbot has migrated this database; this one refuses to use it. Install the newer version again, or restore a backup with `refbot admin restore`.")
            } else if state.applied.isEmpty {
                print("An empty database: the next start creates the schema (no backup is needed).")
            } else if state.pending.isEmpty {
                print("Up to date.")
            } else {
                print("\(state.pending.count) pending: the next start backs the database up to "
                    + "\(Store.preMigrationBackupPath(forDatabase: path, version: state.version)) and applies them.")
            }
        }
    }
}
