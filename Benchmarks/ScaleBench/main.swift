import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotStore
import RefbotTemplates

// Scale benchmark (not a test): a network of 100 000 members, 20 000 listings and 1 000 000 referrals in
// a fresh SQLite file made through refbot's own migrations, then the latency of SEARCH, STATUS and ACCEPT
// run the way the daemon runs a mail command. Built and run by scripts/bench-scale; see BENCHMARKS.md.

try await runBenchmark(Options(Array(CommandLine.arguments.dropFirst())))

func runBenchmark(_ options: Options) async throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-bench-\(getpid())")
    defer { if options.database == nil { try? FileManager.default.removeItem(at: folder) } }
    let databasePath = options.database ?? folder.appendingPathComponent("network.sqlite").path
    if options.database == nil {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    if !options.reuse {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: databasePath + suffix) }
    }

    var configuration = RefbotDaemon.Configuration()
    configuration.bot.address = "referrals@example.org"
    configuration.bot.name = "Example Referral Network"
    configuration.bot.admins = ["admin@example.org"]
    configuration.bot.database = databasePath
    configuration.bot.templates = URL(fileURLWithPath: options.root).appendingPathComponent("mail-templates").path
    configuration.bot.secretFile = (databasePath as NSString).deletingLastPathComponent + "/bench-secret"

    let clock = ContinuousClock()
    let opened = clock.now
    let store = try Store(path: databasePath)
    progress("refbot-bench: \(databasePath), migrations: \(try store.appliedMigrations().joined(separator: ", "))")
    if !options.reuse {
        progress(
            "making \(options.members) members, \(options.listings) listings, \(options.referrals) referrals in one transaction…")
        try await store.write { db in try generate(db, options) }
        try await store.write { db in try db.execute(sql: "ANALYZE") }
        let size = (try? FileManager.default.attributesOfItem(atPath: databasePath)[.size] as? Int) ?? 0
        progress(
            String(format: "made in %.1f s (database %.0f MB)", seconds(clock.now - opened), Double(size) / 1e6))
    }

    if options.withoutV6Indexes {
        try await store.write { db in
            try db.execute(
                sql: """
                    DROP INDEX IF EXISTS replyToken_lookup;
                    DROP INDEX IF EXISTS outboxMessage_ref;
                    CREATE INDEX IF NOT EXISTS replyToken_member ON replyToken(memberEmail);
                    ANALYZE;
                    """)
        }
        progress("dropped the v6 lookup indexes: measuring the schema as it was before them")
    }

    let counts = try await store.read { db in
        try ["member", "listing", "referral", "connection", "replyToken", "outboxMessage"].map {
            "\($0) \(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)") ?? 0)"
        }
    }
    say("network: \(counts.joined(separator: ", "))")

    let templatesDirectory = configuration.bot.templates
    let agreementSource = try String(
        contentsOfFile: (templatesDirectory as NSString).appendingPathComponent("agreement.mustache"), encoding: .utf8)
    let referralOptions = ReferralOptions(
        botAddress: configuration.bot.address, standardAgreement: StandardAgreement(source: agreementSource))
    let router = CommandRouter.standard(options: referralOptions)
    let composer = try MailComposer(
        configuration: configuration, templates: try TemplateSet(directory: templatesDirectory),
        linkKeys: try LinkSecret.loadOrCreate(path: configuration.bot.secretFile))
    let executor = CommandExecutor(configuration: configuration, composer: composer)

    /// One mail command, as the Processor runs it: the handler and the mail it queues in one write transaction.
    /// With --profile, the first timed run of each command also sums SQLite's time per statement.
    let profile = options.profile ? SQLProfile() : nil
    func run(_ line: String, from sender: String, tag: String? = nil, index: Int) async throws {
        let command = try CommandParser.parse(subject: "", newText: line).get()
        let handler = try router.handler(for: command)
        let context = CommandContext(
            sender: sender, isAuthenticated: true, tag: tag, messageID: "bench\(index)@client.example", now: now,
            settings: configuration.networkSettings, botName: configuration.bot.name, admins: configuration.bot.admins)
        let profiled = index == 5 ? profile : nil
        let start = ContinuousClock.now
        let queued = try await store.write { db in
            if let profiled { db.trace(options: .profile) { profiled.record($0) } }
            defer { if profiled != nil { db.trace(options: []) } }
            return try executor.run(handler, command: command, context: context, in: db).count
        }
        guard queued > 0 else { fail("\(line) queued no mail") }
        if let profiled { say(profiled.report(line, total: ContinuousClock.now - start)) }
    }

    if options.explain {
        let plans: [(String, String, StatementArguments)] = [
            ("search", """
                SELECT listing.*, bm25(listingSearch, 10.0, 5.0, 2.0, 3.0, 1.0) AS matchScore
                FROM listingSearch JOIN listing ON listing.id = listingSearch.rowid
                WHERE listingSearch MATCH ? AND listing.state = 'live' AND (listing.expiresAt IS NULL OR listing.expiresAt > ?)
                ORDER BY coalesce(listing.featuredUntil, 0) > ? DESC, matchScore, listing.createdAt DESC, listing.id DESC LIMIT 21
                """, ["\"kitchen\"*", now, now]),
            ("listings", """
                SELECT * FROM listing WHERE state = 'live' AND (expiresAt IS NULL OR expiresAt > ?)
                ORDER BY coalesce(featuredUntil, 0) > ? DESC, createdAt DESC, id DESC LIMIT 21
                """, [now, now]),
            ("referrals sent", "SELECT * FROM referral WHERE referrerId = ? ORDER BY id DESC", [1]),
            ("referrals received", "SELECT * FROM referral WHERE ownerId = ? ORDER BY id DESC", [1]),
            ("current reply tag", """
                SELECT * FROM replyToken WHERE memberEmail = ? AND action = ? AND ref = ? AND expiresAt > ?
                ORDER BY expiresAt DESC LIMIT 1
                """, [memberEmail(1), ReplyAction.referralOwner, "R-100", now]),
            ("thread of a referral", "SELECT messageId FROM outboxMessage WHERE ref = ? ORDER BY id", ["R-100"]),
            ("pending connections", "SELECT * FROM connection WHERE addresseeId = ? AND state = 'pending'", [1]),
        ]
        try await store.read { db in
            for (name, sql, arguments) in plans {
                let rows = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                say("plan, \(name):")
                for row in rows { say("  " + (row["detail"] as String? ?? "")) }
            }
        }
    }

    let runs = options.runs
    var results: [Latencies] = []
    let typical = 1 + options.members / 2

    // SEARCH and LISTINGS, as a member who is not the busy one sends them.
    let searches = [
        "SEARCH kitchen", "SEARCH plumb", "SEARCH wedding photography", "SEARCH roof category:construction",
        "SEARCH location:Springfield", "SEARCH tax category:finance location:\"New York\"", "LISTINGS",
    ]
    for line in searches {
        results.append(try await measure(line, runs: runs) { index in
            try await run(line, from: memberEmail(typical), index: index)
        })
    }

    // STATUS for the member with the most referrals and for a typical one.
    let busy = try await store.read { db in
        (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM referral WHERE ownerId = 1") ?? 0,
         try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM referral WHERE referrerId = 1") ?? 0,
         try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM referral WHERE ownerId = ? OR referrerId = ?",
                          arguments: [typical, typical]) ?? 0)
    }
    results.append(try await measure("STATUS, busy member (\(busy.0) received, \(busy.1) sent)", runs: runs) { index in
        try await run("STATUS", from: memberEmail(1), index: index)
    })
    results.append(try await measure("STATUS, typical member (\(busy.2) referrals)", runs: runs) { index in
        try await run("STATUS", from: memberEmail(typical), index: index)
    })

    // ACCEPT: each run a different delivered pending referral, by its owner, to the owner's reply tag.
    let pending = try await store.read { db in
        try Row.fetchAll(
            db,
            sql: """
                SELECT referral.id, member.email FROM referral
                JOIN member ON member.id = referral.ownerId
                JOIN replyToken ON replyToken.memberEmail = member.email AND replyToken.action = ?
                  AND replyToken.ref = 'R-' || referral.id
                WHERE referral.state = 'pending' AND referral.deliveredAt IS NOT NULL
                  AND member.state = 'active' AND member.credits > 0
                ORDER BY (referral.id * 2654435761) % 1000003
                LIMIT ?
                """, arguments: [ReplyAction.referralOwner, runs + 5]
        ).map {
            (id: $0["id"] as Int64, email: $0["email"] as String,
             token: benchTag(action: ReplyAction.referralOwner, ref: "R-\($0["id"] as Int64)"))
        }
    }
    if pending.count < runs + 5 {
        progress("only \(pending.count) referrals wait for ACCEPT; measuring \(max(pending.count - 5, 0)) runs")
    }
    if pending.count > 5 {
        results.append(try await measure("ACCEPT R-n (reply to the owner's tag)", runs: pending.count - 5) { index in
            let referral = pending[index]
            try await run("ACCEPT R-\(referral.id)", from: referral.email, tag: referral.token, index: index)
        })
    }

    let missed = results.filter { $0.percentile(95) >= 20 }
    say(missed.isEmpty ? "all p95 under 20 ms" : "over the 20 ms target: \(missed.map(\.name).joined(separator: "; "))")
}
