import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin members`: every member with their state, credits, points and bounces.
    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "members",
            abstract: "List the members: email, name, state, credits, points and bounces.",
            discussion: """
                States are pending (sent JOIN, not confirmed yet), active and left. A member whose bounces \
                reach mail.bounce_limit is sent a probe, and is no longer mailed once the probe bounces too. \
                --reset-bounces EMAIL clears that member's bounces, probe and stop, so they are mailed again. \
                Exit status: 0 done, 1 no such member, 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Option(help: ArgumentHelp("Only members in this state: pending, active or left.", valueName: "state"))
        var state: String?

        @Option(
            name: .customLong("reset-bounces"),
            help: ArgumentHelp("Clear this member's bounces, probe and stop, so they are mailed again.", valueName: "email"))
        var resetBounces: String?

        func validate() throws {
            if let resetBounces, !resetBounces.contains("@") {
                throw ValidationError("--reset-bounces needs an email address, not \"\(resetBounces)\".")
            }
            if let state, MemberState(rawValue: state.lowercased()) == nil {
                throw ValidationError("--state must be pending, active or left, not \"\(state)\".")
            }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try options.openStore(configuration)
            if let resetBounces {
                let now = Int64(Date().timeIntervalSince1970)
                let actor = Admin.actor(configuration.bot.admins.first ?? configuration.bot.address)
                let before = try await store.write { db in
                    let before = try BounceProbe.reset(email: resetBounces, now: now, in: db)
                    if let before { try MemberAdmin.recordBounceReset(before, actor: actor, now: now, in: db) }
                    return before
                }
                guard let before else {
                    printError("No member has the address \(resetBounces). Run `refbot admin members` to see the members.")
                    throw ExitCode(1)
                }
                let stopped = before.bounceStoppedAt != nil ? ", and mail to them had stopped" : ""
                print(
                    "Reset the bounces of \(before.email): \(before.bounceCount) bounce\(before.bounceCount == 1 ? "" : "s")\(stopped). "
                        + "\(configuration.bot.name) mails them again.")
                return
            }
            var members = try await store.read { db in try StoreLedger(db).allMembers() }
            if let state, let wanted = MemberState(rawValue: state.lowercased()) {
                members = members.filter { $0.state == wanted }
            }
            if members.isEmpty {
                print(state == nil ? "No members yet." : "No \(state ?? "") members.")
                return
            }
            let limit = configuration.mail.bounceLimit
            let emailWidth = min(max(members.map(\.email.count).max() ?? 5, 5), 40)
            let nameWidth = min(max(members.map(\.name.count).max() ?? 4, 4), 30)
            func cell(_ text: String, _ width: Int) -> String {
                let cut = text.count > width ? String(text.prefix(width - 1)) + "…" : text
                return cut.padding(toLength: width, withPad: " ", startingAt: 0)
            }
            print("\(cell("email", emailWidth))  \(cell("name", nameWidth))  state    credits  points  bounces")
            for member in members {
                let bounces = "\(member.bounceCount)" + (limit > 0 && member.isBouncing(limit: limit) ? " (not mailed)" : "")
                    + (member.isSuspended ? "  suspended" : "")
                print(
                    "\(cell(member.email, emailWidth))  \(cell(member.name, nameWidth))  \(cell(member.state.rawValue, 7))  "
                        + "\(cell(String(member.credits), 7))  \(cell(String(member.points), 6))  \(bounces)")
            }
            print("\(members.count) member\(members.count == 1 ? "" : "s")")
        }
    }
}
