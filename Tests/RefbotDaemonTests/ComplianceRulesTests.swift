import Foundation
import RefbotCore
import RefbotDaemon
import Testing

/// The compliance rules: the shipped file, matching professions and jurisdictions, reward kinds,
/// disclosures, and the problems a broken rules file reports.
@Suite("Compliance rules")
struct ComplianceRulesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let shipped = ComplianceRulesFile.shipped
    static let usd = Money(amountMinor: 50_000, currency: "USD")

    /// Rules that loosen for California lawyers and allow in-kind thanks for dentists, for the matching tests.
    static let custom = """
        [professions]
        lawyer = ["lawyer", "attorney"]
        dentist = ["dentist", "dental"]
        [[rule]]
        id = "lawyers-us"
        name = "US lawyers"
        profession = "lawyer"
        jurisdiction = "US"
        allow = ["thanks"]
        disclosure = "Not exclusive."
        explanation = "No paid recommendations."
        [[rule]]
        id = "lawyers-ca"
        name = "California lawyers"
        profession = "lawyer"
        jurisdiction = "us-ca"
        allow = ["money", "none"]
        explanation = "California differs here (for the test)."
        [[rule]]
        id = "dentists"
        name = "Dentists everywhere"
        profession = "dentist"
        allow = ["none", "in_kind"]
        explanation = "Gifts only."
        """

    @Test("The rules built into refbot are rules/compliance.toml, and they parse with RESPA, ABA 7.2 and anti-kickback rules")
    func shippedRulesAreTheFile() throws {
        let file = try String(contentsOfFile: Self.root + "/rules/compliance.toml", encoding: .utf8)
        #expect(ComplianceRulesFile.shippedSource == file)
        let rules = try ComplianceRulesFile.parse(file)
        #expect(rules.rules.map(\.id) == ["respa-8", "aba-7.2", "aks"])
        #expect(rules.rules.allSatisfy { $0.jurisdiction == "US" && $0.allowed == [.none] })
        #expect(rules.rule(id: "aba-7.2")?.disclosure?.contains("not exclusive") == true)
        #expect(Self.shipped == rules)
        #expect(Configuration().compliance.rules == rules)
    }

    @Test(
        "Professions are read from free text as whole words; the longest known name wins; unknown ones become keys",
        arguments: [
            ("Real estate", "real_estate"), ("Realtor", "real_estate"), ("Real-Estate agent, Austin", "real_estate"),
            ("Mortgage broker", "real_estate"), ("Title insurance", "real_estate"), ("Attorney at law", "lawyer"),
            ("Family law firm", "lawyer"), ("Dentist", "health_care"), ("Home health aide", "health_care"),
            ("Dog walking", "dog_walking"), ("Estates gardening", "estates_gardening"),
        ])
    func professions(text: String, key: String) {
        #expect(Self.shipped.professionKey(text) == key)
    }

    @Test("Only a known profession is taken from Category:")
    func knownProfessionFromCategory() {
        #expect(Self.shipped.knownProfessionKey("Real estate") == "real_estate")
        #expect(Self.shipped.knownProfessionKey("Home improvement") == nil)
        #expect(Self.shipped.professionKey("") == nil)
    }

    @Test(
        "Jurisdictions read as ISO codes and names",
        arguments: [
            ("US", "US"), ("us-ca", "US-CA"), ("US CA", "US-CA"), ("U.S.", "US"), ("United States", "US"),
            ("California", "US-CA"), ("New York", "US-NY"), ("Texas, USA", "US-TX"), ("CA", "CA"), ("ca-on", "CA-ON"),
            ("UK", "GB"), ("de", "DE"),
        ])
    func jurisdictions(text: String, key: String) {
        #expect(Jurisdiction.key(text) == key)
    }

    @Test("Text that is no jurisdiction reads as none", arguments: ["Springfield", "", "New York City", "U", "USA-CALIFORNIA"])
    func notJurisdictions(text: String) {
        #expect(Jurisdiction.key(text) == nil)
    }

    @Test("A rule's jurisdiction covers itself and what is under it, on a - boundary only")
    func jurisdictionPrefixes() {
        #expect(Jurisdiction.covers("US", "US"))
        #expect(Jurisdiction.covers("US", "US-CA"))
        #expect(Jurisdiction.covers("US-CA", "US-CA"))
        #expect(!Jurisdiction.covers("US-CA", "US"))
        #expect(!Jurisdiction.covers("US-CA", "US-CAL"))
        #expect(!Jurisdiction.covers("US", "GB"))
    }

    @Test(
        "A US real estate listing may offer no reward at all: money per lead, per sale, percent and in kind are refused",
        arguments: [
            (Reward.perLead(usd), false), (.perSale(usd), false), (.percentOfSale(basisPoints: 250), false),
            (.inKind("a dinner for two"), false), (.none, true),
        ])
    func respaRewardKinds(reward: Reward, allowed: Bool) {
        let verdict = Self.shipped.check(profession: "real_estate", jurisdiction: "US-CA", reward: reward)
        switch verdict {
        case .refused(let rule):
            #expect(!allowed)
            #expect(rule.id == "respa-8")
            #expect(rule.remedy == "Offer thanks instead: write Reward: none.")
        case .allowed(let disclosures, let rules):
            #expect(allowed)
            #expect(disclosures.isEmpty)
            #expect(rules.map(\.id) == ["respa-8"])
        }
    }

    @Test("Outside the US, or for an unknown profession, the shipped rules allow a money reward")
    func outsideTheRules() {
        for (profession, place) in [("real_estate", "GB"), ("real_estate", "CA-ON"), ("dog_walking", "US"), (nil, "US")] {
            let verdict = Self.shipped.check(profession: profession, jurisdiction: place, reward: .perSale(Self.usd))
            #expect(verdict == .allowed(disclosures: [], rules: []), "\(profession ?? "-") in \(place)")
        }
    }

    @Test("Without a jurisdiction every rule for the profession applies, so leaving the line out loosens nothing")
    func missingJurisdictionIsStrict() throws {
        let verdict = Self.shipped.check(profession: "real_estate", jurisdiction: nil, reward: .perLead(Self.usd))
        #expect(verdict == .refused(try #require(Self.shipped.rule(id: "respa-8"))))
        let rules = try ComplianceRulesFile.parse(Self.custom)
        // Both lawyer rules apply: the US rule's thanks-only wins over California's money.
        guard case .refused(let rule) = rules.check(profession: "lawyer", jurisdiction: nil, reward: .percentOfSale(basisPoints: 1000))
        else { Issue.record("a percent reward from a lawyer without a jurisdiction was allowed"); return }
        #expect(rule.id == "lawyers-us")
    }

    @Test("With a jurisdiction the most specific rule decides: US-CA's own rule over the US one")
    func mostSpecificRuleDecides() throws {
        let rules = try ComplianceRulesFile.parse(Self.custom)
        let california = rules.check(profession: "lawyer", jurisdiction: "US-CA", reward: .percentOfSale(basisPoints: 1000))
        #expect(california == .allowed(disclosures: [], rules: [try #require(rules.rule(id: "lawyers-ca"))]))
        guard case .refused(let rule) = rules.check(profession: "lawyer", jurisdiction: "US-NY", reward: .perLead(Self.usd))
        else { Issue.record("a New York lawyer's money reward was allowed"); return }
        #expect(rule.id == "lawyers-us")
        #expect(rules.check(profession: "lawyer", jurisdiction: "US-NY", reward: .none)
            == .allowed(disclosures: ["Not exclusive."], rules: [try #require(rules.rule(id: "lawyers-us"))]))
    }

    @Test("A rule without a jurisdiction applies everywhere; in_kind and none are kinds of their own")
    func inKindRule() throws {
        let rules = try ComplianceRulesFile.parse(Self.custom)
        for place in ["GB", "US-TX", nil] as [String?] {
            if case .refused = rules.check(profession: "dentist", jurisdiction: place, reward: .inKind("a mug")) {
                Issue.record("in kind refused in \(place ?? "-")")
            }
            guard case .refused(let rule) = rules.check(profession: "dentist", jurisdiction: place, reward: .perSale(Self.usd))
            else { Issue.record("money allowed in \(place ?? "-")"); continue }
            #expect(rule.remedy == "Offer a reward this rule allows: write Reward: none or Reward: in kind: a dinner for two.")
        }
    }

    @Test("default_jurisdiction is where a listing without the line is taken to be")
    func defaultJurisdiction() throws {
        let rules = try ComplianceRulesFile.parse("default_jurisdiction = \"Germany\"\n" + Self.custom)
        #expect(rules.defaultJurisdiction == "DE")
        #expect(rules.check(profession: "lawyer", jurisdiction: nil, reward: .perLead(Self.usd)) == .allowed(disclosures: [], rules: []))
    }

    @Test("The shipped lawyer rule allows Reward: none and asks for the reciprocal-referral disclosure")
    func lawyerDisclosure() throws {
        guard case .allowed(let disclosures, _) = Self.shipped.check(profession: "lawyer", jurisdiction: "US-NY", reward: .none)
        else { Issue.record("a lawyer's listing without a reward was refused"); return }
        #expect(disclosures.count == 1)
        #expect(disclosures[0].hasPrefix("Reciprocal referral disclosure: this agreement is not exclusive."))
    }

    @Test(
        "A broken rules file names each problem and what would work",
        arguments: [
            ("[[rule]]\nid = \"x\"\nname = \"X\"\nprofession = \"lawyer\"\nallow = [\"cash\"]\nexplanation = \"e\"\n[professions]\nlawyer = [\"lawyer\"]",
             "rule 1 (\"x\"): allow names \"cash\", not a reward kind; use none (or thanks)"),
            ("[professions]\nlawyer = [\"lawyer\"]\n[[rule]]\nid = \"x\"\nprofession = \"lawyer\"\nallow = [\"none\"]",
             "rule 1 (\"x\"): name is missing"),
            ("[professions]\nlawyer = [\"lawyer\"]\n[[rule]]\nid = \"x\"\nname = \"n\"\nprofession = \"plumber\"\nallow = [\"none\"]\nexplanation = \"e\"",
             "rule 1 (\"x\"): profession \"plumber\" is not in [professions]; use one of lawyer"),
            ("[professions]\nlawyer = [\"lawyer\"]\n[[rule]]\nid = \"x\"\nname = \"n\"\nprofession = \"lawyer\"\nalow = [\"none\"]\nexplanation = \"e\"",
             "rule 1 (\"x\"): alow is not a rule setting; did you mean allow?"),
            ("[professions]\nlawyer = [\"lawyer\"]\n[[rule]]\nid = \"x\"\nname = \"n\"\nprofession = \"lawyer\"\njurisdiction = \"Springfield\"\nallow = [\"none\"]\nexplanation = \"e\"",
             "rule 1 (\"x\"): jurisdiction \"Springfield\" is not a jurisdiction"),
            ("[professions]\nlawyer = [\"lawyer\"]\n[[rule]]\nid = \"x\"\nname = \"n\"\nprofession = \"lawyer\"\nallow = []\nexplanation = \"e\"",
             "rule 1 (\"x\"): allow is empty"),
            ("[professions]\nlawyer = [\"lawyer\"]\n[[rule]]\nid = \"x\"\nname = \"n\"\nprofession = \"lawyer\"\nallow = [\"none\"]\nexplanation = \"e\"\n[[rule]]\nid = \"x\"\nname = \"n\"\nprofession = \"lawyer\"\nallow = [\"none\"]\nexplanation = \"e\"",
             "rule 2 (\"x\"): id \"x\" is used by an earlier rule"),
            ("[professions\nlawyer = 1", "line 1:"),
            ("rules = []", "rules is not part of a rules file; did you mean rule?"),
        ])
    func brokenFiles(text: String, expected: String) {
        do {
            _ = try ComplianceRulesFile.parse(text)
            Issue.record("parsed: \(text)")
        } catch {
            #expect(error.lines.contains { $0.hasPrefix(expected) }, "\(error.lines)")
        }
    }

    @Test("Every problem of a file is reported, not only the first")
    func everyProblem() {
        let text = "[professions]\nlawyer = [\"lawyer\"]\n[[rule]]\nid = \"Bad Id\"\nprofession = \"lawyer\"\nallow = [\"cash\"]\n"
        do {
            _ = try ComplianceRulesFile.parse(text)
            Issue.record("parsed")
        } catch {
            #expect(error.lines.count == 4, "\(error.lines)")  // id, name, explanation, allow
        }
    }

    @Test("A [compliance] rules_file is read beside the configuration file; a broken one is a compliance.rules_file error")
    func configurationKey() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let base = """
            [bot]
            address = "referrals@example.org"
            [imap]
            url = "imaps://mail.example.org/INBOX"
            username = "referrals@example.org"
            [smtp]
            url = "smtps://mail.example.org"
            [compliance]
            rules_file = "rules.toml"
            """
        try base.write(toFile: directory + "/refbot.toml", atomically: true, encoding: .utf8)
        try Self.custom.write(toFile: directory + "/rules.toml", atomically: true, encoding: .utf8)
        let environment = ["REFBOT_IMAP_PASSWORD": "x", "REFBOT_SMTP_PASSWORD": "y"]
        let loaded = try Configuration.load(path: directory + "/refbot.toml", environment: environment)
        #expect(loaded.compliance.rulesFile == directory + "/rules.toml")
        #expect(loaded.compliance.rules.rules.map(\.id) == ["lawyers-us", "lawyers-ca", "dentists"])

        try "[[rule]]\nid = \"x\"\n".write(toFile: directory + "/rules.toml", atomically: true, encoding: .utf8)
        do {
            _ = try Configuration.load(path: directory + "/refbot.toml", environment: environment)
            Issue.record("a broken rules file loaded")
        } catch {
            #expect(error.problems.allSatisfy { $0.key == "compliance.rules_file" })
            #expect(error.description.contains("error: compliance.rules_file: \(directory)/rules.toml: rule 1 (\"x\"): name is missing"))
        }
        try FileManager.default.removeItem(atPath: directory + "/rules.toml")
        #expect(throws: ConfigError.self) { try Configuration.load(path: directory + "/refbot.toml", environment: environment) }
    }
}
