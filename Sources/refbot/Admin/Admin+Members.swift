import ArgumentParser
import Foundation
import RefbotCore
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin members`: every member with their state, credits, points and bounces.
    struct Members: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the members: email, name, state, credits, points and bounces.",
            discussion: """
                States are pending (sent JOIN, not confirmed yet), active and left. A member whose bounces \
                reach mail.bounce_limit is no longer mailed. Exit status: 0 done, 64 usage, 78 configuration.
                """)

        @OptionGroup var options: ConfigOptions

        @Option(help: ArgumentHelp("Only members in this state: pending, active or left.", valueName: "state"))
        var state: String?

        func validate() throws {
            if let state, MemberState(rawValue: state.lowercased()) == nil {
                throw ValidationError("--state must be pending, active or left, not \"\(state)\".")
            }
        }

        func run() async throws {
            let configuration = try options.load()
            let store = try Store(path: configuration.bot.database)
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
                print(
                    "\(cell(member.email, emailWidth))  \(cell(member.name, nameWidth))  \(cell(member.state.rawValue, 7))  "
                        + "\(cell(String(member.credits), 7))  \(cell(String(member.points), 6))  \(bounces)")
            }
            print("\(members.count) member\(members.count == 1 ? "" : "s")")
        }
    }
}
