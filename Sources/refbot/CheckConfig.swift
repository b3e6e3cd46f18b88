import ArgumentParser
import Foundation
import RefbotCurl
import RefbotDaemon
import RefbotStore
import RefbotTemplates
import RefbotTransport

/// `refbot check-config`: validate everything, then try the logins.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration, the templates and the database, then try the IMAP and SMTP logins.",
        discussion: """
            Reports every problem it finds, not only the first, each as \
            "error: <key>: <problem>; <remedy>". Settings that work but weaken security (tls_verify or \
            starttls off towards another host, password or secret files others may read) are reported \
            as "warning: …" and do not fail the check. Unless --no-plus-address-check is given, it sends \
            one probe mail to the bot's +check address and waits for it over IMAP (reply tags and bounce \
            addresses need plus addressing). Exits 0 when all is well and 78 otherwise.

            Relative paths resolve as the service resolves them: bot.database and bot.secret_file \
            against $STATE_DIRECTORY, else /var/lib/refbot for /etc/refbot/refbot.toml and \
            /var/lib/refbot/NAME for /etc/refbot/NAME.toml, else the config file's folder; \
            password files against $CREDENTIALS_DIRECTORY, else the config file's folder. The \
            output names the folder and the database found.
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Check the file, templates and database only; do not connect to the mail servers.")
    var offline = false

    @Flag(
        inversion: .prefixedNo,
        help: ArgumentHelp(
            "Send one probe mail to the bot's +check address and wait for it over IMAP.",
            discussion: "Reply tags and bounce addresses need the server to deliver bot+tag@ to the bot's mailbox."))
    var plusAddressCheck = true

    @Option(help: "Seconds to wait for the plus-address probe to arrive.")
    var plusAddressTimeout = 30

    func run() async throws {
        let configuration = try options.load()
        var problems: [String] = []
        func report(_ ok: Bool, _ what: String, _ problem: @autoclosure () -> String) {
            if ok {
                print("ok    \(what)")
            } else {
                print("FAIL  \(what)")
                problems.append(problem())
            }
        }
        print("ok    \(options.config) reads as TOML with every required key")

        var templatesError: String?
        do { _ = try TemplateSet(directory: configuration.bot.templates) } catch { templatesError = "\(error)" }
        report(templatesError == nil, "templates in \(configuration.bot.templates)", "bot.templates: \(templatesError ?? ""); point it at refbot's mail-templates folder")
        print("ok    compliance rules: \(configuration.compliance.summary)")

        var storeError: String?
        let databaseFolder = (configuration.bot.database as NSString).deletingLastPathComponent
        if let state = configuration.paths.stateDirectory {
            print("      relative state paths resolve against \(state) (\(configuration.paths.stateDirectoryReason))")
        }
        if FileManager.default.fileExists(atPath: configuration.bot.database) {
            do {
                let store = try Store(path: configuration.bot.database, create: false)
                if let copy = store.preMigrationBackup {
                    print("ok    database migrated to this version; the copy from before is \(copy)")
                }
            } catch { storeError = "\(error)" }
            report(storeError == nil, "database \(configuration.bot.database)", "bot.database: \(storeError ?? ""); fix the path or the folder's permissions")
        } else if FileManager.default.fileExists(atPath: databaseFolder.isEmpty ? "." : databaseFolder),
            !FileManager.default.isWritableFile(atPath: databaseFolder.isEmpty ? "." : databaseFolder)
        {
            storeError = "cannot create \(configuration.bot.database): the folder is not writable"
            report(false, "database \(configuration.bot.database)", "bot.database: \(storeError ?? ""); fix the folder's permissions")
        } else {
            // Before the first start: systemd makes the state directory and refbot run the database.
            print("ok    database \(configuration.bot.database) does not exist yet; refbot run creates it")
        }

        for warning in configuration.securityWarnings() {
            print("WARN  \(warning.key)")
            printError("warning: \(warning)")
        }

        if let problem = OAuthCheck.refreshTokenProblem(configuration) {
            report(false, "OAuth2 refresh token in \(configuration.oauth.refreshTokenFile)", problem)
        }

        if !offline {
            let pool = CurlThreadPool(threads: 1)
            var tokens: OAuthTokenSource?
            if configuration.usesOAuth {
                let source = OAuthTokenSource(settings: configuration.oauth, pool: pool, logger: OAuthCheck.logger)
                var tokenError: String?
                do { _ = try await source.accessToken(replacing: nil) } catch { tokenError = OAuthCheck.explain(error, configuration) }
                let from = configuration.oauth.tokenCommand.first ?? configuration.oauth.tokenURL
                report(tokenError == nil, "OAuth2 access token from \(from)", "oauth: \(tokenError ?? "")")
                tokens = source
            }
            var imapError: String?
            do {
                try await IMAPMailbox(settings: configuration.imapServer, pool: pool, tokens: tokens).checkLogin()
            } catch {
                imapError = Self.explained(error)
            }
            report(imapError == nil, "IMAP login to \(configuration.imap.url) as \(configuration.imap.username)", "imap: \(imapError ?? "")")
            var smtpError: String?
            do {
                try await CurlSMTPSubmitter(settings: configuration.smtpServer, pool: pool, tokens: tokens).checkLogin()
            } catch {
                smtpError = Self.explained(error)
            }
            report(smtpError == nil, "SMTP login to \(configuration.smtp.url)", "smtp: \(smtpError ?? "")")
            if plusAddressCheck, imapError == nil, smtpError == nil {
                let probe = PlusAddressCheck.probeAddress(bot: configuration.bot.address) ?? configuration.bot.address
                let outcome = await PlusAddressCheck.run(
                    bot: configuration.bot.address, processedFolder: configuration.imap.processedFolder,
                    mailbox: IMAPMailbox(settings: configuration.imapServer, pool: pool, tokens: tokens),
                    submitter: CurlSMTPSubmitter(settings: configuration.smtpServer, pool: pool, tokens: tokens),
                    timeout: max(plusAddressTimeout, 1))
                switch outcome {
                case .arrived(let folder, let seconds):
                    report(true, "plus addressing: mail to \(probe) arrived in \(folder) after \(seconds) s", "")
                case .refused(let message):
                    report(
                        false, "plus addressing: the server refused \(probe)",
                        "bot.address: the SMTP server refused mail to \(probe) (\(message)); \(PlusAddressCheck.remedy)")
                case .missing(let seconds):
                    report(
                        false, "plus addressing: mail to \(probe) did not arrive",
                        "bot.address: mail to \(probe) was accepted but did not reach the bot's inbox within \(seconds) s "
                            + "(raise --plus-address-timeout for a slow server); \(PlusAddressCheck.remedy)")
                case .unchecked(let message):
                    print("WARN  plus addressing not checked: \(message)")
                }
            }
            await pool.shutdown()
        }

        if !problems.isEmpty {
            for problem in problems { printError("error: \(problem)") }
            throw ExitCode(78)
        }
        print("All checks passed.")
    }

    /// A login failure with what the provider means by it and what would work, where
    /// ``ProviderReply`` knows the reply (Exchange `535 5.7.139`, Google `534-5.7.9`, …).
    static func explained(_ error: any Error) -> String {
        guard let error = error as? TransportError,
            let explanation = ProviderReply.explain(code: error.serverCode ?? 0, text: error.message)
        else { return "\(error)" }
        return "\(error)\n       \(explanation.provider) means: \(explanation.meaning)\n       what would work: \(explanation.remedy)"
    }
}
