import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Testing

/// LISTING against the shipped compliance rules, through the pipeline: refused and held, never
/// silently changed; APPROVE and auto-approval cannot publish a held listing; a passing listing's
/// agreements carry its disclosure.
@Suite("Compliance at listing time")
struct ComplianceListingTests {
    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let clock = ManualClock()
    let logs = LogCapture()
    let daemon: Daemon

    init() async throws {
        try await self.init(autoApprove: false)
    }

    init(autoApprove: Bool) async throws {
        directory = try TemporaryDirectory()
        var configuration = testConfiguration(in: directory)
        configuration.network.autoApproveListings = autoApprove
        daemon = try await buildDaemon(
            configuration, environment: [:], logger: logs.logger, clock: clock.daemonClock, mailbox: mailbox,
            submitter: submitter)
    }

    static func form(profession: String? = "Real estate agent", jurisdiction: String? = "US-CA", reward: String = "$500 per sale",
                     category: String = "Homes") -> String {
        var lines = ["LISTING", "Title: Home buyers", "Category: \(category)", "Customer: Families moving to town", "Reward: \(reward)"]
        if let profession { lines.append("Profession: \(profession)") }
        if let jurisdiction { lines.append("Jurisdiction: \(jurisdiction)") }
        return lines.joined(separator: "\n")
    }

    func addMember(_ email: String, name: String) async throws {
        let now = clock.now
        try await daemon.store.write { db in
            var member = Member(email: email, name: name, state: .active, credits: 10, joinedAt: now, confirmedAt: now)
            try StoreLedger(db).save(&member)
        }
    }

    func send(_ mails: String...) async throws -> [ParsedMessage] {
        let before = submitter.accepted.count
        for raw in mails { mailbox.deliver(raw) }
        _ = try await daemon.runOnce()
        return try submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
    }

    func listing(_ id: Int64) async throws -> Listing? {
        try await daemon.store.read { db in try StoreLedger(db).listing(id: id) }
    }

    func events(_ sent: [ParsedMessage]) -> [String] { sent.compactMap { $0.header("X-Refbot-Event") } }

    @Test("A US real estate listing paying per sale is refused with the rule, what would work and 'not legal advice', and held unchanged")
    func respaRefusal() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let sent = try await send(mail(from: "Ann Lee <ann@example.com>", subject: "LISTING", body: Self.form(), authenticated: true))
        #expect(events(sent).sorted() == ["listing.held", "listing.refused"])

        let refused = try #require(sent.first { $0.header("X-Refbot-Event") == "listing.refused" })
        #expect(refused.to.map(\.address) == ["ann@example.com"])
        #expect(refused.header("Auto-Submitted") == "auto-replied")
        #expect(refused.textBody.contains("RESPA section 8"))
        #expect(refused.textBody.contains("What would work: Offer thanks instead: write Reward: none."))
        #expect(refused.textBody.contains("This is not legal advice"))
        #expect(refused.textBody.contains("We did not change your listing"))
        #expect(refused.textBody.contains("$500.00 per sale"))

        let held = try #require(sent.first { $0.header("X-Refbot-Event") == "listing.held" })
        #expect(held.to.map(\.address) == ["admin@example.org"])
        #expect(held.textBody.contains("refbot admin compliance override L-1 --reason"))
        #expect(held.textBody.contains("This is not legal advice"))

