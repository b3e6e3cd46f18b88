import ArgumentParser
import Foundation
import Logging
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin announce`: the same ANNOUNCE an admin can send by mail.
    struct Announce: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "announce",
            abstract: "Send a training announcement to every active member who has not sent STOP.",
            discussion: """
                Each member gets training.announcement with a List-Unsubscribe address of their own; a STOP \
                to it turns announcements off. The mails are queued in one transaction and a running daemon \
                sends them. Members whose mail bounces are left out. Exit status: 0 done, 64 usage, \
                66 the body file cannot be read, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @OptionGroup var logging: LogFormatOption

        @Option(help: ArgumentHelp("The announcement's title, used as the subject.", valueName: "title"))
        var title: String

        @Option(help: ArgumentHelp("A link for more, shown under the text.", valueName: "url"))
        var link: String?

        @Option(help: ArgumentHelp("A file with the text, in UTF-8; - reads standard input.", valueName: "file"))
        var bodyFile: String

        func validate() throws {
            if title.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                throw ValidationError("--title must not be empty.")
            }
            if title.contains(where: \.isNewline) { throw ValidationError("--title must be one line.") }
        }

        func run() async throws {
            let configuration = try options.load()
            let body: String
            do {
                let data = bodyFile == "-"
                    ? FileHandle.standardInput.readDataToEndOfFile()
                    : try Data(contentsOf: URL(fileURLWithPath: bodyFile))
                body = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            } catch {
                printError("error: cannot read \(bodyFile): \(error.localizedDescription)")
                throw ExitCode(66)
            }
            guard !body.isEmpty else { throw ValidationError("The body file \(bodyFile) is empty.") }
            let composer: MailComposer
            do {
                composer = try Processor.composer(for: configuration)
            } catch {
                printError("error: bot.templates: \(error); check that the folder holds every mail template")
                throw ExitCode(78)
            }
            let store = try options.openStore(configuration)
            let now = Int64(Date().timeIntervalSince1970)
            let logger = Logger(label: "refbot.admin") { logging.logFormat.handler(label: $0, level: .notice) }
            let showProgress = isatty(STDERR_FILENO) == 1
            let (queued, total) = try await Processor.queueAnnouncement(
                title: title.trimmingCharacters(in: .whitespacesAndNewlines), link: link.flatMap { $0.isEmpty ? nil : $0 },
                body: body, composer: composer, configuration: configuration, store: store, now: now, logger: logger
            ) { done, total in
                guard showProgress, done % 50 == 0 || done == total else { return }
                printError("\rqueued \(done) of \(total)", newline: done == total)
            }
            let skipped = total - queued
            print(
                "Announcement \"\(title.trimmingCharacters(in: .whitespacesAndNewlines))\" queued for \(queued) member\(queued == 1 ? "" : "s")"
                    + (skipped > 0 ? " (\(skipped) left out: their mail bounces)" : "")
                    + "; a running daemon sends it on its next pass.")
        }
    }
}
