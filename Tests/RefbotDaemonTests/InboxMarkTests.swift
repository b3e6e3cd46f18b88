import Foundation
import GRDB
import RefbotDaemon
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Synchronization
import Testing

/// A ``FakeMailbox`` that records what each listing asked for and can refuse moves only.
final class RecordingMailbox: InboundMailbox {
    let inner = FakeMailbox()
    private let state = Mutex<(listedAfter: [UInt32], failingMoves: TransportError?)>(([], nil))

    var listedAfter: [UInt32] { state.withLock { $0.listedAfter } }
    func failMoves(with error: TransportError?) { state.withLock { $0.failingMoves = error } }

    func listInbox() async throws -> FolderListing { try await listInbox(after: 0) }
    func listInbox(after uid: UInt32) async throws -> FolderListing {
        state.withLock { $0.listedAfter.append(uid) }
        var listing = try await inner.listInbox()
        listing.uids = listing.uids.filter { $0 > uid }
        return listing
    }
    func fetch(uids: [UInt32]) async throws -> [FetchedMessage] { try await inner.fetch(uids: uids) }
    func move(uids: [UInt32], from folder: String?, to destination: String) async throws -> [UInt32: UInt32] {
        if let error = state.withLock({ $0.failingMoves }) { throw error }
        return try await inner.move(uids: uids, from: folder, to: destination)
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
