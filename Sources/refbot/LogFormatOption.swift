import ArgumentParser
import Logging
import RefbotDaemon

extension LogFormat: ExpressibleByArgument {}

/// `--log-format text|json`, shared by the commands that log.
struct LogFormatOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "How log lines are written to standard error: text (one key=value line per event, for journald) or json (one JSON object per line, for log shippers).",
            valueName: "format"))
    var logFormat: LogFormat = .text

    /// Sends every `Logger` in the process to standard error in the chosen format.
    func bootstrap(level: Logger.Level) {
        let format = logFormat
        LoggingSystem.bootstrap { label in format.handler(label: label, level: level) }
    }
}
