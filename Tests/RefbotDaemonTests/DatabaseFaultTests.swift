import Foundation
import GRDB
import RefbotDaemon
import RefbotStore
import RefbotTestSupport
import Testing

/// The Processor and the Sender while another process (a `sqlite3` session) holds the real SQLite
/// database locked, with in-memory IMAP and SMTP so the lock falls exactly where it hurts: between
/// storing and processing a mail, and between the server's 250 and marking the mail sent. Each
/// locked write waits `Store.busyTimeoutSeconds` (10 s) before it fails. The daemon against the real
/// servers under a 30 s lock: FaultEndToEndTests.
@Suite("Pipeline while the database is locked", .serialized)
struct DatabaseFaultTests {
    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let clock = ManualClock()
    let logs = LogCapture()
    let daemon: Daemon

    init() async throws {
        directory = try TemporaryDirectory()
        daemon = try await buildDaemon(
            testConfiguration(in: directory), environment: [:], logger: logs.logger, clock: clock.daemonClock,
            mailbox: mailbox, submitter: submitter)
    }

    private func warnings() -> [String] { logs.all.filter { $0.contains("Database not writable") } }

    @Test("A lock while a stored mail waits: the mail is not charged an attempt, and is answered once after")
    func processorWaits() async throws {
        mailbox.deliver(mail(subject: "HELP", body: "", messageID: "waiting@example.com"))
        #expect(await daemon.fetcher.runOnce() == 1)

        let lock = try await SQLiteLockHolder(path: daemon.configuration.bot.database)
        let handledWhileLocked = try await daemon.processor.runOnce()
        try await lock.release()

        #expect(handledWhileLocked == 0)
        let row = try #require(try await daemon.store.read { db in try InboundMessage.fetchOne(db) })
        #expect(row.state == .received, "still waiting, not quarantined")
        #expect(row.attempts == 0, "a locked database is no fault of the mail")
        #expect(warnings().count == 1, "\(logs.all)")
        #expect(warnings().first?.contains("database is locked") == true)

        #expect(try await daemon.processor.runOnce() == 1)
        #expect(try await daemon.sender.runOnce() == 1)
        #expect(submitter.accepted.count == 1)
        #expect(logs.all.filter { $0.contains("Database writable again") }.count == 1)
    }

    @Test("A lock between the server's acceptance and marking the mail sent: the mail is not sent again, and is marked once the lock is gone")
    func senderDoesNotResend() async throws {
        mailbox.deliver(mail(subject: "HELP", body: "", messageID: "accepted@example.com"))
        _ = await daemon.fetcher.runOnce()
        #expect(try await daemon.processor.runOnce() == 1)

        let lock = try await SQLiteLockHolder(path: daemon.configuration.bot.database)
        // The server takes the mail; recording that waits for the lock and gives up.
        _ = try await daemon.sender.runOnce()
        try await lock.release()
        #expect(submitter.accepted.count == 1)
        #expect(try await daemon.store.read { db in try Outbox.depth(in: db) } == 1, "not recorded yet")
        #expect(warnings().count == 1, "\(logs.all)")

        // The next pass records it instead of sending it again.
        clock.advance(by: 3600)
        _ = try await daemon.sender.runOnce()
        #expect(submitter.accepted.count == 1, "sent once")
        #expect(try await daemon.store.read { db in try Outbox.depth(in: db) } == 0)
        let sent = try await daemon.store.read { db in try Outbox.list(state: .sent, in: db) }
        #expect(sent.count == 1)
        #expect(!logs.all.contains { $0.contains("Cannot record a delivery result") })
    }
}
