import Foundation
import RefbotCurl
import RefbotTestSupport
import RefbotTransport
import Testing

/// Special-use folders (RFC 6154) and reading a folder other than the inbox, against Dovecot with
/// `special_use = \Junk` and `\Archive` set on its `Junk` and `Archive` mailboxes.
@Suite(
    "Special-use folders against Dovecot", .serialized,
    .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct SpecialUseFolderTests {
    @Test("LIST (SPECIAL-USE) names the Junk and Archive folders once they exist, and none before")
    func discovery() async throws {
        try await withMailStack { stack, pool in
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass", tls: .imaps), pool: pool)
            #expect(try await mailbox.specialUseFolders().isEmpty)
            try await mailbox.createFolderIfMissing("Junk")
            try await mailbox.createFolderIfMissing("Archive")
            try await mailbox.createFolderIfMissing("Processed")
            let folders = try await mailbox.specialUseFolders()
            #expect(folders.first { $0.has("\\Junk") }?.name == "Junk")
            #expect(folders.first { $0.has("\\Archive") }?.name == "Archive")
            #expect(!folders.contains { $0.name == "Processed" || $0.name == "INBOX" })
        }
    }

    @Test("A message in the junk folder is listed and fetched there, and moving it to the archive takes it out of the junk folder")
    func readJunk() async throws {
        try await withMailStack { stack, pool in
            try await stack.deliver(testMessage(id: "junk-1@example.test", subject: "JOIN"), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 1)
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass", tls: .imaps), pool: pool)
            try await mailbox.createFolderIfMissing("Junk")
            try await mailbox.createFolderIfMissing("Archive")
            let inbox = try await mailbox.listInbox()
            _ = try await mailbox.move(uids: inbox.uids, from: nil, to: "Junk")

            let junk = try await mailbox.list(folder: "Junk")
            #expect(junk.uids.count == 1)
            #expect(junk.uidValidity != inbox.uidValidity)
            let fetched = try await mailbox.fetch(uids: junk.uids, in: "Junk")
            #expect(fetched.count == 1)
            #expect(String(decoding: fetched[0].raw, as: UTF8.self).contains("junk-1@example.test"))
            #expect(try await mailbox.listInbox().uids.isEmpty, "reading the junk folder leaves the inbox as it was")

            let moved = try await mailbox.move(uids: junk.uids, from: "Junk", to: "Archive")
            #expect(moved.count == 1)
            #expect(try await mailbox.list(folder: "Junk").uids.isEmpty)
            #expect(try await mailbox.list(folder: "Archive").uids.count == 1)
        }
    }

    @Test("A folder that does not exist is a permanent refusal, not an outage")
    func missingFolder() async throws {
        try await withMailStack { stack, pool in
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass", tls: .imaps), pool: pool)
            await #expect(throws: TransportError.self) { _ = try await mailbox.list(folder: "NoSuchFolder") }
            do {
                _ = try await mailbox.list(folder: "NoSuchFolder")
            } catch let error as TransportError {
                #expect(!error.isTemporary, "\(error)")
            }
            #expect(try await mailbox.listInbox().uids.isEmpty, "the connection still works")
        }
    }
}
