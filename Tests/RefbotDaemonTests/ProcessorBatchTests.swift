import Foundation
import GRDB
import RefbotDaemon
import RefbotStore
import RefbotTestSupport
import Testing

/// The Processor takes a backlog up to `Processor.rowsPerTransaction` mails to a transaction, each
/// in its own savepoint.
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
}
