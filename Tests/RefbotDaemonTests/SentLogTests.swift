import Foundation
import GRDB
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Synchronization
import Testing

/// The Sender notes each mail the server accepted in the sent log (`refbot.sqlite-sent`) before the
/// next goes out, and marks the outbox rows sent in one transaction after the batch.
@Suite("Sender: the sent log", .serialized)
struct SentLogSenderTests {
    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let logs = LogCapture()
    let daemon: Daemon

    init() async throws {
        directory = try TemporaryDirectory()
        daemon = try await buildDaemon(
            testConfiguration(in: directory), environment: [:], logger: logs.logger,
            clock: ManualClock().daemonClock, mailbox: mailbox, submitter: submitter)
    }

    private func answerWaiting(_ count: Int) async throws {
        for n in 0..<count {
            mailbox.deliver(mail(from: "M\(n) <m\(n)@example.com>", subject: "HELP", body: "", messageID: "m\(n)@example.com"))
        }
        #expect(await daemon.fetcher.runOnce() == count)
        #expect(try await daemon.processor.runOnce() == count)
    }

    private var sentLog: SentLog {
        get throws { try SentLog(path: SentLog.path(forDatabase: daemon.configuration.bot.database)) }
    }

    @Test("five mails sent in one pass are marked sent in one transaction of the database, and the log is empty after")
    func onePassOneTransaction() async throws {
        try await answerWaiting(5)
        let statements = Mutex<[String]>([])
        // Installed and removed outside a transaction, so that the trace holds the Sender's alone.
        try await daemon.store.pool.writeWithoutTransaction { db in
            db.trace(options: .statement) { event in
                if case .statement(let statement) = event { statements.withLock { $0.append(statement.sql) } }
            }
        }
        #expect(try await daemon.sender.runOnce() == 5)
        try await daemon.store.pool.writeWithoutTransaction { db in db.trace(options: .statement, nil) }
        let seen = statements.withLock { $0 }
        #expect(seen.filter { $0.contains("SET state = 'sent'") }.count == 5, "\(seen)")
        #expect(seen.filter { $0.uppercased().hasPrefix("BEGIN") }.count == 1, "one write transaction: \(seen)")
        #expect(submitter.accepted.count == 5)
        let states = try await daemon.store.read { db in
            try Row.fetchAll(db, sql: "SELECT state, sentAt FROM outboxMessage ORDER BY id").map {
                ($0["state"] as String, $0["sentAt"] as Int64?)
            }
        }
        #expect(states.count == 5)
        #expect(states.allSatisfy { $0.0 == "sent" && $0.1 != nil }, "\(states)")
        #expect(try sentLog.notes().isEmpty)
    }

    @Test("a mail noted as sent when the process died before the outbox was marked is marked at the next start, not sent again")
    func noteOutlivesTheProcess() async throws {
        try await answerWaiting(1)
        // Marking the outbox fails after the server took the mail (as if the process died there).
        try await daemon.store.write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuseSent BEFORE UPDATE OF state ON outboxMessage WHEN NEW.state = 'sent'
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
        _ = try await daemon.sender.runOnce()
        #expect(submitter.accepted.count == 1)
        let notes = try sentLog.notes()
        #expect(notes.count == 1)
        #expect(try await daemon.store.read { db in try Outbox.depth(in: db) } == 1, "not marked yet")
        // Another pass while the outbox still refuses: nothing is sent, and the error is logged once.
        _ = try await daemon.sender.runOnce()
        #expect(submitter.accepted.count == 1)
        #expect(logs.all.filter { $0.contains("Cannot mark the mail noted as sent") }.count == 1, "\(logs.all)")
        try await daemon.store.write { db in try db.execute(sql: "DROP TRIGGER refuseSent") }

        // A new process on the same files, with nothing in memory of the old one.
        let restartedSubmitter = FakeSubmitter()
        let restarted = try await buildDaemon(
            testConfiguration(in: directory), environment: [:], logger: LogCapture().logger,
            clock: ManualClock().daemonClock, mailbox: FakeMailbox(), submitter: restartedSubmitter)
        #expect(try await restarted.sender.runOnce() == 0)
        #expect(restartedSubmitter.accepted.isEmpty, "sent once")
        let row = try #require(try await restarted.store.read { db in try OutboxMessage.fetchOne(db) })
        #expect(row.state == .sent)
        #expect(row.sentAt == notes.first?.sentAt)
        #expect(try sentLog.notes().isEmpty)
    }

