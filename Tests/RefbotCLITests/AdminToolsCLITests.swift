import Foundation
import RefbotTestSupport
import Testing

/// `refbot admin member`, `outbox show|retry|cancel`, `quarantine` and `referrals`/`referral`
/// run as the built binary against a real database.
@Suite("refbot admin: member, outbox, quarantine, referrals", .enabled(if: AdminCLIDatabase.sqlite3 != nil))
struct AdminToolsCLITests {
    let database: AdminCLIDatabase
    var directory: String { database.directory }
    var configPath: String { database.configPath }
    var environment: [String: String] { database.environment }

    init() throws {
        database = try AdminCLIDatabase()
    }

    @discardableResult
    private func sql(_ statement: String) throws -> [String] { try database.sql(statement) }

    private func run(_ arguments: [String]) async throws -> RefbotProcess.Result {
        try await RefbotProcess.run(["admin"] + arguments + ["--config", configPath], environment: environment)
    }

    /// Ann (active, owner of L-1) and Bob (active, referrer), a pending R-1 from Bob to Ann, a
    /// connection request from Bob to Ann, and a live reply tag of Ann's.
    private func seed() async throws {
        try await RefbotProcess.createDatabase(configPath: configPath, environment: environment)
        try sql("""
            INSERT INTO member (id, email, name, business, city, state, credits, points, bounceCount, joinedAt, confirmedAt) VALUES
              (1, 'ann@example.org', 'Ann Lee', 'Lee Plumbing', 'Springfield', 'active', 10, 2, 1, 1, 1),
              (2, 'bob@example.org', 'Bob Roe', NULL, NULL, 'active', 3, 0, 0, 1, 1);
            INSERT INTO listing (id, ownerId, title, category, customer, rewardKind, state, createdAt, updatedAt) VALUES
              (1, 1, 'Leaky pipes', 'Plumbing', 'Homeowners', 'none', 'live', 1, 1);
            INSERT INTO referral (id, listingId, ownerId, referrerId, customerName, need, consent, state, createdAt, updatedAt) VALUES
              (1, 1, 1, 2, 'Cy Customer', 'a new boiler', 'byReferrer', 'pending', 100, 100);
            INSERT INTO connection (id, requesterId, addresseeId, state, createdAt) VALUES (1, 2, 1, 'pending', 1);
            INSERT INTO replyToken (tokenHash, memberEmail, action, ref, createdAt, expiresAt)
              VALUES ('aaaa', 'ann@example.org', 'referral.owner', 'R-1', 1, 9999999999);
            """)
    }