        let stored = try #require(try await listing(1))
        #expect(stored.state == .pending)
        #expect(stored.reward == .perSale(Money(amountMinor: 50_000, currency: "USD")))
        #expect(stored.compliance.heldBy == "respa-8")
        #expect(stored.compliance.profession == "real_estate")
        #expect(stored.compliance.jurisdiction == "US-CA")
        #expect(logs.all.contains { $0.contains("Listing held by a compliance rule") && $0.contains("respa-8") && $0.contains("L-1") })
        let history = try await daemon.store.read { db in try LedgerHistory.events(ref: "L-1", in: db) }
        #expect(history.map(\.action) == ["compliance hold"])
        #expect(history.first?.actor == "ann@example.com")
        #expect(history.first?.method == .mail)
    }

    @Test("Category: Real estate without a Profession: line is checked too, and the refusal says where the profession came from")
    func professionFromCategory() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let form = Self.form(profession: nil, jurisdiction: nil, reward: "$50 per lead", category: "Real estate")
        let sent = try await send(mail(from: "ann@example.com", subject: "LISTING", body: form, authenticated: true))
        let refused = try #require(sent.first { $0.header("X-Refbot-Event") == "listing.refused" })
        #expect(refused.textBody.contains("We read the profession from your Category: line"))
        #expect(try await listing(1)?.compliance.heldBy == "respa-8")
    }

    @Test("Reward: none from the same real estate agent passes and waits for review as usual")
    func thanksPasses() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let sent = try await send(mail(from: "ann@example.com", subject: "LISTING", body: Self.form(reward: "none"), authenticated: true))
        #expect(events(sent).sorted() == ["listing.review", "listing.submitted"])
        let stored = try #require(try await listing(1))
        #expect(stored.compliance.heldBy == nil)
        #expect(!stored.compliance.isHeld)
    }

    @Test("An admin's APPROVE by mail does not publish a held listing; it says how to override")
    func approveCannotPublishHeld() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        _ = try await send(mail(from: "ann@example.com", subject: "LISTING", body: Self.form(), authenticated: true))
        let sent = try await send(
            mail(from: "admin@example.org", subject: "APPROVE L-1", body: "APPROVE L-1", authenticated: true))
        let error = try #require(sent.first { $0.header("X-Refbot-Event") == "command.error" })
        #expect(error.textBody.contains("compliance rule respa-8"))
        #expect(error.textBody.contains("refbot admin compliance override L-1 --reason TEXT"))
        #expect(error.textBody.contains("not legal advice"))
        #expect(try await listing(1)?.state == .pending)
    }

    @Test("A Jurisdiction: that reads as none is refused with the forms that work, and nothing is stored")
    func badJurisdiction() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let sent = try await send(
            mail(from: "ann@example.com", subject: "LISTING", body: Self.form(jurisdiction: "Springfield"), authenticated: true))
        let error = try #require(sent.first { $0.header("X-Refbot-Event") == "command.error" })
        #expect(error.textBody.contains("as a jurisdiction"))
        #expect(error.textBody.contains("US-CA"))
        #expect(try await listing(1) == nil)
    }

    @Test("A lawyer's listing passes with Reward: none; its mail shows the disclosure, and the agreement text and SHA-256 carry it")
    func lawyerDisclosure() async throws {
        try await addMember("ann@example.com", name: "Ann Lee")
        let form = Self.form(profession: "Attorney", jurisdiction: "New York", reward: "none")
        let sent = try await send(mail(from: "ann@example.com", subject: "LISTING", body: form, authenticated: true))
        let submitted = try #require(sent.first { $0.header("X-Refbot-Event") == "listing.submitted" })
        #expect(submitted.textBody.contains("Reciprocal referral disclosure: this agreement is not exclusive."))
        #expect(submitted.textBody.contains("This is not legal advice"))
        let stored = try #require(try await listing(1))
        #expect(stored.compliance.jurisdiction == "US-NY")
        let disclosure = try #require(stored.compliance.disclosure)

        let owner = Member(id: 1, email: "ann@example.com", name: "Ann Lee", state: .active, joinedAt: 0)
        let referrer = Member(id: 2, email: "bob@example.com", name: "Bob Roe", state: .active, joinedAt: 0)
        let terms = AgreementTerms(listing: stored, owner: owner, referrer: referrer, standard: .builtin, botName: "Net")
        #expect(terms.text.contains(disclosure))
        #expect(terms.text.contains("not legal advice"))
        var plain = stored
        plain.compliance.disclosure = nil
        let without = AgreementTerms(listing: plain, owner: owner, referrer: referrer, standard: .builtin, botName: "Net")
        #expect(terms.sha256 != without.sha256)
        #expect(terms.sha256 == TextDigest.sha256Hex(Array(terms.text.utf8)))
    }
}

/// With `network.auto_approve_listings`, a listing that breaks a rule still waits, held.
@Suite("Compliance with auto-approval")
struct ComplianceAutoApproveTests {
    @Test("Auto-approval does not put a held listing live; a passing one goes live at once")
    func autoApproveHonoursHold() async throws {
        let suite = try await ComplianceListingTests(autoApprove: true)
        try await suite.addMember("ann@example.com", name: "Ann Lee")
        let sent = try await suite.send(
            mail(from: "ann@example.com", subject: "LISTING", body: ComplianceListingTests.form(), authenticated: true),
            mail(from: "ann@example.com", subject: "LISTING", body: ComplianceListingTests.form(reward: "none"), authenticated: true))
        #expect(suite.events(sent).contains("listing.refused"))
        #expect(try await suite.listing(1)?.state == .pending)
        #expect(try await suite.listing(2)?.state == .live)
    }
}
