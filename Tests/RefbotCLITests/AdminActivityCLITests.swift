import Foundation
import RefbotTestSupport
import Testing

/// `refbot admin activity` runs as the built binary against a real database.
@Suite("refbot admin: activity", .enabled(if: AdminCLIDatabase.sqlite3 != nil))
struct AdminActivityCLITests {
    let database: AdminCLIDatabase
    var configPath: String { database.configPath }

    init() throws {
        database = try AdminCLIDatabase()
    }

    private func run(_ arguments: [String]) async throws -> RefbotProcess.Result {
        try await RefbotProcess.run(["admin"] + arguments + ["--config", configPath], environment: database.environment)
    }

    /// March 2026 (UTC). Bob referred four customers: three to Ann, who answered after 2 h
    /// (ACCEPT), 4 h (REJECT) and 6 h (ACCEPT), and one to Dee, still pending (stale now). Cy did
    /// nothing. Eve left the network and is not listed.
    private func seed() async throws {
        try await RefbotProcess.createDatabase(configPath: configPath, environment: database.environment)
        let day: Int64 = 86_400, hour: Int64 = 3600
        let march: Int64 = 1_772_323_200  // 2026-03-01T00:00:00Z
        let joined = march - 30 * day
        let (r1, r2, r3, r4) = (march + day + 12 * hour, march + 2 * day + 12 * hour, march + 3 * day + 12 * hour, march + 4 * day)
        try database.sql("""
            INSERT INTO member (id, email, name, state, credits, points, bounceCount, joinedAt, confirmedAt) VALUES
              (1, 'ann@example.org', 'Ann Lee', 'active', 10, 0, 0, \(joined), \(joined)),
              (2, 'bob@example.org', 'Bob Roe', 'active', 10, 0, 0, \(joined), \(joined)),
              (3, 'cy@example.org', 'Cy Ng', 'active', 10, 0, 0, \(joined), \(joined)),
              (4, 'dee@example.org', 'Dee Park', 'active', 10, 0, 0, \(joined), \(joined)),
              (5, 'eve@example.org', 'Eve Gone', 'left', 10, 0, 0, \(joined), \(joined));
            INSERT INTO listing (id, ownerId, title, category, customer, rewardKind, state, createdAt, updatedAt) VALUES
              (1, 1, 'Leaky pipes', 'Plumbing', 'Homeowners', 'none', 'live', \(joined), \(joined)),
              (2, 4, 'Roof repairs', 'Roofing', 'Homeowners', 'none', 'live', \(joined), \(joined));
            INSERT INTO referral (id, listingId, ownerId, referrerId, customerName, need, consent, state, createdAt, deliveredAt, updatedAt) VALUES
              (1, 1, 1, 2, 'Cat One', 'boiler', 'byReferrer', 'pending', \(r1), \(r1), \(r1)),
              (2, 1, 1, 2, 'Cat Two', 'tap', 'byReferrer', 'pending', \(r2), \(r2), \(r2)),
              (3, 1, 1, 2, 'Cat Three', 'sink', 'byReferrer', 'pending', \(r3), \(r3), \(r3)),
              (4, 2, 4, 2, 'Cat Four', 'roof', 'byReferrer', 'pending', \(r4), \(r4), \(r4));
            UPDATE referral SET state = 'accepted', acceptedAt = \(r1 + 2 * hour), updatedAt = \(r1 + 2 * hour) WHERE id = 1;
            UPDATE referral SET state = 'lost', updatedAt = \(r1 + 3 * day) WHERE id = 1;
            UPDATE referral SET state = 'rejected', updatedAt = \(r2 + 4 * hour) WHERE id = 2;
            UPDATE referral SET state = 'accepted', acceptedAt = \(r3 + 6 * hour), updatedAt = \(r3 + 6 * hour) WHERE id = 3;
            UPDATE referral SET state = 'lost', updatedAt = \(r3 + 2 * day) WHERE id = 3;
            """)
    }

    @Test("admin activity --month lists every active member, quiet ones too, red first, with counts, median first answer and stale items")
    func activityText() async throws {
        try await seed()
        let shown = try await run(["activity", "--month", "2026-03"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let lines = shown.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "Referral activity in March 2026 (UTC), per active member:")
        let rows = lines.filter { $0.contains("@example.org") }
        #expect(rows.map { $0.split(separator: " ").first.map(String.init) ?? "" }
            == ["dee@example.org", "cy@example.org", "ann@example.org", "bob@example.org"])
        #expect(rows[0].hasSuffix("red (1 stale)"))
        #expect(rows[1].hasSuffix("amber (quiet month)"))
        // Ann: received 3, accepted 2, answers after 2 h, 4 h, 6 h: median 4 h.
        #expect(rows[2].split(separator: " ").map(String.init) == ["ann@example.org", "0", "3", "2", "4h", "0", "green"])
        #expect(rows[3].split(separator: " ").map(String.init) == ["bob@example.org", "4", "0", "0", "-", "0", "green"])
        #expect(!shown.stdout.contains("eve@example.org"))
        #expect(lines.last?.hasPrefix("1 red, 1 amber, 2 green.") == true)
    }

    @Test("admin activity --format csv and json carry the same figures, the median in seconds")
    func activityCSVJSON() async throws {
        try await seed()
        let csv = try await run(["activity", "--month", "2026-03", "--format", "csv"])
        #expect(csv.status == 0, "\(csv.stderr)")
        #expect(csv.stdout.hasPrefix("email,name,given,received,accepted,median_first_answer_seconds,stale,light,reason,suspended\r\n"))
        #expect(csv.stdout.contains("ann@example.org,Ann Lee,0,3,2,14400,0,green,,no\r\n"))
        #expect(csv.stdout.contains("dee@example.org,Dee Park,0,1,0,,1,red,1 stale,no\r\n"))
        let json = try await run(["activity", "--month", "2026-03", "--format", "json"])
        let array = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: String]]
        #expect(array?.count == 4)
        #expect(array?.first(where: { $0["email"] == "cy@example.org" })?["light"] == "amber")
        #expect(array?.first(where: { $0["email"] == "bob@example.org" })?["given"] == "4")
    }

    @Test("Another month counts only its own referrals; stale items are as of now; a bad or future --month is a usage error")
    func otherMonthsAndUsage() async throws {
        try await seed()
        let april = try await run(["activity", "--month", "2026-04", "--format", "csv"])
        #expect(april.status == 0, "\(april.stderr)")
        #expect(april.stdout.contains("ann@example.org,Ann Lee,0,0,0,,0,amber,quiet month,no\r\n"))
        #expect(april.stdout.contains("dee@example.org,Dee Park,0,0,0,,1,red,1 stale,no\r\n"))
        let current = try await run(["activity"])
        #expect(current.status == 0, "\(current.stderr)")
        #expect(current.stdout.contains(" so far (UTC)"))
        for bad in ["2026-13", "March", "2999-01"] {
            let refused = try await run(["activity", "--month", bad])
            #expect(refused.status == 64, "\(bad)")
            #expect(refused.stderr.contains("--month"), "\(bad)")
        }
        #expect(try await run(["activity", "--format", "xml"]).status == 64)
    }
}
