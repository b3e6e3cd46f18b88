import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

/// `--config FILE`, shared by the commands that need the configuration.
struct ConfigOptions: ParsableArguments {
    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("The TOML configuration file.", valueName: "file"))
    var config: String = "/etc/refbot/refbot.toml"

    /// Loads the configuration, or prints every problem as `error: key: problem; remedy` and exits 78.
    func load() throws -> Configuration {
        do {
            return try Configuration.load(path: config)
        } catch {
            FileHandle.standardError.write(Data((error.description + "\n").utf8))
            throw ExitCode(78)
        }
    }
}

/// Writes a line to standard error.
func printError(_ message: String, newline: Bool = true) {
    FileHandle.standardError.write(Data((message + (newline ? "\n" : "")).utf8))
}

extension ConfigOptions {
    /// Opens the database an admin command works on: the one named in the configuration.
    func openStore(_ configuration: Configuration) throws -> Store {
        try Store(path: configuration.bot.database)
    }
}
