import ArgumentParser
import Foundation
import RefbotCurl
import RefbotDaemon
import RefbotStore
import RefbotTemplates

/// `refbot check-config`: validate everything, then try the logins.
struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check the configuration, the templates and the database, then try the IMAP and SMTP logins.",
        discussion: """
            Reports every problem it finds, not only the first, each as \
            "error: <key>: <problem>; <remedy>". Settings that work but weaken security (tls_verify or \
            starttls off towards another host, password or secret files others may read) are reported \
            as "warning: …" and do not fail the check. Exits 0 when all is well and 78 otherwise.
            """)

    @OptionGroup var options: ConfigOptions

    @Flag(help: "Check the file, templates and database only; do not connect to the mail servers.")
    var offline = false

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

        var storeError: String?
        let databaseFolder = (configuration.bot.database as NSString).deletingLastPathComponent
        if FileManager.default.fileExists(atPath: configuration.bot.database) {
            do {
                let store = try Store(path: configuration.bot.database)
                if let copy = store.preMigrationBackup {
                    print("ok    database migrated to this version; the copy from before is \(copy)")
                }
            } catch { storeError = "\(error)" }
        } else if !FileManager.default.isWritableFile(atPath: databaseFolder.isEmpty ? "." : databaseFolder) {
            storeError = "cannot create \(configuration.bot.database): the folder is missing or not writable"
        }
        report(storeError == nil, "database \(configuration.bot.database)", "bot.database: \(storeError ?? ""); fix the path or the folder's permissions")

        for warning in configuration.securityWarnings() {
            print("WARN  \(warning.key)")
            printError("warning: \(warning)")
        }

        if !offline {
            let pool = CurlThreadPool(threads: 1)
            var imapError: String?
            do {
                try await CurlIMAPMailbox(settings: configuration.imapServer, pool: pool).checkLogin()
            } catch {
                imapError = "\(error)"
            }
            report(imapError == nil, "IMAP login to \(configuration.imap.url) as \(configuration.imap.username)", "imap: \(imapError ?? "")")
            var smtpError: String?
            do {
                try await CurlSMTPSubmitter(settings: configuration.smtpServer, pool: pool).checkLogin()
            } catch {
                smtpError = "\(error)"
            }
            report(smtpError == nil, "SMTP login to \(configuration.smtp.url)", "smtp: \(smtpError ?? "")")
            await pool.shutdown()
        }

        if !problems.isEmpty {
            for problem in problems { printError("error: \(problem)") }
            throw ExitCode(78)
        }
        print("All checks passed.")
    }
}
