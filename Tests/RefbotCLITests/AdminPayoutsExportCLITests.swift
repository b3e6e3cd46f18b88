import Foundation
import RefbotTestSupport
import Testing

/// `refbot admin payouts` and `refbot admin export` run as the built binary against a real database.
@Suite("refbot admin: payouts, export", .enabled(if: AdminCLIDatabase.sqlite3 != nil))
struct AdminPayoutsExportCLITests {
    let database: AdminCLIDatabase
    var configPath: String { database.configPath }

    init() throws {
        database = try AdminCLIDatabase()
    }

    private func run(_ arguments: [String]) async throws -> RefbotProcess.Result {
        try await RefbotProcess.run(["admin"] + arguments + ["--config", configPath], environment: database.environment)
    }

    /// Ann owns L-1; Bob referred three customers: R-1 paid $650.00 in 2025 (customer said YES),
    /// R-2 paid $50.00 in 2026 (customer said NO), R-3 pending (consent asked, not delivered).
    /// Cy was paid €20.00 in 2025 on R-4. Bob's business starts with `=`, a formula.
    private func seed() async throws {
        try await RefbotProcess.createDatabase(configPath: configPath, environment: database.environment)
        // 2025-03-01 and 2026-02-01, 12:00 UTC.
        let march2025 = 1_740_830_400, february2026 = 1_769_947_200
        try database.sql("""
            INSERT INTO member (id, email, name, business, city, state, credits, points, bounceCount, joinedAt, confirmedAt) VALUES
              (1, 'ann@example.org', 'Ann Lee', 'Lee Plumbing', 'Springfield', 'active', 10, 2, 0, \(march2025), 1),
              (2, 'bob@example.org', 'Bob Roe', '=HYPERLINK("http://evil.example")', NULL, 'active', 3, 0, 0, \(march2025), 1),
              (3, 'cy@example.org', 'Cy Ng', NULL, NULL, 'active', 3, 0, 0, \(february2026), 1);
            INSERT INTO listing (id, ownerId, title, category, customer, rewardKind, state, createdAt, updatedAt) VALUES
              (1, 1, 'Leaky pipes', 'Plumbing', 'Homeowners', 'none', 'live', \(march2025), \(march2025));
            INSERT INTO referral (id, listingId, ownerId, referrerId, customerName, customerEmail, customerPhone, need, consent, state,
                createdAt, deliveredAt, updatedAt) VALUES
              (1, 1, 1, 2, 'Dee Yes', 'dee@customer.example', '+1 555 0101', 'boiler', 'granted', 'won', \(march2025), \(march2025), \(march2025)),
              (2, 1, 1, 2, 'Eve No', 'eve@customer.example', '+1 555 0102', 'tap', 'refused', 'won', \(march2025), \(march2025), \(march2025)),
              (3, 1, 1, 2, 'Flo Asked', 'flo@customer.example', '+1 555 0103', 'sink', 'asked', 'pending', \(february2026), NULL, \(february2026)),
              (4, 1, 1, 3, 'Gus Euro', NULL, NULL, 'drain', 'byReferrer', 'won', \(march2025), \(march2025), \(march2025));
            UPDATE referral SET state = 'paid', rewardPaidMinor = 65000, rewardPaidCurrency = 'USD', updatedAt = \(march2025 + 60) WHERE id = 1;
            UPDATE referral SET state = 'paid', rewardPaidMinor = 5000, rewardPaidCurrency = 'USD', updatedAt = \(february2026) WHERE id = 2;
            UPDATE referral SET state = 'paid', rewardPaidMinor = 2000, rewardPaidCurrency = 'EUR', updatedAt = \(march2025 + 60) WHERE id = 4;
            """)
    }

    @Test("admin payouts --year lists each payee's PAID total per currency and flags those at or over the threshold")
    func payoutsText() async throws {
        try await seed()
        let shown = try await run(["payouts", "--year", "2025"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let lines = shown.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("bob@example.org") && $0.contains("$650.00") && $0.contains("at or over $600.00") })
        #expect(lines.contains { $0.contains("cy@example.org") && $0.contains("€20.00") && $0.contains("other currency") })
        #expect(!shown.stdout.contains("$50.00"))
        #expect(shown.stdout.contains("2 payees; 1 at or over $600.00"))
        let empty = try await run(["payouts", "--year", "2024"])
        #expect(empty.stdout.contains("No money rewards were marked PAID in 2024."))
        #expect(try await run(["payouts", "--year", "25"]).status == 64)
        #expect(try await run(["payouts", "--year", "2025", "--format", "xml"]).status == 64)
    }

