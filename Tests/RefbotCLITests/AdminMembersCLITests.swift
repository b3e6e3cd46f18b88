import Foundation
import RefbotTestSupport
import Testing

/// `refbot admin members`, `grant` and `announce` against a real database.
@Suite("refbot admin: members, grant, announce", .enabled(if: AdminCLIDatabase.sqlite3 != nil))
struct AdminMembersCLITests {
    let database: AdminCLIDatabase
    var directory: String { database.directory }
    var configPath: String { database.configPath }
    var environment: [String: String] { database.environment }

    init() throws {
        database = try AdminCLIDatabase()
    }

    @discardableResult
    private func sql(_ statement: String) throws -> [String] { try database.sql(statement) }

    /// Ann (active), Bob (active, bouncing) and Cy (pending), in the database the binary made.
    private func addMembers() async throws {
        if !FileManager.default.fileExists(atPath: directory + "/refbot.sqlite") {
            try await RefbotProcess.createDatabase(configPath: configPath, environment: environment)
        }
        try sql("""
            INSERT INTO member (email, name, state, credits, points, bounceCount, joinedAt) VALUES
              ('ann@example.org', 'Ann Lee', 'active', 10, 2, 0, 1),
              ('bob@example.org', 'Bob', 'active', 3, 0, 3, 1),
              ('cy@example.org', 'Cy', 'pending', 10, 0, 0, 1)
            """)
        // Bob's probe bounced too: he is no longer mailed.
        try sql("UPDATE member SET bounceStoppedAt = 2, bounceProbeOutboxId = 7, bounceProbeSentAt = 1 WHERE email = 'bob@example.org'")
    }

    private func run(_ arguments: [String]) async throws -> RefbotProcess.Result {
        // --config first, so it is read as an option even after a `--`.
        try await RefbotProcess.run(
            ["admin"] + arguments.prefix(1) + ["--config", configPath] + arguments.dropFirst(), environment: environment)
    }

    @Test("admin members lists email, name, state, credits, points and bounces")
    func members() async throws {
        try await RefbotProcess.createDatabase(configPath: configPath, environment: environment)
        let empty = try await run(["members"])
        #expect(empty.status == 0)
        #expect(empty.stdout.contains("No members yet."))
        try await addMembers()
        let listed = try await run(["members"])
        #expect(listed.status == 0, "\(listed.stderr)")
        let lines = listed.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("email") == true && lines.first?.contains("bounces") == true)
        #expect(lines.contains { $0.hasPrefix("ann@example.org") && $0.contains("Ann Lee") && $0.contains("active") && $0.contains("10") })
        #expect(lines.contains { $0.hasPrefix("bob@example.org") && $0.contains("3 (not mailed)") })
        #expect(lines.last == "3 members")
        let pending = try await run(["members", "--state", "pending"])
        #expect(pending.stdout.contains("cy@example.org") && !pending.stdout.contains("ann@example.org"))
        #expect(try await run(["members", "--state", "gone"]).status == 64)
    }

    @Test("admin grant gives credits and queues credits.granted; an unknown member exits 1; a bad address exits 64")
    func grant() async throws {
        try await addMembers()
        let granted = try await run(["grant", "ann@example.org", "5"])
        #expect(granted.status == 0, "\(granted.stderr)")
        #expect(granted.stdout.contains("Gave 5 credits to ann@example.org."))
        let taken = try await run(["grant", "bob@example.org", "--", "-2"])
        #expect(taken.status == 0, "\(taken.stderr)")
        #expect(try sql("SELECT credits FROM member WHERE email IN ('ann@example.org', 'bob@example.org') ORDER BY email")
            == ["15", "1"])
        #expect(try sql("SELECT event FROM outboxMessage") == ["credits.granted"], "bob's mail bounces, so only ann is told")

        let unknown = try await run(["grant", "nobody@example.org", "5"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("No member has the address nobody@example.org"))
        #expect(try await run(["grant", "nobody", "5"]).status == 64)
        #expect(try await run(["grant", "ann@example.org"]).status == 64)
    }

    @Test("admin announce queues one training.announcement per member who gets them and prints the count")
    func announce() async throws {
        try await addMembers()
        let body = directory + "/body.txt"
        try "Three ways to ask.\n".write(toFile: body, atomically: true, encoding: .utf8)
        let result = try await run(["announce", "--title", "Asking well", "--link", "https://example.org/t", "--body-file", body])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("queued for 1 member;"), "bob's mail bounces")
        #expect(try sql("SELECT event, recipients FROM outboxMessage") == ["training.announcement|ann@example.org"])
        #expect(try sql("SELECT title, sentCount FROM announcement") == ["Asking well|1"])
        #expect(try await run(["announce", "--title", "X", "--body-file", directory + "/missing.txt"]).status == 66)
        #expect(try await run(["announce", "--body-file", body]).status == 64)
    }

    @Test("admin members --reset-bounces clears a member's bounces, probe and stop and says so; an unknown address exits 1")
    func resetBounces() async throws {
        try await addMembers()
        let reset = try await run(["members", "--reset-bounces", "Bob@Example.org"])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stdout.contains("Reset the bounces of bob@example.org: 3 bounces, and mail to them had stopped."))
        #expect(try sql("SELECT bounceCount, bounceStoppedAt IS NULL, bounceProbeOutboxId IS NULL FROM member WHERE email = 'bob@example.org'")
            == ["0|1|1"])
        let listed = try await run(["members"])
        #expect(listed.stdout.split(separator: "\n").contains { $0.hasPrefix("bob@example.org") && !$0.contains("not mailed") })
        let granted = try await run(["grant", "bob@example.org", "1"])
        #expect(granted.status == 0, "\(granted.stderr)")
        #expect(try sql("SELECT recipients FROM outboxMessage WHERE event = 'credits.granted'") == ["bob@example.org"], "Bob is mailed again")

        let unknown = try await run(["members", "--reset-bounces", "nobody@example.org"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("No member has the address nobody@example.org"))
        #expect(try await run(["members", "--reset-bounces", "nobody"]).status == 64)
    }
}
