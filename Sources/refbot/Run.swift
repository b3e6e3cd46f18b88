import ArgumentParser
import Foundation
import Logging
import RefbotDaemon
import RefbotStore
import RefbotTemplates

#if canImport(Glibc)
import Glibc
#endif

/// `refbot run`: the daemon.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the daemon: poll the mailbox, act on commands, send the answers.",
        discussion: """
            Runs until SIGTERM or SIGINT, then finishes the mail in hand and exits 0 (a signal that \
            comes while it is still starting stops it as soon as it is up). Under systemd \
            (Type=notify) it reports READY=1 after the first good poll and pings the watchdog while \
            polls succeed. Logs go to standard error, one line per event: key=value text for \
            journald, or with --log-format json one JSON object per line for log shippers. \
            Prometheus metrics are served on http.metrics_listen (default 127.0.0.1:9464) at /metrics.

            With --once it makes one pass (fetch, process, send) and exits: 0 when the pass \
            reached the mail servers, 75 when IMAP could not be reached.

            One refbot run per database: it holds a lock on <database>.run-lock while it runs, and \
            a second one on the same database exits 75 naming the first one's process. Only run \
            creates the database (and its folder must exist).
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Make one fetch, process and send pass, then exit.")
    var once = false

    @Option(help: ArgumentHelp("The least important log level to show: debug, info, notice, warning or error.", valueName: "level"))
    var logLevel: String = "info"

    @OptionGroup var logging: LogFormatOption

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
    }

    func run() async throws {
        let configuration = try options.load()
        let level = Logger.Level(rawValue: logLevel) ?? .info
        logging.bootstrap(level: level)
        let logger = Logger(label: "refbot")
        #if canImport(Glibc)
        signal(SIGPIPE, SIG_IGN)
        #endif

        // Trapped before anything else: a SIGTERM while the daemon starts must stop it in order.
        let stopSignals: StopSignals? = once ? nil : await StopSignals.trap()

        // One daemon per database: a second would send the same outbox again.
        let instanceLock: InstanceLock
        do {
            instanceLock = try InstanceLock(databasePath: configuration.bot.database)
        } catch {
            logger.error(
                "Daemon refused", metadata: ["database": "\(configuration.bot.database)", "lock": "\(error.lockFile)",
                    "holder": "\(error.holder.map(String.init) ?? "unknown")", "reason": "\(error.reason)"])
            printError("error: bot.database: \(error)")
            throw ExitCode(error.busy ? 75 : 78)
        }
        defer { instanceLock.release() }

        let daemon: Daemon
        do {
            daemon = try await buildDaemon(configuration, logger: logger)
        } catch let error as TemplateError {
            printError("error: bot.templates: \(error.message)")
            throw ExitCode(78)
        } catch let error as StoreError {
            printError("error: bot.database: \(error)")
            throw ExitCode(78)
        }
        logger.info(
            "Daemon starting",
            metadata: ["config": "\(options.config)", "once": "\(once)", "database": "\(configuration.bot.database)"])
        for warning in configuration.securityWarnings() {
            logger.warning(
                "Insecure setting", metadata: ["key": "\(warning.key)", "problem": "\(warning.problem)", "remedy": "\(warning.remedy)"])
        }
        daemon.metrics.bootstrapProcess()

        if once {
            let summary: Daemon.PassSummary
            do {
                summary = try await daemon.runOnce()
            } catch {
                await daemon.shutdown()
                throw error
            }
            await daemon.shutdown()
            logger.info(
                "Pass finished",
                metadata: [
                    "fetched": "\(summary.fetched.map(String.init) ?? "unreachable")", "processed": "\(summary.processed)",
                    "sent": "\(summary.sent)",
                ])
            if summary.fetched == nil { throw ExitCode(75) }
            return
        }
        let signals = if let stopSignals { stopSignals } else { await StopSignals.trap() }
        do {
            try await daemon.run(logger: logger, stopSignals: signals)
        } catch {
            await daemon.shutdown()
            throw error
        }
        await daemon.shutdown()
        logger.info("Daemon stopped")
    }
}
