import Foundation
import GRDB
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Synchronization
import Testing

/// The special-use folders each fake mailbox lists, by mailbox.
private let fakeSpecialUse = Mutex<[ObjectIdentifier: [SpecialUseFolder]]>([:])

extension FakeMailbox: FolderReadingMailbox {
    func setSpecialUse(_ folders: [SpecialUseFolder]) {
        fakeSpecialUse.withLock { $0[ObjectIdentifier(self)] = folders }
    }

    @discardableResult
    func deliver(_ raw: String, to folder: String) -> UInt32 {
        state.withLock { s in
            let uid = s.nextUID
            s.nextUID += 1
            s.folders[folder, default: []].append((uid, Array(raw.utf8)))
            return uid
        }
    }

    func list(folder: String) async throws -> FolderListing {
        try await checkLogin()
        return try state.withLock { s in
            guard let items = s.folders[folder] else { throw TransportError.permanent(.rejected, "NO Mailbox doesn't exist: \(folder)") }
            return FolderListing(uidValidity: s.uidValidity + 1, uids: items.map(\.uid))
        }
    }

    func fetch(uids: [UInt32], in folder: String) async throws -> [FetchedMessage] {
        try await checkLogin()
        return state.withLock { s in
            uids.compactMap { uid in
                s.folders[folder]?.first { $0.uid == uid }.map { FetchedMessage(uidValidity: s.uidValidity + 1, uid: uid, raw: $0.raw) }
            }
        }
    }

    func specialUseFolders() async throws -> [SpecialUseFolder] {
        fakeSpecialUse.withLock { $0[ObjectIdentifier(self)] ?? [] }
    }
}

/// `imap.also_poll` and special-use folders, over real SQLite with a fake IMAP server.
@Suite("Junk folder and special-use folders")
struct AlsoPollTests {
    @Test("A JOIN the provider filed as junk is read from imap.also_poll, answered, and moved out to the processed folder")
    func junkIsRead() async throws {
        let bot = try await MemberHarness { $0.imap.alsoPoll = ["Junk"] }
        bot.mailbox.deliver(mail(from: "Carol <carol@example.net>", subject: "HELP", body: ""), to: "Junk")
        let sent = try await bot.send(mail(from: "Dan <dan@example.net>", subject: "HELP", body: ""))
        #expect(Set(sent.flatMap(\.to).map(\.address)) == ["carol@example.net", "dan@example.net"])
        #expect(bot.mailbox.count("Junk") == 0)
        #expect(bot.mailbox.count("Processed") == 2)
        // The next poll reads nothing twice, though the junk folder's UIDs overlap the inbox's.
        let again = try await bot.daemon.runOnce()
        #expect(again.fetched == 0)
    }

    @Test("Junk and inbox messages with the same UID are both stored")
    func sameUIDs() async throws {
        #expect(Fetcher.storedValidityForTests(folder: "Junk", uidValidity: 7) != 7)
        #expect(Fetcher.storedValidityForTests(folder: "Junk", uidValidity: 7) != Fetcher.storedValidityForTests(folder: "Spam", uidValidity: 7))
        #expect(Fetcher.storedValidityForTests(folder: "Junk", uidValidity: UInt32.max) > Int64(UInt32.max))
    }

    @Test("Auto-replies and bounces found in the junk folder are treated as in the inbox: no answer")
    func autoReplyInJunk() async throws {
        let bot = try await MemberHarness { $0.imap.alsoPoll = ["Junk"] }
        bot.mailbox.deliver(
            mail(from: "Erin <erin@example.net>", subject: "Out of office", body: "Away", extraHeaders: ["Auto-Submitted: auto-replied"]),
            to: "Junk")
        _ = try await bot.daemon.runOnce()
        #expect(bot.submitter.accepted.isEmpty)
        #expect(bot.mailbox.count("Junk") == 0)
    }

    @Test("also_poll = [\"\\\\Junk\"] reads the folder the server lists as \\Junk; processed_folder unset files into \\Archive")
    func specialUse() async throws {
        let bot = try await MemberHarness { $0.imap.alsoPoll = ["\\Junk"] }
        bot.mailbox.setSpecialUse([
            SpecialUseFolder(name: "[Gmail]/Spam", attributes: ["\\HasNoChildren", "\\Junk"]),
            SpecialUseFolder(name: "Archive", attributes: ["\\Archive"]),
        ])
        bot.mailbox.deliver(mail(from: "Carol <carol@example.net>", subject: "HELP", body: ""), to: "[Gmail]/Spam")
        _ = try await bot.daemon.runOnce()
        #expect(bot.submitter.accepted.count == 1)
        #expect(bot.mailbox.count("[Gmail]/Spam") == 0)
        #expect(bot.mailbox.count("Archive") == 1)
        #expect(bot.mailbox.count("Processed") == 0)
    }

    @Test("A missing also_poll folder is logged once and the inbox is still read")
    func missingFolder() async throws {
        let bot = try await MemberHarness { $0.imap.alsoPoll = ["Junk", "\\Junk"] }
        _ = try await bot.send(mail(from: "Dan <dan@example.net>", subject: "HELP", body: ""))
        _ = try await bot.send(mail(from: "Dan <dan@example.net>", subject: "HELP", body: ""))
        #expect(bot.submitter.accepted.count == 2)
        #expect(bot.logs.all.filter { $0.contains("cannot be read") }.count == 1)
        #expect(bot.logs.all.contains { $0.contains("no folder with the special-use attribute \\\\Junk") || $0.contains("special-use attribute \\Junk") })
    }

    @Test(
        "Folder resolution: explicit names win, attributes are looked up, the inbox and filing folders are never polled",
        arguments: [
            (false, "Processed", ["\\Junk"], "Archive", ["Junk Email"]),
            (true, "Processed", ["Junk Email", "INBOX"], "Processed", ["Junk Email"]),
            (true, "\\All", [], "[Gmail]/All Mail", []),
            (true, "\\Archive", ["\\Spam"], "Archive", []),
            (false, "Processed", ["Archive"], "Archive", []),
        ])
    func resolution(processedSet: Bool, processed: String, alsoPoll: [String], expectedProcessed: String, expectedPoll: [String]) {
        var imap = RefbotDaemon.Configuration().imap
        imap.processedFolderIsSet = processedSet
        imap.processedFolder = processed
        imap.alsoPoll = alsoPoll
        let special = [
            SpecialUseFolder(name: "Archive", attributes: ["\\Archive"]),
            SpecialUseFolder(name: "Junk Email", attributes: ["\\Junk"]),
            SpecialUseFolder(name: "[Gmail]/All Mail", attributes: ["\\HasNoChildren", "\\All"]),
        ]
        let (folders, _) = FolderResolution.resolve(imap, inbox: "INBOX", specialUse: special)
        #expect(folders.processed == expectedProcessed)
        #expect(folders.alsoPoll == expectedPoll)
    }
}