    @Test("admin payouts --format csv has exact decimal totals and the threshold read from network.payout_report_threshold")
    func payoutsCSVThreshold() async throws {
        try await seed()
        try "\n[network]\npayout_report_threshold = 700\n".appendLine(to: configPath)
        let csv = try await run(["payouts", "--year", "2025", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.hasPrefix("payee,name,currency,total,referrals,at_or_over_threshold\r\n"))
        #expect(csv.stdout.contains("bob@example.org,Bob Roe,USD,650.00,1,no\r\n"))
        #expect(csv.stdout.contains("cy@example.org,Cy Ng,EUR,20.00,1,\r\n"))
    }

    @Test("A bad network.payout_report_threshold is refused naming the key and what would work")
    func badThreshold() async throws {
        try await seed()
        try "\n[network]\npayout_report_threshold = 0\n".appendLine(to: configPath)
        let refused = try await run(["payouts", "--year", "2025"])
        #expect(refused.status == 78)
        #expect(refused.stderr.contains("network.payout_report_threshold"))
        #expect(refused.stderr.contains("at least 1"))
    }

    @Test("admin export referrals gives a customer's email and phone only where the owner was given them")
    func exportConsent() async throws {
        try await seed()
        let csv = try await run(["export", "referrals", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.contains("dee@customer.example") && csv.stdout.contains("+1 555 0101"))
        #expect(!csv.stdout.contains("eve@customer.example") && !csv.stdout.contains("0102"))
        #expect(!csv.stdout.contains("flo@customer.example") && !csv.stdout.contains("0103"))
        let json = try await run(["export", "referrals", "--format", "json"])
        #expect(json.status == 0, "\(json.stderr)")
        #expect(!json.stdout.contains("eve@customer.example") && !json.stdout.contains("flo@customer.example"))
        let array = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]]
        #expect(array?.count == 4)
        #expect(array?.first?["ref"] == "R-1")
        #expect(array?.first?["customer_email"] == "dee@customer.example")
        #expect(array?.first(where: { $0["ref"] == "R-2" })?["customer_email"] == "")
        #expect(array?.first(where: { $0["ref"] == "R-1" })?["reward_paid"] == "650.00 USD")
    }

    @Test("admin export members guards formulas in CSV; --since keeps only newer rows; --output writes a new 0600 file and never overwrites")
    func exportMembersSinceOutput() async throws {
        try await seed()
        let csv = try await run(["export", "members"])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.contains("\"'=HYPERLINK(\"\"http://evil.example\"\")\""))
        #expect(!csv.stdout.contains(",=HYPERLINK"))
        let since = try await run(["export", "members", "--since", "2026-01-01", "--format", "json"])
        let members = try JSONSerialization.jsonObject(with: Data(since.stdout.utf8)) as? [[String: String]]
        #expect(members?.map { $0["email"] } == ["cy@example.org"])
        let referrals = try await run(["export", "referrals", "--since", "2026-01-01", "--format", "json"])
        let changed = try JSONSerialization.jsonObject(with: Data(referrals.stdout.utf8)) as? [[String: String]]
        #expect(changed?.compactMap { $0["ref"] } == ["R-2", "R-3"])
        let file = database.directory + "/listings.json"
        let written = try await run(["export", "listings", "--format", "json", "--output", file])
        #expect(written.status == 0, "\(written.stderr)")
        #expect(written.stdout.isEmpty)
        let attributes = try FileManager.default.attributesOfItem(atPath: file)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("\"title\": \"Leaky pipes\""))
        let again = try await run(["export", "listings", "--output", file])
        #expect(again.status == 64)
        #expect(again.stderr.contains("already exists"))
        #expect(try String(contentsOfFile: file, encoding: .utf8).contains("Leaky pipes"))
        #expect(try await run(["export", "payments"]).status == 64)
        #expect(try await run(["export", "members", "--since", "yesterday"]).status == 64)
    }
}

extension String {
    /// Appends the text to the file at `path`.
    fileprivate func appendLine(to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(utf8))
    }
}
