import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin quarantine list|show|export|requeue`: inbound mail refbot could not handle.
    struct Quarantine: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "quarantine",
            abstract: "Look at inbound mail refbot could not handle, save it, or process it again once.",
            discussion: """
                A mail is quarantined when it cannot be read, is larger than mail.max_message_bytes, or \
                failed three times; the admins are told (message.quarantined) and its original is moved to \
                the quarantine folder. Once the cause is fixed, `requeue ID` processes the stored mail again, \
                once: a second requeue of the same mail is refused, and a command that already ran from \
                another copy of the mail does not run again.
                """,
            subcommands: [List.self, Show.self, Export.self, Requeue.self])

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "list",
                abstract: "List quarantined mail, newest first: id, received, sender, subject and the reason.",
                discussion: "Exit status: 0 done, 64 usage, 78 configuration.")

            @OptionGroup var options: ConfigOptions

            @Option(help: "The most rows to list.")
            var limit: Int = 50

            func validate() throws { if limit < 1 { throw ValidationError("--limit must be at least 1.") } }

            func run() async throws {
                let configuration = try options.load()
                let store = try options.openStore(configuration)
                let rows = try await store.read { db in try RefbotStore.Quarantine.list(limit: limit, in: db) }
                if rows.isEmpty {
                    print("No quarantined mail.")
                    return
                }
                print("id      received               from / subject / reason")
                for row in rows {
                    let id = String(row.id ?? 0).padding(toLength: 7, withPad: " ", startingAt: 0)
                    let from = MailHeaderPeek.value("From", in: row.raw) ?? "(no From:)"
                    let subject = MailHeaderPeek.value("Subject", in: row.raw) ?? "(no subject)"
                    print(Admin.printable("\(id) \(AdminTime.text(row.receivedAt))  \(from)"))
                    print(Admin.printable("        subject: \(subject.prefix(120))"))
                    print(Admin.printable("        reason: \((row.lastError ?? "-").prefix(200))"))
                }
                print("\(rows.count) quarantined mail\(rows.count == 1 ? "" : "s"). `refbot admin quarantine show ID` shows one.")
            }
        }

        struct Show: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "show",
                abstract: "Show one quarantined mail: why, when, attempts, where it was filed and its header.",
                discussion: """
                    Control characters in the header are shown as ?, so a mail cannot drive your terminal. \
                    Exit status: 0 done, 1 no such mail, 64 usage, 78 configuration.
                    """)

            @OptionGroup var options: ConfigOptions

            @Argument(help: ArgumentHelp("The mail's id, as `refbot admin quarantine list` shows it.", valueName: "id"))
            var id: Int64

            func run() async throws {
                let configuration = try options.load()
                let store = try options.openStore(configuration)
                let row = try await Admin.quarantined(id, store: store)
                let (requeuedAt, purged) = try await store.read { db in
                    (try RefbotStore.Quarantine.requeuedAt(id, in: db), try RefbotStore.Quarantine.isPurged(id, in: db))
                }
                var lines = [
                    "Inbound mail \(id): \(row.state.rawValue)",
                    "Reason:       \(row.lastError ?? "-")",
                    "Received:     \(AdminTime.text(row.receivedAt))",
                    "Quarantined:  \(AdminTime.text(row.processedAt))",
                    "Attempts:     \(row.attempts)",
                    "Filed:        " + (row.filedFolder.map { "\($0)" + (row.filedUid.map { " (UID \($0))" } ?? "") } ?? "not yet"),
                    "Requeued:     " + (requeuedAt.map { AdminTime.text($0) + " (it cannot be requeued again)" } ?? "never"),
                    "",
                ]
                if purged {
                    lines.append("(the raw mail was purged under mail.retention_days or an erasure)")
                } else {
                    lines.append(contentsOf: MailHeaderPeek.headerLines(row.raw))
                    lines.append("(\(row.raw.count) bytes; `refbot admin quarantine export \(id) --output FILE` saves it)")
                }
                for line in lines { print(Admin.printable(line)) }
            }
        }

        struct Export: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "export",
                abstract: "Write a quarantined mail's raw bytes to a file, or to standard output.",
                discussion: """
                    The bytes are exactly as received, so they may hold escape sequences: they are not written \
                    to a terminal. Use --output FILE (created with mode 0600, never overwritten), or send \
                    standard output to a file or a pipe. Exit status: 0 done, 1 no such mail or nothing to \
                    export, 64 usage (standard output is a terminal), 73 the file cannot be created, \
                    78 configuration.
                    """)

            @OptionGroup var options: ConfigOptions

            @Argument(help: ArgumentHelp("The mail's id.", valueName: "id"))
            var id: Int64

            @Option(name: .shortAndLong, help: ArgumentHelp("The file to write; - or none for standard output.", valueName: "file"))
            var output: String?

            func run() async throws {
                let toStdout = output == nil || output == "-"
                if toStdout && isatty(STDOUT_FILENO) == 1 {
                    printError(
                        "error: standard output is a terminal, and raw mail can carry escape sequences. "
                            + "Use --output FILE, or redirect: refbot admin quarantine export \(id) > message-\(id).eml")
                    throw ExitCode(64)
                }
                let configuration = try options.load()
                let store = try options.openStore(configuration)
                let row = try await Admin.quarantined(id, store: store)
                if try await store.read({ db in try RefbotStore.Quarantine.isPurged(id, in: db) }) {
                    printError("error: Inbound mail \(id) was purged (mail.retention_days or an erasure); there is nothing to export.")
                    throw ExitCode(1)
                }
                if toStdout {
                    FileHandle.standardOutput.write(row.raw)
                    return
                }
                let path = output ?? ""
                do throws(PrivateFile.Failure) {
                    try PrivateFile.write(row.raw, to: path)
                } catch where error.stage == .create {
                    printError("error: \(error). Pick a new file name; export never overwrites.")
                    throw ExitCode(73)
                } catch {
                    printError("error: \(error).")
                    throw ExitCode(1)
                }
                printError("Wrote inbound mail \(id) (\(row.raw.count) bytes) to \(path).")
            }
        }

        struct Requeue: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "requeue",
                abstract: "Process a quarantined mail again, once, after its cause is fixed.",
                discussion: """
                    The mail goes back in the inbound queue with its attempts reset; a running daemon \
                    processes it on its next pass, exactly like a new mail (its command runs unless a copy \
                    of it already ran, and it is answered as usual). A mail is requeued at most once: if it \
                    fails again it stays quarantined. Exit status: 0 done, 1 refused (no such mail, not \
                    quarantined, requeued before, purged), 64 usage, 78 configuration.
                    """)

            @OptionGroup var options: ConfigOptions

            @Argument(help: ArgumentHelp("The mail's id.", valueName: "id"))
            var id: Int64

            func run() async throws {
                let configuration = try options.load()
                let store = try options.openStore(configuration)
                let now = Int64(Date().timeIntervalSince1970)
                let outcome = try await store.write { db in try RefbotStore.Quarantine.requeue(id, now: now, in: db) }
                func refuse(_ message: String) throws -> Never {
                    printError("error: \(message)")
                    throw ExitCode(1)
                }
                switch outcome {
                case .requeued: print("Inbound mail \(id) queued again; a running daemon processes it on its next pass.")
                case .noSuchMail: try refuse("There is no inbound mail \(id). `refbot admin quarantine list` lists quarantined mail.")
                case .notQuarantined(let state): try refuse("Inbound mail \(id) is not quarantined (it is \(state)); only quarantined mail is requeued.")
                case .requeuedBefore(let at):
                    try refuse(
                        "Inbound mail \(id) was requeued once already (\(AdminTime.text(at))) and failed again; it is not processed a third time. "
                            + "`refbot admin quarantine export \(id) --output FILE` saves it to look at.")
                case .purged:
                    try refuse(
                        "Inbound mail \(id) has no stored bytes (too large to fetch, or purged under mail.retention_days or an "
                            + "erasure); there is nothing to process. Its original, if any, is in the IMAP quarantine folder.")
                }
            }
        }
    }

    /// The quarantined inbound row, or exit 1 with a message.
    static func quarantined(_ id: Int64, store: Store) async throws -> InboundMessage {
        let row = try await store.read { db in try InboundQueue.find(id, in: db) }
        guard let row else {
            printError("error: There is no inbound mail \(id). `refbot admin quarantine list` lists quarantined mail.")
            throw ExitCode(1)
        }
        guard row.state == .quarantined else {
            printError("error: Inbound mail \(id) is not quarantined (it is \(row.state.rawValue)).")
            throw ExitCode(1)
        }
        return row
    }
}
