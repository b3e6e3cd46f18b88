import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// `refbot admin member` suspend, resume and change of address, through the real mail servers.
@Suite("Admin tools against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct AdminToolsEndToEndTests {
    static let proven = "[auth]\ntrusted_authserv_id = \"\(SenderProof.authservID)\""

    /// The newest mail with `event` in `user`'s inbox once there are `count` of them.
    func latest(_ bot: BotFixture, _ user: String, _ event: String, count: Int = 1) async throws -> ParsedMessage {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let mails = try await bot.mailbox(user, atLeast: 0, timeout: .seconds(5))
                .filter { $0.header("X-Refbot-Event") == event }
            if mails.count >= count, let last = mails.last { return last }
            if ContinuousClock.now > deadline {
                throw MailStackError("\(user) has \(mails.count) \(event) mail, \(count) awaited")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    func events(_ bot: BotFixture, _ user: String) async throws -> [String] {
        try await bot.mailbox(user, atLeast: 0, timeout: .seconds(5)).compactMap { $0.header("X-Refbot-Event") }
    }

    func admin(_ bot: BotFixture, _ arguments: [String]) async throws -> RefbotProcess.Result {
        try await RefbotProcess.run(["admin"] + arguments + ["--config", bot.configPath], environment: bot.environment)
    }

    @Test("A suspended member's command is answered 'suspended', their listing leaves SEARCH, announcements skip them; resume restores it")
    func suspendAndResume() async throws {
        try await BotFixture.with(extraSMTP: Self.proven) { bot in
            _ = try await bot.seedConnectedPair(referrer: "alice@example.test", owner: "bob@example.test")
            let suspended = try await admin(bot, ["member", "bob@example.test", "--suspend", "--reason", "complaints"])
            #expect(suspended.status == 0, "\(suspended.stderr)")

            try await bot.send(from: "bob@example.test", name: "Bob Roe", subject: "CREDITS", body: "", extraHeaders: [SenderProof.header()])
            try await bot.send(from: "carol@example.test", name: "Carol", subject: "SEARCH kitchen", body: "")
            try await bot.pass()
            let notice = try await latest(bot, "bob@example.test", "member.suspended")
            #expect(notice.textBody.contains("admin@example.test"))
            let refusal = try await latest(bot, "bob@example.test", "command.error")
            #expect(refusal.textBody.contains("suspended"), "\(refusal.textBody)")
            #expect(refusal.textBody.contains("Contact the admins at admin@example.test"))
            #expect(try await !events(bot, "bob@example.test").contains("credits"), "the command did not run")
            let hidden = try await latest(bot, "carol@example.test", "search.results")
            #expect(!hidden.textBody.contains("Kitchen remodels"), "\(hidden.textBody)")

            let body = bot.directory + "/announce.txt"
            try "Ask every customer for a name.".write(toFile: body, atomically: true, encoding: .utf8)
            let announced = try await admin(bot, ["announce", "--title", "Tip", "--body-file", body])
            #expect(announced.stdout.contains("queued for 1 member"), "only alice: \(announced.stdout)")

            let resumed = try await admin(bot, ["member", "bob@example.test", "--resume"])
            #expect(resumed.status == 0, "\(resumed.stderr)")
            try await bot.send(from: "bob@example.test", name: "Bob Roe", subject: "CREDITS", body: "", extraHeaders: [SenderProof.header()])
            try await bot.send(from: "carol@example.test", name: "Carol", subject: "SEARCH kitchen", body: "")
            try await bot.pass()
            _ = try await latest(bot, "bob@example.test", "member.resumed")
            let credits = try await latest(bot, "bob@example.test", "credits")
            #expect(credits.textBody.contains("10"), "\(credits.textBody)")
            let shown = try await latest(bot, "carol@example.test", "search.results", count: 2)
            #expect(shown.textBody.contains("Kitchen remodels"), "\(shown.textBody)")
            #expect(try await events(bot, "bob@example.test").filter { $0 == "training.announcement" }.isEmpty)
        }
    }

    @Test("--change-address mails both addresses; the old address and its reply tags can no longer act; the new one is the same member")
    func changeAddress() async throws {
        try await BotFixture.with(extraSMTP: Self.proven) { bot in
            let store = try Store(path: bot.databasePath)
            try await store.write { db in
                let ledger = StoreLedger(db)
                var alice = Member(email: "alice@example.test", name: "Alice Example", state: .active, credits: 10, joinedAt: 1_790_000_000)
                var bob = Member(email: "bob@example.test", name: "Bob Roe", state: .active, credits: 7, joinedAt: 1_790_000_000)
                try ledger.save(&alice)
                try ledger.save(&bob)
            }
            try await bot.send(
                from: "alice@example.test", subject: "CONNECT bob@example.test", body: "", extraHeaders: [SenderProof.header()])
            try await bot.pass()
            let request = try await latest(bot, "bob@example.test", "connection.request")

            let moved = try await admin(bot, ["member", "bob@example.test", "--change-address", "carol@example.test"])
            #expect(moved.status == 0, "\(moved.stderr)")
            let taken = try await admin(bot, ["member", "carol@example.test", "--change-address", "alice@example.test"])
            #expect(taken.status == 1 && taken.stderr.contains("belongs to another member"))
            #expect(try await bot.runOnce().status == 0)
            let old = try await latest(bot, "bob@example.test", "member.address.changed")
            #expect(old.textBody.contains("carol@example.test"))
            let welcome = try await latest(bot, "carol@example.test", "member.address.welcome")
            #expect(welcome.textBody.contains("7 credits"), "\(welcome.textBody)")

            // The old address answers the request it was sent; the new address tries the same reply address.
            try await bot.reply(from: "bob@example.test", to: request, body: "ACCEPT")
            try await bot.reply(from: "carol@example.test", to: request, body: "ACCEPT")
            try await bot.pass()
            let connection = try await store.read { db in try String.fetchOne(db, sql: "SELECT state FROM connection") }
            #expect(connection == "pending", "a tag of the old address proved a command")
            #expect(try await !events(bot, "alice@example.test").contains("connection.accepted"))

            try await bot.send(from: "carol@example.test", name: "Carol", subject: "CREDITS", body: "", extraHeaders: [SenderProof.header()])
            try await bot.send(from: "bob@example.test", name: "Bob Roe", subject: "CREDITS", body: "", extraHeaders: [SenderProof.header()])
            try await bot.pass()
            let credits = try await latest(bot, "carol@example.test", "credits")
            #expect(credits.textBody.contains("7"), "the same member, with Bob's credits: \(credits.textBody)")
            #expect(try await !events(bot, "bob@example.test").contains("credits"), "the old address is no member")
            let member = try await store.read { db in try StoreLedger(db).member(email: "carol@example.test") }
            #expect(member?.name == "Bob Roe")
            #expect(try await store.read { db in try StoreLedger(db).member(email: "bob@example.test") } == nil)
        }
    }
}
