import Foundation
import RefbotTestSupport
import Testing

/// `refbot admin compliance rules|override` and `check-config` on `compliance.rules_file`, run as the built binary.
@Suite("refbot admin compliance", .enabled(if: AdminCLIDatabase.sqlite3 != nil))
struct ComplianceCLITests {
    let database: AdminCLIDatabase
    var configPath: String { database.configPath }

    init() throws {
        database = try AdminCLIDatabase()
    }

    private func run(_ arguments: [String]) async throws -> RefbotProcess.Result {
        try await RefbotProcess.run(arguments + ["--config", configPath], environment: database.environment)
    }

    /// Adds `[compliance] rules_file = "rules.toml"` to the configuration, with `rules` in that file beside it.
    private func useRules(_ rules: String) throws {
        let config = try String(contentsOfFile: configPath, encoding: .utf8)
        try (config + "\n[compliance]\nrules_file = \"rules.toml\"\n").write(toFile: configPath, atomically: true, encoding: .utf8)
        try rules.write(toFile: database.directory + "/rules.toml", atomically: true, encoding: .utf8)
    }

    @Test("check-config refuses a malformed rules file with one error: compliance.rules_file: line per problem")
    func checkConfigMalformedRules() async throws {
        try useRules("""
            [professions]
            lawyer = ["lawyer"]
            [[rule]]
            id = "aba"
            profession = "lawyers"
            allow = ["cash"]
            explanation = "No paid recommendations."
            """)
        let result = try await run(["check-config", "--offline"])
        #expect(result.status == 78)
        let path = database.directory + "/rules.toml"
        for problem in [
            "error: compliance.rules_file: \(path): rule 1 (\"aba\"): name is missing",
            "error: compliance.rules_file: \(path): rule 1 (\"aba\"): profession \"lawyers\" is not in [professions]",
            "error: compliance.rules_file: \(path): rule 1 (\"aba\"): allow names \"cash\", not a reward kind",
        ] {
            #expect(result.stderr.contains(problem), "\(result.stderr)")
        }

        try "default_jurisdiction = [\n".write(toFile: path, atomically: true, encoding: .utf8)
        let syntax = try await run(["check-config", "--offline"])
        #expect(syntax.status == 78)
        #expect(syntax.stderr.contains("error: compliance.rules_file: \(path): line "), "\(syntax.stderr)")

        try FileManager.default.removeItem(atPath: path)
        let missing = try await run(["check-config", "--offline"])
        #expect(missing.status == 78)
        #expect(missing.stderr.contains("error: compliance.rules_file: \(path): cannot read \(path)"), "\(missing.stderr)")
    }

    @Test("check-config --offline accepts a good rules file and says how many rules are in force")
    func checkConfigGoodRules() async throws {
        try useRules(try String(contentsOfFile: RefbotProcess.packageRoot + "/rules/compliance.toml", encoding: .utf8))
        let result = try await run(["check-config", "--offline"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("ok    compliance rules: 3 from \(database.directory)/rules.toml"))
    }

    @Test("admin compliance rules prints the built-in rules without a rules file, and the file's with one")
    func rulesListing() async throws {
        let builtIn = try await run(["admin", "compliance", "rules"])
        #expect(builtIn.status == 0, "\(builtIn.stderr)")
        for text in [
            "Compliance rules from the rules built into refbot", "respa-8: RESPA section 8", "aba-7.2: ABA Model Rule 7.2(b)",
            "aks: the federal Anti-Kickback Statute", "applies to:  real_estate in the US", "disclosure:  Reciprocal referral disclosure",
            "This is not legal advice",
        ] {
            #expect(builtIn.stdout.contains(text), "lacks \(text): \(builtIn.stdout)")
        }
        try useRules("""
            default_jurisdiction = "DE"
            [professions]
            notary = ["notary", "notar"]
            [[rule]]
            id = "notaries"
            name = "Notaries take no referral fees"
            profession = "notary"
            allow = ["thanks", "in_kind"]
            explanation = "Notaries must stay impartial."
            """)
        let custom = try await run(["admin", "compliance", "rules"])
        #expect(custom.status == 0, "\(custom.stderr)")
        #expect(custom.stdout.contains("Compliance rules from \(database.directory)/rules.toml"))
        #expect(custom.stdout.contains("taken to be in DE"))
        #expect(custom.stdout.contains("allows:      none, in_kind"))
        #expect(!custom.stdout.contains("respa-8"))
    }

    @Test("admin compliance override refuses a listing no rule holds, and needs a reason")
    func overrideRefusals() async throws {
        try await RefbotProcess.createDatabase(configPath: configPath, environment: database.environment)
        try database.sql("""
            INSERT INTO member (id, email, name, state, credits, points, bounceCount, joinedAt) VALUES
              (1, 'ann@example.org', 'Ann Lee', 'active', 10, 0, 0, 1790000000);
            INSERT INTO listing (id, ownerId, title, category, customer, rewardKind, state, createdAt, updatedAt) VALUES
              (1, 1, 'Leaky pipes', 'Plumbing', 'Homeowners', 'none', 'pending', 1790000000, 1790000000);
            """)
        let notHeld = try await run(["admin", "compliance", "override", "L-1", "--reason", "why not"])
        #expect(notHeld.status == 1)
        #expect(notHeld.stderr.contains("L-1 is not held by a compliance rule"))
        #expect(notHeld.stderr.contains("refbot admin approve L-1"))
        let noReason = try await run(["admin", "compliance", "override", "L-1"])
        #expect(noReason.status == 64)
        let blank = try await run(["admin", "compliance", "override", "L-1", "--reason", "  "])
        #expect(blank.status == 64)
        #expect(blank.stderr.contains("--reason must say why"))
        #expect(try database.sql("SELECT state FROM listing WHERE id = 1") == ["pending"])

        // A held one: `admin listings` says so and how to publish it.
        try database.sql("UPDATE listing SET complianceHeldBy = 'respa-8', profession = 'real_estate', jurisdiction = 'US-CA' WHERE id = 1")
        let listings = try await run(["admin", "listings", "--pending"])
        #expect(listings.stdout.contains("profession: real_estate (US-CA)"))
        #expect(listings.stdout.contains("HELD by compliance rule respa-8: refbot admin compliance override L-1 --reason TEXT"))
        let approve = try await run(["admin", "approve", "L-1"])
        #expect(approve.status == 1)
        #expect(approve.stderr.contains("breaks the network's compliance rule respa-8"))
    }

    @Test(
        "admin compliance --help and its subcommands' say what they do",
        arguments: [
            (["admin", "compliance", "--help"], ["rules", "override", "not legal advice"]),
            (["admin", "compliance", "override", "--help"], ["<L-n>", "--reason", "listing.approved", "history"]),
            (["admin", "compliance", "rules", "--help"], ["compliance.rules_file", "/usr/share/refbot/compliance.toml"]),
        ])
    func help(arguments: [String], words: [String]) async throws {
        let result = try await RefbotProcess.run(arguments)
        #expect(result.status == 0)
        for word in words { #expect(result.stdout.contains(word), "\(arguments) help lacks \(word)") }
    }
}