    @Test("admin member EMAIL shows profile, state, credits, bounces and open items; an unknown address exits 1")
    func show() async throws {
        try await seed()
        let shown = try await run(["member", "Ann@Example.org"])
        #expect(shown.status == 0, "\(shown.stderr)")
        let out = shown.stdout
        #expect(out.contains("Ann Lee (Lee Plumbing) <ann@example.org>"))
        #expect(out.contains("State:          active"))
        #expect(out.contains("City:           Springfield"))
        #expect(out.contains("Credits:        10    Points: 2"))
        #expect(out.contains("Bounces:        1"))
        #expect(out.contains("R-1 from bob@example.org: pending, waiting on them as owner"))
        #expect(out.contains("C-1 connection request from bob@example.org, waiting on them"))
        #expect(out.contains("L-1 listing \"Leaky pipes\": live"))
        // A long list is cut at 20 a kind, with the count of the rest and where to see them.
        try sql("""
            WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < 22)
            INSERT INTO referral (id, listingId, ownerId, referrerId, customerName, need, consent, state, createdAt, updatedAt)
              SELECT i, 1, 1, 2, 'C' || i, 'n', 'byReferrer', 'pending', 100, 100 FROM n
            """)
        let long = try await run(["member", "ann@example.org"])
        #expect(long.stdout.contains("R-20 from bob@example.org"))
        #expect(!long.stdout.contains("R-21 from"))
        #expect(long.stdout.contains("… and 2 more referrals waiting on them (refbot admin referrals --member ann@example.org)"))
        let unknown = try await run(["member", "nobody@example.org"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("No member has the address nobody@example.org"))
        #expect(try await run(["member", "ann@example.org", "--suspend", "--resume"]).status == 64)
        #expect(try await run(["member", "ann@example.org", "--reason", "spam"]).status == 64)
    }

    @Test("A member's name cannot drive the admin's terminal: control characters print as ?")
    func terminalSafe() async throws {
        try await seed()
        try sql("UPDATE member SET name = 'Ann' || char(27) || ']0;owned' || char(7) || 'Lee' WHERE id = 1")
        let shown = try await run(["member", "ann@example.org"])
        #expect(shown.status == 0)
        #expect(!shown.stdout.contains("\u{1B}") && !shown.stdout.contains("\u{07}"))
        #expect(shown.stdout.contains("Ann?]0;owned?Lee"))
    }

    @Test("--suspend records who and when and queues member.suspended; --resume lifts it and queues member.resumed")
    func suspendAndResume() async throws {
        try await seed()
        let suspended = try await run(["member", "ann@example.org", "--suspend", "--reason", "spam complaints"])
        #expect(suspended.status == 0, "\(suspended.stderr)")
        #expect(suspended.stdout.contains("Suspended ann@example.org."))
        #expect(try sql("SELECT suspendedAt IS NOT NULL, suspendReason FROM member WHERE id = 1") == ["1|spam complaints"])
        #expect(try sql("SELECT event, recipients FROM outboxMessage") == ["member.suspended|ann@example.org"])
        #expect(try sql("SELECT action, method, actor LIKE 'admin@example.org (as %)', detail FROM ledgerEvent WHERE ref = 'M-1'")
            == ["suspended|admin|1|spam complaints"])
        let again = try await run(["member", "ann@example.org", "--suspend"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("suspended already"))
        let listed = try await run(["members"])
        #expect(listed.stdout.split(separator: "\n").contains { $0.hasPrefix("ann@example.org") && $0.hasSuffix("suspended") })
        let shown = try await run(["member", "ann@example.org"])
        #expect(shown.stdout.contains("Suspended:      since") && shown.stdout.contains("spam complaints"))
        #expect(shown.stdout.contains("suspended: spam complaints (by admin@example.org"))

        let resumed = try await run(["member", "ann@example.org", "--resume"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try sql("SELECT suspendedAt IS NULL, suspendReason IS NULL FROM member WHERE id = 1") == ["1|1"])
        #expect(try sql("SELECT event FROM outboxMessage ORDER BY id") == ["member.suspended", "member.resumed"])
        #expect(try sql("SELECT action FROM ledgerEvent WHERE ref = 'M-1' ORDER BY id") == ["suspended", "resumed"])
        #expect(try await run(["member", "ann@example.org", "--resume"]).status == 1)
    }

    @Test("--change-address keeps the member row, revokes the old address's tags and mails both addresses; a taken address is refused")
    func changeAddress() async throws {
        try await seed()
        let taken = try await run(["member", "ann@example.org", "--change-address", "BOB@example.org"])
        #expect(taken.status == 1)
        #expect(taken.stderr.contains("bob@example.org belongs to another member"))
        #expect(try sql("SELECT email FROM member WHERE id = 1") == ["ann@example.org"])
        #expect(try sql("SELECT COUNT(*) FROM outboxMessage") == ["0"])
        #expect(try await run(["member", "ann@example.org", "--change-address", "not an address@x"]).status == 1)

        let moved = try await run(["member", "ann@example.org", "--change-address", "Ann.Lee@Example.NET"])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect(try sql("SELECT id, email, credits, bounceCount FROM member WHERE email LIKE 'ann%'") == ["1|ann.lee@example.net|10|0"])
        #expect(try sql("SELECT state, ownerId FROM referral WHERE id = 1") == ["pending|1"], "the referral stays the member's")
        #expect(try sql("SELECT revokedAt IS NOT NULL FROM replyToken WHERE tokenHash = 'aaaa'") == ["1"])
        #expect(try sql("SELECT event, recipients FROM outboxMessage ORDER BY id")
            == ["member.address.changed|ann@example.org", "member.address.welcome|ann.lee@example.net"])
        #expect(try sql("SELECT detail FROM ledgerEvent WHERE ref = 'M-1'") == ["ann@example.org → ann.lee@example.net"])
        #expect(try await run(["member", "ann@example.org"]).status == 1, "the old address is nobody's now")
    }

    @Test("admin member --reset-bounces clears bounces like admin members --reset-bounces and records it")
    func resetBounces() async throws {
        try await seed()
        let reset = try await run(["member", "ann@example.org", "--reset-bounces"])
        #expect(reset.status == 0, "\(reset.stderr)")
        #expect(reset.stdout.contains("Reset the bounces of ann@example.org: 1 bounce."))
        #expect(try sql("SELECT bounceCount FROM member WHERE id = 1") == ["0"])
        #expect(try sql("SELECT action FROM ledgerEvent WHERE ref = 'M-1'") == ["bounces reset"])
    }

    /// Three pending mails: one credits.granted and an announcement to two members, and one failed mail.
    private func seedOutbox() async throws {
        try await RefbotProcess.createDatabase(configPath: configPath, environment: environment)
        try sql("""
            INSERT INTO outboxMessage (id, event, recipients, messageId, raw, state, attempts, firstQueuedAt, nextAttemptAt, lastError) VALUES
              (1, 'credits.granted', 'ann@example.org', 'm1@x', CAST('Subject: You received 5 credits' || char(13,10) || char(13,10) || 'Hi' AS BLOB), 'pending', 0, 50, 50, NULL),
              (2, 'training.announcement', 'ann@example.org', 'm2@x', CAST('Subject: A' AS BLOB), 'pending', 0, 100, 100, NULL),
              (3, 'training.announcement', 'bob@example.org', 'm3@x', CAST('Subject: A' AS BLOB), 'pending', 0, 100, 160, NULL),
              (4, 'training.announcement', 'cy@example.org', 'm4@x', CAST('Subject: A' AS BLOB), 'sent', 1, 100, 100, NULL),
              (5, 'credits.granted', 'dee@example.org', 'm5@x', CAST('Subject: B' AS BLOB), 'failed', 3, 40, 40, '550 no such user');
            """)
    }

    @Test("admin outbox show|retry|cancel ID acts on one mail; cancelled mail stays out of --failed --retry")
    func outboxOne() async throws {
        try await seedOutbox()
        let shown = try await run(["outbox", "show", "1"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("Mail 1: pending"))
        #expect(shown.stdout.contains("To:           ann@example.org"))
        #expect(shown.stdout.contains("Subject: You received 5 credits"))

        let cancelled = try await run(["outbox", "cancel", "1"])
        #expect(cancelled.status == 0, "\(cancelled.stderr)")
        #expect(try sql("SELECT state, cancelledAt IS NOT NULL FROM outboxMessage WHERE id = 1") == ["failed|1"])
        #expect(try await run(["outbox", "cancel", "1"]).status == 1, "cancelled already")
        #expect(try await run(["outbox", "cancel", "4"]).status == 1, "sent already")
        #expect(try await run(["outbox", "show", "99"]).status == 1)

        // The README's bulk retry still works, and leaves the cancelled mail alone.
        let bulk = try await run(["outbox", "--failed", "--retry"])
        #expect(bulk.status == 0, "\(bulk.stderr)")
        #expect(bulk.stdout.contains("1 failed mail queued again"))
        #expect(try sql("SELECT id, state FROM outboxMessage WHERE id IN (1, 5) ORDER BY id") == ["1|failed", "5|pending"])

        let retried = try await run(["outbox", "retry", "1"])
        #expect(retried.status == 0, "\(retried.stderr)")
        #expect(try sql("SELECT state, cancelledAt IS NULL FROM outboxMessage WHERE id = 1") == ["pending|1"])
        #expect(try await run(["outbox", "retry", "1"]).status == 1, "pending already")
        #expect(try await run(["outbox", "show"]).status == 64)
        #expect(try await run(["outbox", "--failed"]).status == 0)
    }

    @Test("admin outbox cancel ID --announcement cancels the announcement's unsent mails and counts them")
    func cancelAnnouncement() async throws {
        try await seedOutbox()
        let result = try await run(["outbox", "cancel", "3", "--announcement"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Cancelled 2 mails of the announcement not sent yet; 1 had been sent already."))
        #expect(try sql("SELECT id, state FROM outboxMessage ORDER BY id") == ["1|pending", "2|failed", "3|failed", "4|sent", "5|failed"])
        let notAnnouncement = try await run(["outbox", "cancel", "1", "--announcement"])
        #expect(notAnnouncement.status == 1)
        #expect(notAnnouncement.stderr.contains("not an announcement's"))
    }

    /// Quarantined mail 1 (a From: with an escape sequence), mail 2 (done) and mail 3 (quarantined
    /// with no bytes: too large to fetch).
    private func seedQuarantine() async throws {
        try await RefbotProcess.createDatabase(configPath: configPath, environment: environment)
        try sql("""
            INSERT INTO inboundMessage (id, uidValidity, uid, messageId, raw, state, attempts, lastError, receivedAt, processedAt) VALUES
              (1, 7, 1, 'q1@x', CAST('From: Eve ' || char(27) || '[2J <eve@example.org>' || char(13,10) || 'Subject: HELP' || char(13,10) || char(13,10) || 'HELP' || char(13,10) AS BLOB), 'quarantined', 3, 'boom', 10, 11),
              (2, 7, 2, 'q2@x', CAST('Subject: x' AS BLOB), 'done', 0, NULL, 10, 11),
              (3, 7, 3, NULL, X'', 'quarantined', 0, 'too large to fetch', 10, 10);
            """)
    }

    @Test("admin quarantine list and show print the header safely; export writes the exact bytes and never to a terminal or over a file")
    func quarantineInspect() async throws {
        try await seedQuarantine()
        let listed = try await run(["quarantine", "list"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("reason: boom"))
        #expect(listed.stdout.contains("Eve ?[2J <eve@example.org>"))
        #expect(!listed.stdout.contains("\u{1B}"))
        let shown = try await run(["quarantine", "show", "1"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.contains("Reason:       boom") && shown.stdout.contains("Subject: HELP"))
        #expect(try await run(["quarantine", "show", "2"]).status == 1, "not quarantined")

        let file = directory + "/q1.eml"
        let exported = try await run(["quarantine", "export", "1", "--output", file])
        #expect(exported.status == 0, "\(exported.stderr)")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        #expect(bytes == Data("From: Eve \u{1B}[2J <eve@example.org>\r\nSubject: HELP\r\n\r\nHELP\r\n".utf8))
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try await run(["quarantine", "export", "1", "--output", file])
        #expect(again.status == 73, "never overwrites")
        let piped = try await run(["quarantine", "export", "1"])
        #expect(piped.status == 0)
        #expect(piped.stdout.contains("Subject: HELP"))
    }

    @Test("admin quarantine requeue puts the mail back once; a second requeue is refused")
    func requeueOnce() async throws {
        try await seedQuarantine()
        let first = try await run(["quarantine", "requeue", "1"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try sql("SELECT state, attempts, requeuedAt IS NOT NULL FROM inboundMessage WHERE id = 1") == ["received|0|1"])
        let whileWaiting = try await run(["quarantine", "requeue", "1"])
        #expect(whileWaiting.status == 1)
        #expect(whileWaiting.stderr.contains("not quarantined"))
        // It fails again and is quarantined again: no third chance.
        try sql("UPDATE inboundMessage SET state = 'quarantined', attempts = 3 WHERE id = 1")
        let second = try await run(["quarantine", "requeue", "1"])
        #expect(second.status == 1)
        #expect(second.stderr.contains("requeued once already"))
        #expect(try sql("SELECT state FROM inboundMessage WHERE id = 1") == ["quarantined"])
        #expect(try await run(["quarantine", "requeue", "2"]).status == 1)
        let empty = try await run(["quarantine", "requeue", "3"])
        #expect(empty.status == 1)
        #expect(empty.stderr.contains("no stored bytes"))
        #expect(try sql("SELECT state FROM inboundMessage WHERE id = 3") == ["quarantined"])
        #expect(try await run(["quarantine", "requeue", "99"]).status == 1)
    }

    @Test("admin referrals filters by state, member and disagreement; admin referral R-n shows history and evidence")
    func referrals() async throws {
        try await seed()
        try sql("""
            INSERT INTO referral (id, listingId, ownerId, referrerId, customerName, need, consent, state, createdAt, updatedAt) VALUES
              (2, 1, 1, 2, 'Di Customer', 'a tap', 'byReferrer', 'paid', 200, 200);
            INSERT INTO agreement (listingId, ownerId, referrerId, version, sha256, ownerAgreedAt, ownerMethod, referrerAgreedAt, referrerMethod, evidenceId, authVerdict)
              VALUES (1, 1, 2, 'v1', '\(String(repeating: "ab", count: 32))', 50, 'listing', 60, 'reply', 'ev-0123', 'dmarc=pass');
            UPDATE referral SET state = 'accepted', updatedAt = 300 WHERE id = 1;
            UPDATE ledgerEvent SET actor = 'ann@example.org', method = 'link', inboundId = NULL WHERE ref = 'R-1' AND action = 'state';
            """)
        let all = try await run(["referrals"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(all.stdout.contains("R-1") && all.stdout.contains("R-2") && all.stdout.contains("2 referrals"))
        let accepted = try await run(["referrals", "--state", "accepted"])
        #expect(accepted.stdout.contains("R-1") && !accepted.stdout.contains("R-2 "))
        let byMember = try await run(["referrals", "--member", "nobody@example.org"])
        #expect(byMember.stdout.contains("No referrals match."))
        let disputed = try await run(["referrals", "--disputed"])
        #expect(disputed.stdout.contains("R-2") && disputed.stdout.contains("has not sent RECEIVED"))
        #expect(!disputed.stdout.contains("R-1 "))
        #expect(try await run(["referrals", "--state", "lost-in-mail"]).status == 64)

        let one = try await run(["referral", "R-1"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("R-1: accepted"))
        #expect(one.stdout.contains("created (pending)"))
        #expect(one.stdout.contains("pending → accepted, by ann@example.org with a link"))
        #expect(one.stdout.contains("evidence id ev-0123"))
        #expect(one.stdout.contains("referrer agreed") && one.stdout.contains("by reply"))
        #expect(try await run(["referral", "R-99"]).status == 1)
        #expect(try await run(["referral", "L-1"]).status == 64)
    }

    @Test("Every new admin command explains itself in --help")
    func help() async throws {
        for command in [["member"], ["outbox"], ["quarantine"], ["quarantine", "requeue"], ["quarantine", "export"], ["referrals"], ["referral"]] {
            let result = try await RefbotProcess.run(["admin"] + command + ["--help"])
            #expect(result.status == 0, "\(command)")
            #expect(result.stdout.contains("USAGE"), "\(command)")
            #expect(result.stdout.count > 300, "\(command) --help says little")
        }
        let member = try await RefbotProcess.run(["admin", "member", "--help"])
        #expect(member.stdout.contains("--suspend") && member.stdout.contains("--change-address"))
        let outbox = try await RefbotProcess.run(["admin", "outbox", "--help"])
        #expect(outbox.stdout.contains("show, retry or cancel") && outbox.stdout.contains("--announcement"))
    }
}
