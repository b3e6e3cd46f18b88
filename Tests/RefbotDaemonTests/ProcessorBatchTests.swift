import Foundation
import GRDB
import RefbotDaemon
import RefbotStore
import RefbotTestSupport
import Synchronization
import Testing

/// The Processor takes a backlog up to `Processor.rowsPerTransaction` mails to a transaction; only
/// when one fails does the transaction go again with each mail in its own savepoint.
@Suite("Processor: several mails to a transaction", .serialized)
struct ProcessorBatchTests {
    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let daemon: Daemon

    init() async throws {
        directory = try TemporaryDirectory()
        daemon = try await buildDaemon(
            testConfiguration(in: directory), environment: [:], logger: LogCapture().logger,
            clock: ManualClock().daemonClock, mailbox: mailbox, submitter: submitter)
    }

    @Test("a mail whose handling fails rolls back alone: the others in its transaction are answered, it is tried again later")
    func failingMailRollsBackAlone() async throws {
        for (name, id) in [("Alice", "alice"), ("Bob", "bob"), ("Carol", "carol")] {
            mailbox.deliver(mail(from: "\(name) <\(id)@example.com>", subject: "HELP", body: "", messageID: "\(id)-help@example.com"))
        }
        #expect(await daemon.fetcher.runOnce() == 3)
        // Bob's answer cannot be written: the handling of his mail throws halfway, after its replay record.
        try await daemon.store.write { db in
            try db.execute(sql: """
                CREATE TRIGGER refuseBob BEFORE INSERT ON outboxMessage WHEN NEW.recipients = 'bob@example.com'
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
        #expect(try await daemon.processor.runOnce() == 3)
        let after = try await daemon.store.read { db in
            (
                try String.fetchAll(db, sql: "SELECT recipients FROM outboxMessage ORDER BY id"),
                try Row.fetchAll(db, sql: "SELECT messageId, state, attempts, lastError FROM inboundMessage ORDER BY id")
                    .map { [$0["messageId"] as String? ?? "", $0["state"] as String? ?? "", "\($0["attempts"] as Int? ?? -1)", $0["lastError"] as String? ?? ""] },
                try String.fetchAll(db, sql: "SELECT messageId FROM commandSeen ORDER BY messageId")
            )
        }
        #expect(after.0 == ["alice@example.com", "carol@example.com"], "Alice and Carol answered in the same transaction")
        let bob = try #require(after.1.first { $0[0].hasPrefix("bob") })
        #expect(bob[1] == "received")
        #expect(bob[2] == "1")
        #expect(bob[3].contains("injected failure"))
        #expect(after.2 == ["alice-help@example.com", "carol-help@example.com"], "nothing of Bob's mail was kept")

        try await daemon.store.write { db in try db.execute(sql: "DROP TRIGGER refuseBob") }
        #expect(try await daemon.processor.runOnce() == 1)
        let answered = try await daemon.store.read { db in
            try String.fetchAll(db, sql: "SELECT recipients FROM outboxMessage ORDER BY id")
        }
        #expect(answered == ["alice@example.com", "carol@example.com", "bob@example.com"], "Bob answered once, on the next pass")
    }

    @Test("a batch in which no mail fails opens no savepoint, so SQLite writes no statement journal")
    func noSavepointWhenNothingFails() async throws {
        for n in 0..<8 {
            mailbox.deliver(mail(from: "M\(n) <m\(n)@example.com>", subject: "HELP", body: "", messageID: "m\(n)@example.com"))
        }
        #expect(await daemon.fetcher.runOnce() == 8)
        let statements = Mutex<[String]>([])
        try await daemon.store.write { db in
            db.trace(options: .statement) { event in
                if case .statement(let statement) = event { statements.withLock { $0.append(statement.sql) } }
            }
        }
        #expect(try await daemon.processor.runOnce() == 8)
        try await daemon.store.write { db in db.trace(options: .statement, nil) }
        let seen = statements.withLock { $0 }
        #expect(seen.contains { $0.contains("outboxMessage") }, "the trace saw the answers written")
        #expect(!seen.contains { $0.uppercased().contains("SAVEPOINT") }, "no savepoint: \(seen.filter { $0.uppercased().contains("SAVEPOINT") })")
        let answered = try await daemon.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage") }
        #expect(answered == 8)
    }

    @Test("twenty mails waiting are all answered, one answer each, in the order they came")
    func backlogInOrder() async throws {
        for n in 0..<20 {
            mailbox.deliver(mail(from: "M\(n) <m\(n)@example.com>", subject: "HELP", body: "", messageID: "m\(n)@example.com"))
        }
        #expect(await daemon.fetcher.runOnce() == 20)
        #expect(try await daemon.processor.runOnce() == 20)
        let answered = try await daemon.store.read { db in
            try String.fetchAll(db, sql: "SELECT recipients FROM outboxMessage ORDER BY id")
        }
        #expect(answered == (0..<20).map { "m\($0)@example.com" })
    }

    @Test("a batch ends early for a Sender's record waiting for the database, and the rest of it follows")
    func batchYieldsToWaitingRecord() async throws {
        for n in 0..<8 {
            mailbox.deliver(mail(from: "M\(n) <m\(n)@example.com>", subject: "HELP", body: "", messageID: "m\(n)@example.com"))
        }
        #expect(await daemon.fetcher.runOnce() == 8)
        let store = daemon.store
        // While the first answer is written, a record (as the Sender writes one) starts waiting for the writer;
        // it notes how many answers it finds once it gets in.
        let seen = Mutex<(started: Bool, answersWhenIn: Int?)>((false, nil))
        let arrived = DatabaseFunction("senderRecordArrives", argumentCount: 0, pure: false) { _ in
            let first = seen.withLock { state in
                defer { state.started = true }
                return !state.started
            }
            guard first else { return nil }
            Thread.detachNewThread {
                let answers = try? store.writeBlocking { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM outboxMessage") }
                seen.withLock { $0.answersWhenIn = answers ?? -1 }
            }
            let deadline = Date().addingTimeInterval(5)
            while !store.blockingWriterWaiting && Date() < deadline { usleep(1_000) }
            return nil
        }
        try await store.pool.writeWithoutTransaction { db in
            db.add(function: arrived)
            try db.execute(sql: "CREATE TEMP TRIGGER recordArrives AFTER INSERT ON outboxMessage BEGIN SELECT senderRecordArrives(); END")
        }
        #expect(try await daemon.processor.runOnce() == 8)
        let deadline = Date().addingTimeInterval(5)
        while seen.withLock({ $0.answersWhenIn }) == nil && Date() < deadline { try await Task.sleep(for: .milliseconds(5)) }
        #expect(seen.withLock { $0.answersWhenIn } == 1, "the record got in after the first answer, not after the batch of eight")
        let answered = try await store.read { db in try String.fetchAll(db, sql: "SELECT recipients FROM outboxMessage ORDER BY id") }
        #expect(answered == (0..<8).map { "m\($0)@example.com" }, "the rest of the batch was answered after it, in order")
    }
}
