import ArgumentParser
import Foundation
import Logging
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin member EMAIL`: one member, and the changes only an admin makes to them.
    struct OneMember: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "member",
            abstract: "Show one member, or suspend, resume, move or reset the bounces of them.",
            discussion: """
                Without an action it shows the member's profile, state, credits, bounces, open items \
                (referrals waiting on them, connection requests, listings) and the admins' changes to them.

                --suspend: their commands are answered "your membership is suspended, contact the admins" \
                (HELP, EXPORT and LEAVE still work), the links in their mail stop working, their listings \
                leave searches and they get no announcements or digests. --resume restores all that. \
                --change-address NEW moves the member to a new address: same member, every listing, \
                referral, connection and credit kept; reply addresses and links of mail sent to the old \
                address stop working for both addresses; both addresses are told by mail. \
                --reset-bounces clears their bounces, probe and stop, like `refbot admin members --reset-bounces`.

                Each change is recorded with who made it and when, and its mail is queued in the same \
                transaction; a running daemon sends it on its next pass. Exit status: 0 done, 1 refused \
                (the message says why), 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("The member's address.", valueName: "email"))
        var email: String

        @Flag(help: "Suspend the member.")
        var suspend = false

        @Option(help: ArgumentHelp("With --suspend: why, kept for the admins (the member is not shown it).", valueName: "text"))
        var reason: String?

        @Flag(help: "Lift the member's suspension.")
        var resume = false

        @Option(
            name: .customLong("change-address"),
            help: ArgumentHelp("Move the member to this address; both addresses are mailed.", valueName: "new-email"))
        var changeAddress: String?

        @Flag(name: .customLong("reset-bounces"), help: "Clear the member's bounces, probe and stop, so they are mailed again.")
        var resetBounces = false

        func validate() throws {
            guard email.contains("@") else { throw ValidationError("\"\(email)\" is not an email address.") }
            let actions = [suspend, resume, changeAddress != nil, resetBounces].filter { $0 }.count
            if actions > 1 {
                throw ValidationError("Give one of --suspend, --resume, --change-address and --reset-bounces at a time.")
            }
            if reason != nil && !suspend { throw ValidationError("--reason goes with --suspend.") }
            if let reason, reason.contains(where: \.isNewline) { throw ValidationError("--reason must be one line.") }
            if let changeAddress, !changeAddress.contains("@") {
                throw ValidationError("--change-address needs an email address, not \"\(changeAddress)\".")
            }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            let now = Int64(Date().timeIntervalSince1970)
            guard suspend || resume || changeAddress != nil || resetBounces else {
                try await show(store: store, configuration: configuration, now: now)
                return
            }
            let composer: MailComposer
            do {
                composer = try Processor.composer(for: configuration)
            } catch {
                printError("error: bot.templates: \(error); check that the folder holds every mail template")
                throw ExitCode(78)
            }
            let logger = Logger(label: "refbot.admin") { JournalLogHandler(label: $0, level: .notice) }
            let desk = MemberAdminDesk(configuration: configuration, composer: composer, logger: logger)
            let actor = Admin.actor(configuration.bot.admins.first ?? configuration.bot.address)
            do {
                if suspend {
                    let member = try await desk.suspend(
                        email: email, reason: reason?.trimmingCharacters(in: .whitespaces), actor: actor, now: now, store: store)
                    print(
                        "Suspended \(member.email). Their commands are refused and their links and listings are off "
                            + "until `refbot admin member \(member.email) --resume`.")
                    print("1 mail queued (member.suspended); a running daemon sends it on its next pass.")
                } else if resume {
                    let member = try await desk.resume(email: email, actor: actor, now: now, store: store)
                    print("Resumed \(member.email): their commands, links, listings, announcements and digests work again.")
                    print("1 mail queued (member.resumed); a running daemon sends it on its next pass.")
                } else if let changeAddress {
                    let change = try await desk.changeAddress(email: email, to: changeAddress, actor: actor, now: now, store: store)
                    print(
                        "Moved \(change.before.email) to \(change.after.email): same member, history kept; replies and links "
                            + "of mail sent to \(change.before.email) no longer work.")
                    print(
                        "2 mails queued (member.address.changed to \(change.before.email), member.address.welcome to "
                            + "\(change.after.email)); a running daemon sends them on its next pass.")
                } else {
                    let before = try await desk.resetBounces(email: email, actor: actor, now: now, store: store)
                    let stopped = before.bounceStoppedAt != nil ? ", and mail to them had stopped" : ""
                    print(
                        "Reset the bounces of \(before.email): \(before.bounceCount) bounce\(before.bounceCount == 1 ? "" : "s")\(stopped). "
                            + "\(configuration.bot.name) mails them again.")
                }
            } catch let refusal as MemberAdmin.Refusal {
                printError("error: \(refusal.message)")
                throw ExitCode(1)
            }
        }

        private func show(store: Store, configuration: Configuration, now: Int64) async throws {
            let details = try await store.read { db in try MemberDetails.load(email: email, in: db) }
            guard let details else {
                printError("error: No member has the address \(Member.normalizedEmail(email)). Run `refbot admin members` to see the members.")
                throw ExitCode(1)
            }
            for line in details.lines(bounceLimit: configuration.mail.bounceLimit, bounceResetDays: configuration.mail.bounceResetDays) {
                print(Admin.printable(line))
            }
        }
    }

    /// Who made an admin change: the admin's address and the account that ran the command.
    static func actor(_ admin: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        let user = environment["SUDO_USER"] ?? environment["USER"] ?? environment["LOGNAME"] ?? "uid \(getuid())"
        return "\(Member.normalizedEmail(admin)) (as \(user))"
    }

    /// `text` with control characters (escape sequences included) shown as `?`, safe to print on a
    /// terminal: member text and mail headers may carry anything.
    static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            (scalar.value < 0x20 && scalar != "\t") || (scalar.value >= 0x7F && scalar.value < 0xA0)
                || scalar.properties.generalCategory == .format && scalar.value != 0x200D ? "?" : scalar
        }))
    }
}
