import ArgumentParser
import Foundation
import RefbotCore
import RefbotMail

/// `refbot parse`: show how refbot reads a mail.
struct Parse: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Show how refbot reads a mail: headers, body, new text, command, robot or bounce.",
        discussion: """
            Reads an RFC 5322 message (an .eml file, or - for standard input) and prints what refbot \
            sees in it, to find out why a mail was read as it was. Nothing is changed or sent.
            """)

    @Argument(help: ArgumentHelp("The message file, or - for standard input.", valueName: "file"))
    var file: String

    @Flag(help: "The input is a bare body (no header), as in a reply-trimming fixture.")
    var bodyOnly = false

    @Flag(help: "Print only the new text of the reply (quotes and signatures cut).")
    var newText = false

    func run() throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else {
                throw ValidationError("Cannot read \(file).")
            }
            data = contents
        }

        if bodyOnly {
            let body = String(decoding: data, as: UTF8.self)
            let trimmed = ReplyTrimmer.trim(body)
            if newText {
                print(trimmed.newText)
                return
            }
            section("New text", trimmed.newText)
            section("Cut away", trimmed.elided)
            printCommand(subject: "", newText: trimmed.newText)
            return
        }

        let message: ParsedMessage
        do {
            message = try MessageParser.parse([UInt8](data))
        } catch {
            print("This message cannot be read: \(error)")
            print("refbot quarantines such mail and tells the admins.")
            throw ExitCode(65)
        }
        let trimmed = ReplyTrimmer.trim(message.textBody)
        if newText {
            print(trimmed.newText)
            return
        }
        print("Headers")
        for name in ["From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "Return-Path", "Delivered-To", "Auto-Submitted", "Precedence", "List-Id", "Authentication-Results"] {
            for value in message.headers(named: name) { print("  \(name): \(value)") }
        }
        print("  Content-Type (top part): \(message.contentType)")
        print("  Parts: \(message.parts.map { $0.contentType }.joined(separator: ", "))")
        section("Body text", message.textBody)
        section("New text", trimmed.newText)

        print("Classification")
        if let report = DeliveryStatusReport.parse(message), !report.failed.isEmpty {
            print("  bounce (delivery status report)")
            for recipient in report.failed {
                print("    failed: \(recipient.address) status \(recipient.status)\(recipient.diagnostic.map { " (\($0))" } ?? "")")
            }
            print("  Not a command: refbot records the bounce and does not answer.")
            return
        }
        if let reason = AutoReplySignals.reason(for: message) {
            print("  automated mail (rule: \(reason))")
            print("  Not a command: refbot never answers automated mail.")
            return
        }
        print("  ordinary mail from \(message.from?.address ?? "(no sender)")")
        printCommand(subject: message.subject, newText: trimmed.newText)
    }

    private func section(_ title: String, _ text: String) {
        print(title)
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
        if lines.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            print("  (empty)")
            return
        }
        for line in lines { print("  | \(line)") }
    }

    private func printCommand(subject: String, newText: String) {
        print("Command")
        switch CommandParser.parse(subject: subject, newText: newText) {
        case .success(let command):
            print("  \(command.word.rawValue) (from the \(command.source.rawValue))")
            if !command.arguments.isEmpty { print("  arguments: \(command.arguments)") }
            let spec: FormFields.Spec? =
                switch command.word {
                case .join: .join
                case .profile: .profile
                case .listing: .listing
                case .refer: .refer
                case .announce: .announce
                default: nil
                }
            if let spec {
                switch FormFields.parse(lines: command.followingLines, spec: spec, line: command.line) {
                case .success(let form):
                    print("  form fields:")
                    for key in form.order { print("    \(key): \(form.values[key] ?? "")") }
                    for warning in form.warnings { print("    note: \(warning)") }
                case .failure(let error):
                    print("  form not usable: \(error.problem)")
                    print("  refbot would answer: \(error.remedy)")
                }
            } else {
                let following = command.followingLines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                if !following.isEmpty {
                    print("  following lines:")
                    for line in following { print("    \(line)") }
                }
            }
        case .failure(let error):
            print("  none: \(error.problem)")
            print("  line: \(error.line)")
            print("  refbot would answer: \(error.remedy)")
        }
    }
}
