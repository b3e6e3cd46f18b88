import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore
import Synchronization

/// `--config FILE`, shared by the commands that need the configuration.
///
/// `refbot admin` takes it too, before the command's name (`refbot admin --config FILE stats`);
/// an admin command's own `--config` wins over it.
struct ConfigOptions: ParsableArguments {
    /// Where systemd's units and the README put the file.
    static let defaultPath = "/etc/refbot/refbot.toml"

    @Option(
        name: [.customShort("c"), .customLong("config")],
        help: ArgumentHelp("The TOML configuration file (default: \(ConfigOptions.defaultPath)).", valueName: "file"))
    var file: String?

    /// The `--config` given to `refbot admin` before the command's name, set while parsing.
    static let inherited = Mutex<String?>(nil)

    /// The configuration file: this command's `--config`, else the one given to `refbot admin`,
    /// else ``defaultPath``.
    var config: String { file ?? Self.inherited.withLock { $0 } ?? Self.defaultPath }

    /// Loads the configuration, or prints every problem as `error: key: problem; remedy` and exits 78.
    ///
    /// Admin commands (any command under `refbot admin`) do not read the password files: they never
    /// log in to the mail servers, and the files are often readable only by the service.
    func load() throws -> Configuration {
        do {
            return try Configuration.load(path: config, readPasswords: !isAdminCommand)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(78)
        }
    }

    /// Whether the command being run is one of `refbot admin`'s.
    private var isAdminCommand: Bool { Self.adminCommandRunning.withLock { $0 } }

    /// Set by `refbot admin` while its arguments are parsed.
    static let adminCommandRunning = Mutex(false)

    /// Called by `refbot admin` before its command's arguments are read: the command is an admin
    /// command, and `file` (its `--config`, if given) is the one to use unless the command has its own.
    static func handDown(_ file: String?) {
        inherited.withLock { $0 = file }
        adminCommandRunning.withLock { $0 = true }
    }
}

/// Writes a line to standard error.
func printError(_ message: String, newline: Bool = true) {
    FileHandle.standardError.write(Data((message + (newline ? "\n" : "")).utf8))
}

extension ConfigOptions {
    /// Opens the database an admin command works on: the one named in the configuration, which
    /// must exist (only `refbot run` creates it). A missing database prints what was looked for
    /// and exits 78.
    func openStore(_ configuration: Configuration) throws -> Store {
        do {
            let store = try Store(path: configuration.bot.database, create: false)
            if let copy = store.preMigrationBackup {
                printError("note: the database was migrated to this version of refbot; the copy from before is \(copy)")
            }
            return store
        } catch let error as MissingDatabase {
            printError("error: bot.database: \(Self.explainMissing(error.path, configuration)); "
                + "start the service once (refbot run creates it), or point bot.database at the existing database")
            throw ExitCode(78)
        } catch let error as StoreError {
            printError("error: bot.database: \(error)")
            throw ExitCode(78)
        }
    }

    /// "there is no database at /var/lib/refbot/refbot.sqlite (relative paths in … resolve against …)".
    static func explainMissing(_ path: String, _ configuration: Configuration) -> String {
        var text = "there is no database at \(path)"
        if let state = configuration.paths.stateDirectory, path.hasPrefix(state + "/") {
            text += " (a relative bot.database resolves against \(state), \(configuration.paths.stateDirectoryReason))"
        }
        return text
    }
}