    @Test("a note whose row holds another mail (an older database restored) is dropped and logged, and marks nothing")
    func noteForAnotherMailIsDropped() async throws {
        try await answerWaiting(1)
        let row = try #require(try await daemon.store.read { db in try OutboxMessage.fetchOne(db) })
        let id = try #require(row.id)
        try sentLog.note(outboxId: id, messageId: "someone-else@example.org", sentAt: 1)
        #expect(try await daemon.sender.runOnce() == 1, "the row is still due, and goes out")
        #expect(submitter.accepted.count == 1)
        let after = try #require(try await daemon.store.read { db in try OutboxMessage.fetchOne(db) })
        #expect(after.state == .sent)
        #expect(after.sentAt != 1, "marked by its own note, not the stranger's")
        #expect(logs.all.contains { $0.contains("names no such mail in the outbox") }, "\(logs.all)")
        #expect(try sentLog.notes().isEmpty)
    }

    @Test("a note that cannot be written: the Sender marks the row in the database itself, and logs why")
    func noteRefusedFallsBackToTheDatabase() async throws {
        // A Message-ID with a space cannot be a note's (the log refuses it, as it would refuse a
        // write to a full disk); the rows are queued as any other, straight into the outbox.
        try await daemon.store.write { db in
            for n in 0..<2 {
                let raw = Data("From: referrals@example.org\r\nTo: m\(n)@example.com\r\nSubject: Hi\r\n\r\nHello.\r\n".utf8)
                let row = OutboxMessage(
                    event: "help", ref: nil, recipients: ["m\(n)@example.com"], messageId: "odd id \(n)@example.org", raw: raw,
                    queuedAt: 0)
                _ = try Outbox.enqueue(row, envelopeFrom: { "referrals+bounce-\($0)@example.org" }, in: db)
            }
        }
        let log = try sentLog
        #expect(try await daemon.sender.runOnce() == 2)
        #expect(submitter.accepted.count == 2)
        let states = try await daemon.store.read { db in
            try Row.fetchAll(db, sql: "SELECT state, sentAt FROM outboxMessage ORDER BY id").map { ($0["state"] as String, $0["sentAt"] as Int64?) }
        }
        #expect(states.count == 2 && states.allSatisfy { $0.0 == "sent" && $0.1 != nil }, "\(states)")
        #expect(logs.all.filter { $0.contains("Cannot note a sent mail in the sent log") }.count == 2, "\(logs.all)")
        #expect(try log.notes().isEmpty)
        // A second pass finds nothing due: the database's marks held.
        #expect(try await daemon.sender.runOnce() == 0)
        #expect(submitter.accepted.count == 2)
    }

    @Test("a sent mail's reply tag is cut out of the kept copy when its note is folded")
    func foldRedactsTags() async throws {
        let raw = Data((
            "From: Example Referral Network <referrals@example.org>\r\nTo: m0@example.com\r\n"
                + "Reply-To: <referrals+abcdefghij0123456789@example.org>\r\nSubject: Confirm\r\n"
                + "Message-ID: <tagged@example.org>\r\n\r\nReply to referrals+abcdefghij0123456789@example.org.\r\n"
        ).utf8)
        let row = OutboxMessage(
            event: "command.confirm", ref: nil, recipients: ["m0@example.com"], messageId: "tagged@example.org", raw: raw,
            queuedAt: 0)
        try await daemon.store.write { db in
            _ = try Outbox.enqueue(row, envelopeFrom: { "referrals+bounce-\($0)@example.org" }, in: db)
        }
        #expect(try await daemon.sender.runOnce() == 1)
        let sentText = submitter.accepted.first.map { String(decoding: $0.data, as: UTF8.self) } ?? ""
        #expect(sentText.contains("abcdefghij0123456789"), "the mail went out with its tag")
        let after = try #require(try await daemon.store.read { db in try OutboxMessage.fetchOne(db) })
        let kept = String(decoding: after.raw, as: UTF8.self)
        #expect(after.state == .sent)
        #expect(!kept.contains("abcdefghij0123456789"), "\(kept)")
        #expect(kept.contains("referrals+xxxxxxxxxxxxxxxxxxxx@example.org"), "\(kept)")
    }
}
