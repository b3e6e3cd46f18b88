import Foundation
import GRDB
import RefbotDaemon
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Synchronization
import Testing

/// A ``FakeMailbox`` that records what each listing asked for and how many mails each move took,
/// and can refuse moves only, or every fetch after the first few.
final class RecordingMailbox: InboundMailbox {
    let inner = FakeMailbox()
    private struct Record {
        var listedAfter: [UInt32] = []
        var failingMoves: TransportError?
        var moveSizes: [Int] = []
        var fetchesLeft: Int?
    }
    private let state = Mutex(Record())

    var listedAfter: [UInt32] { state.withLock { $0.listedAfter } }
    var moveSizes: [Int] { state.withLock { $0.moveSizes } }
    func failMoves(with error: TransportError?) { state.withLock { $0.failingMoves = error } }
    /// After `count` more fetches every fetch fails (nil: none fails).
    func failFetches(after count: Int?) { state.withLock { $0.fetchesLeft = count } }

    func listInbox() async throws -> FolderListing { try await listInbox(after: 0) }
    func listInbox(after uid: UInt32) async throws -> FolderListing {
        state.withLock { $0.listedAfter.append(uid) }
        var listing = try await inner.listInbox()
        listing.uids = listing.uids.filter { $0 > uid }
        return listing
    }
    func fetch(uids: [UInt32]) async throws -> [FetchedMessage] {
        let refused = state.withLock { record -> Bool in
            guard let left = record.fetchesLeft else { return false }
            record.fetchesLeft = max(left - 1, 0)
            return left == 0
        }
        if refused { throw TransportError.temporary(.connection, "connection reset") }
        return try await inner.fetch(uids: uids)
    }
    func move(uids: [UInt32], from folder: String?, to destination: String) async throws -> [UInt32: UInt32] {
        if let error = state.withLock({ $0.failingMoves }) { throw error }
        let mapping = try await inner.move(uids: uids, from: folder, to: destination)
        state.withLock { $0.moveSizes.append(uids.count) }
        return mapping
    }
    func search(messageID: String, in folder: String) async throws -> [UInt32] {
        try await inner.search(messageID: messageID, in: folder)
    }
    func createFolderIfMissing(_ name: String) async throws { try await inner.createFolderIfMissing(name) }
    func checkLogin() async throws { try await inner.checkLogin() }
}

/// The Fetcher's highest-UID mark: each poll asks the server only for newer mail, and nothing
/// below the mark is left unhandled.
@Suite("Fetcher asks only for new UIDs")
struct InboxMarkTests {
    let directory: TemporaryDirectory
    let mailbox = RecordingMailbox()
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

    @Test("the first poll lists the whole inbox; later polls ask only above the highest UID handled")
    func asksAboveTheMark() async throws {
        mailbox.inner.deliver(mail(subject: "HELP", body: "", messageID: "a@example.com"))
        mailbox.inner.deliver(mail(subject: "HELP", body: "", messageID: "b@example.com"))
        #expect(await daemon.fetcher.runOnce() == 2)
        let third = mailbox.inner.deliver(mail(subject: "HELP", body: "", messageID: "c@example.com"))
        #expect(await daemon.fetcher.runOnce() == 1)
        #expect(await daemon.fetcher.runOnce() == 0)
        #expect(mailbox.listedAfter == [0, 2, third])
        #expect(mailbox.inner.count("Processed") == 3)
    }

    @Test("a move that fails keeps the mark: the stored mail stays listed and is filed, not fetched or answered again, on the next poll")
    func failedMoveKeepsTheMark() async throws {
        mailbox.inner.deliver(mail(subject: "HELP", body: "", messageID: "first@example.com"))
        #expect(await daemon.fetcher.runOnce() == 1)
        mailbox.inner.deliver(mail(subject: "HELP", body: "", messageID: "second@example.com"))
        mailbox.failMoves(with: .temporary(.connection, "connection reset"))
        #expect(await daemon.fetcher.runOnce() == nil)
        #expect(mailbox.inner.count("INBOX") == 1)
        mailbox.failMoves(with: nil)
        #expect(await daemon.fetcher.runOnce() == 0)
        #expect(mailbox.listedAfter == [0, 1, 1])
        #expect(mailbox.inner.count("INBOX") == 0)
        #expect(mailbox.inner.count("Processed") == 2)
        #expect(try await daemon.store.read { db in try InboundMessage.fetchCount(db) } == 2)
        _ = try await daemon.processor.runOnce()
        _ = try await daemon.sender.runOnce()
        #expect(submitter.accepted.count == 2)
    }

    @Test("a backlog is fetched and stored a batch at a time and moved in few commands: up to Fetcher.moveBatchSize mails each")
    func backlogMovedTogether() async throws {
        let count = Fetcher.moveBatchSize + 5
        for n in 0..<count { mailbox.inner.deliver(mail(subject: "HELP", body: "", messageID: "m\(n)@example.com")) }
        #expect(await daemon.fetcher.runOnce() == count)
        #expect(mailbox.moveSizes == [Fetcher.moveBatchSize, 5])
        #expect(mailbox.inner.count("INBOX") == 0)
        #expect(mailbox.inner.count("Processed") == count)
        let filed = try await daemon.store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage WHERE filedFolder = 'Processed' AND filedUid IS NOT NULL")
        }
        #expect(filed == count, "every row knows where its original went")
    }

    @Test("a poll that fails part-way leaves what it stored in the inbox; the next moves it, stores the rest, and nothing twice")
    func failedPassMovesLater() async throws {
        for n in 0..<250 { mailbox.inner.deliver(mail(subject: "HELP", body: "", messageID: "m\(n)@example.com")) }
        mailbox.failFetches(after: 2)
        #expect(await daemon.fetcher.runOnce() == nil)
        #expect(try await daemon.store.read { db in try InboundMessage.fetchCount(db) } == 2 * Fetcher.batchSize)
        #expect(mailbox.inner.count("INBOX") == 250, "stored, not moved yet")
        #expect(mailbox.moveSizes.isEmpty)
        mailbox.failFetches(after: nil)
        #expect(await daemon.fetcher.runOnce() == 250 - 2 * Fetcher.batchSize)
        #expect(mailbox.inner.count("INBOX") == 0)
        #expect(mailbox.inner.count("Processed") == 250)
        let rows = try await daemon.store.read { db in
            (try InboundMessage.fetchCount(db), try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT messageId) FROM inboundMessage"),
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage WHERE filedFolder = 'Processed'"))
        }
        #expect(rows.0 == 250 && rows.1 == 250, "each mail stored once")
        #expect(rows.2 == 250, "and each filed")
    }

    @Test("a new UIDVALIDITY drops the mark: the whole inbox is listed again")
    func newValidityListsAll() async throws {
        mailbox.inner.deliver(mail(subject: "HELP", body: "", messageID: "old@example.com"))
        #expect(await daemon.fetcher.runOnce() == 1)
        mailbox.inner.state.withLock { $0.uidValidity = 99 }
        mailbox.inner.deliver(mail(subject: "HELP", body: "", messageID: "new@example.com"))
        #expect(await daemon.fetcher.runOnce() == 1)
        #expect(mailbox.listedAfter == [0, 1, 0])
    }
}
