import Foundation
import RefbotCurl
import RefbotTestSupport
import RefbotTransport
import Testing

@Suite(
    "IMAPMailbox against Dovecot", .serialized,
    .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct IMAPMailboxTests {
    @Test("listInbox and fetch over IMAPS with the CA file return the delivered bytes, in the order asked")
    func listAndFetchOverIMAPS() async throws {
        try await withMailStack { stack, pool in
            let sent = [
                testMessage(id: "list-1@example.test", subject: "One"),
                testMessage(id: "list-2@example.test", subject: "Zwei: grüße", body: "Ünïcödé body\r\nline 2\r\n"),
                testMessage(
                    id: "list-3@example.test", subject: "Three",
                    body: String(repeating: String(repeating: "0123456789", count: 9) + "\r\n", count: 300)
                        + ".\r\n..dot\r\n.\r\n"),
            ]
            for message in sent {
                try await stack.deliver(message, from: "alice@example.test", to: ["bot@example.test"])
            }
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 3)

            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass", tls: .imaps), pool: pool)
            let listing = try await mailbox.listInbox()
            #expect(listing.uids == [1, 2, 3])
            #expect(listing.uidValidity != 0)

            let fetched = try await mailbox.fetch(uids: listing.uids.reversed())
            #expect(fetched.map(\.uid) == [3, 2, 1])
            #expect(fetched.allSatisfy { $0.uidValidity == listing.uidValidity })
            for message in fetched {
                // Postfix may deliver in another order than sent: pair by Message-ID
                let id = headerValue("Message-ID", in: message.raw)
                let original = try #require(sent.first { headerValue("Message-ID", in: $0) == id })
                let added = addedHeaderNames(fetched: message.raw, sent: original)
                #expect(added != nil, "UID \(message.uid) is not the delivered bytes plus added headers")
                #expect(Set(added ?? []).isSubset(of: ["Return-Path", "Delivered-To", "Received", "Authentication-Results"]))
            }
        }
    }

    @Test("IMAP with STARTTLS required logs in over TLS")
    func startTLS() async throws {
        try await withMailStack { stack, pool in
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "alice@example.test", password: "alicepass", tls: .starttls),
                pool: pool)
            try await mailbox.checkLogin()
            #expect(try await mailbox.listInbox().uids.isEmpty)
            let log = try await waitForLog(stack.directory + "/log/dovecot.log") {
                $0.contains("Login: user=<alice@example.test>")
            }
            let login = log.split(whereSeparator: \.isNewline).first { $0.contains("Login: user=<alice@example.test>") }
            #expect(login?.contains(", TLS") == true, "Dovecot's login line: \(login ?? "none")")

            // plain mode (TLS not required) works as well
            let plain = IMAPMailbox(
                settings: stack.imapSettings(user: "bob@example.test", password: "bobpass", tls: .plain), pool: pool)
            try await plain.checkLogin()

        }
    }

    @Test("without the CA file the self-signed certificate is a temporary TLS error naming imap.ca_file")
    func untrustedCertificate() async throws {
        try await withMailStack { stack, pool in
            var settings = stack.imapSettings(user: "bot@example.test", password: "botpass", tls: .imaps)
            settings.caFile = ""
            let error = await transportError { try await IMAPMailbox(settings: settings, pool: pool).listInbox() }
            #expect(error?.code == .tls)
            #expect(error?.isTemporary == true)
            #expect(error?.message.contains("imap.ca_file") == true)

            settings.tlsVerify = false
            let unverified = try await IMAPMailbox(settings: settings, pool: pool).listInbox()
            #expect(unverified.uids.isEmpty)
        }
    }

    @Test("a wrong password is a permanent authentication error")
    func wrongPassword() async throws {
        try await withMailStack { stack, pool in
            let settings = stack.imapSettings(user: "bot@example.test", password: "wrong")
            let error = await transportError { try await IMAPMailbox(settings: settings, pool: pool).checkLogin() }
            #expect(error?.code == .authentication)
            #expect(error?.isTemporary == false)
            #expect(error?.message.contains("imap.password_file") == true)
        }
    }

    @Test("an IMAP outage is a temporary connection error, and the same mailbox works again afterwards")
    func outageAndRecovery() async throws {
        try await withMailStack { stack, pool in
            try await stack.deliver(
                testMessage(id: "outage@example.test"), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass")
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            #expect(try await mailbox.listInbox().uids == [1])

            try await stack.stopIMAP()
            let error = await transportError { try await mailbox.listInbox() }
            #expect(error?.code == .connection)
            #expect(error?.isTemporary == true)
            let again = await transportError { try await mailbox.fetch(uids: [1]) }
            #expect(again?.code == .connection)

            try await stack.startIMAP()
            #expect(try await mailbox.listInbox().uids == [1])
            #expect(try await mailbox.fetch(uids: [1]).count == 1)
        }
    }

    @Test("fetch leaves unseen messages unseen and seen ones seen")
    func fetchKeepsSeenFlag() async throws {
        try await withMailStack { stack, pool in
            try await stack.deliver(
                testMessage(id: "unseen@example.test"), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass")
            // a second message that is already seen: a Maildir file with the S flag
            let maildir = stack.directory + "/mail/example.test/bot/Maildir"
            let seenFile = maildir + "/cur/1700000000.M1P1.test:2,S"
            try Data(testMessage(id: "seen@example.test")).write(to: URL(fileURLWithPath: seenFile))
            try FileManager.default.setAttributes(
                [.ownerAccountName: "mail", .groupOwnerAccountName: "mail"], ofItemAtPath: seenFile)

            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            let listing = try await mailbox.listInbox()
            #expect(listing.uids.count == 2)
            let fetched = try await mailbox.fetch(uids: listing.uids)
            #expect(fetched.count == 2)

            var flags: [String: String] = [:]  // Message-ID -> Maildir flags
            for folder in ["new", "cur"] {
                for name in try FileManager.default.contentsOfDirectory(atPath: maildir + "/" + folder) {
                    let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: maildir + "/" + folder + "/" + name)))
                    let id = headerValue("Message-ID", in: raw) ?? name
                    flags[id] =
                        name.split(separator: ",").count > 1 ? String(name.split(separator: ",").last ?? "") : ""
                }
            }
            #expect(flags["<unseen@example.test>"]?.contains("S") == false, "\(flags)")
            #expect(flags["<seen@example.test>"]?.contains("S") == true, "\(flags)")
        }
    }

    @Test("a second listing on the same connection includes mail delivered since the first")
    func listingSeesNewMail() async throws {
        try await withMailStack { stack, pool in
            try await stack.deliver(
                testMessage(id: "first@example.test"), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 1)
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            #expect(try await mailbox.listInbox().uids == [1])
            // The bot's folder stays selected; the next message arrives while it is.
            try await stack.deliver(
                testMessage(id: "second@example.test"), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 2)
            #expect(try await mailbox.listInbox().uids == [1, 2])
        }
    }

    @Test("fetch leaves out UIDs that do not exist")
    func fetchSkipsMissingUIDs() async throws {
        try await withMailStack { stack, pool in
            try await stack.deliver(
                testMessage(id: "only@example.test"), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass")
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            let fetched = try await mailbox.fetch(uids: [7, 1, 99])
            #expect(fetched.map(\.uid) == [1])
        }
    }

    @Test(
        "move with UID MOVE files messages into a created folder; COPYUID gives the new UIDs", arguments: [true, false])
    func moveToCreatedFolder(useMove: Bool) async throws {
        try await withMailStack { stack, pool in
            let sent = (1...4).map { testMessage(id: "move-\($0)@example.test", subject: "Move \($0)") }
            for message in sent {
                try await stack.deliver(message, from: "alice@example.test", to: ["bot@example.test"])
            }
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 4)
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass"), pool: pool,
                useMove: useMove)
            try await mailbox.createFolderIfMissing("Processed")
            // something already in Processed, so the new UIDs differ from the old ones
            let first = try await mailbox.move(uids: [2], from: nil, to: "Processed")
            #expect(first == [2: 1])

            let inbox = try await mailbox.fetch(uids: [1, 3, 4])
            let map = try await mailbox.move(uids: [1, 3, 4, 42], from: nil, to: "Processed")
            #expect(map == [1: 2, 3: 3, 4: 4])
            #expect(try await mailbox.listInbox().uids.isEmpty)

            let processed = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass", folder: "Processed"),
                pool: pool)
            #expect(try await processed.listInbox().uids == [1, 2, 3, 4])
            for message in inbox {
                let newUID = try #require(map[message.uid])
                let moved = try #require(try await processed.fetch(uids: [newUID]).first)
                #expect(moved.raw == message.raw)
            }
            // Repeating a move is not an error.
            #expect(try await mailbox.move(uids: [1, 3], from: nil, to: "Processed").isEmpty)
        }
    }

    @Test("move from another folder selects that folder and returns messages to the inbox")
    func moveFromOtherFolder() async throws {
        try await withMailStack { stack, pool in
            try await stack.deliver(
                testMessage(id: "back@example.test"), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass")
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            try await mailbox.createFolderIfMissing("Quarantine")
            #expect(try await mailbox.move(uids: [1], from: nil, to: "Quarantine") == [1: 1])
            #expect(try await mailbox.search(messageID: "back@example.test", in: "Quarantine") == [1])
            #expect(try await mailbox.move(uids: [1], from: "Quarantine", to: "INBOX") == [1: 2])
            #expect(try await mailbox.listInbox().uids == [2])
            #expect(try await mailbox.search(messageID: "back@example.test", in: "Quarantine").isEmpty)
        }
    }

    @Test("createFolderIfMissing twice is fine, also for names with spaces and non-ASCII letters")
    func createFolderTwice() async throws {
        try await withMailStack { stack, pool in
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            try await mailbox.createFolderIfMissing("Processed")
            try await mailbox.createFolderIfMissing("Processed")
            try await mailbox.createFolderIfMissing("Entwürfe & Co")
            try await mailbox.createFolderIfMissing("Entwürfe & Co")

            let maildir = stack.directory + "/mail/example.test/bot/Maildir"
            let folders = try FileManager.default.contentsOfDirectory(atPath: maildir).filter { $0.hasPrefix(".") }
            // Dovecot keeps the modified UTF-7 name (RFC 3501 §5.1.3) on disk.
            #expect(Set(folders).isSuperset(of: [".Processed", ".Entw&APw-rfe &- Co"]), "\(folders)")

            try await stack.deliver(
                testMessage(id: "utf7@example.test"), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass")
            #expect(try await mailbox.move(uids: [1], from: nil, to: "Entwürfe & Co") == [1: 1])
            let other = try await stack.messages(user: "bot@example.test", password: "botpass", folder: "Entwürfe & Co")
            #expect(other.map(\.uid) == [1])
        }
    }

    @Test("search by Message-ID finds the message, and hostile ids cannot inject IMAP syntax")
    func searchByMessageID() async throws {
        try await withMailStack { stack, pool in
            for n in 1...3 {
                try await stack.deliver(
                    testMessage(id: "search-\(n)@example.test"), from: "alice@example.test", to: ["bot@example.test"])
            }
            // Postfix may deliver the three in any order: learn which UID each got.
            let delivered = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 3)
            var uid: [String: UInt32] = [:]
            for message in delivered {
                for n in 1...3 where String(decoding: message.raw, as: UTF8.self).contains("<search-\(n)@example.test>") {
                    uid["search-\(n)"] = message.uid
                }
            }
            #expect(uid.count == 3)
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bot@example.test", password: "botpass"), pool: pool)
            #expect(try await mailbox.search(messageID: "search-2@example.test", in: "INBOX") == [try #require(uid["search-2"])])
            #expect(try await mailbox.search(messageID: "<search-3@example.test>", in: "INBOX") == [try #require(uid["search-3"])])
            #expect(try await mailbox.search(messageID: "nothing@example.test", in: "INBOX").isEmpty)
            #expect(try await mailbox.search(messageID: "x\" ALL\r\nA1 LOGOUT", in: "INBOX").isEmpty)
            #expect(try await mailbox.search(messageID: "\"\\\"", in: "INBOX").isEmpty)
            // the connection still works after the hostile ids
            #expect(try await mailbox.listInbox().uids == [1, 2, 3])
            // a folder that does not exist is "not found", not a login problem
            let missing = await transportError {
                try await mailbox.search(messageID: "search-1@example.test", in: "NoSuch")
            }
            #expect(missing?.code == .notFound)
            #expect(missing?.isTemporary == false)
            #expect(try await mailbox.search(messageID: "search-1@example.test", in: "INBOX") == [try #require(uid["search-1"])])
        }
    }

    @Test("a released mailbox logs out")
    func releaseLogsOut() async throws {
        try await withMailStack { stack, pool in
            do {
                let mailbox = IMAPMailbox(
                    settings: stack.imapSettings(user: "bob@example.test", password: "bobpass"), pool: pool)
                #expect(try await mailbox.listInbox().uids.isEmpty)
            }
            let log = try await waitForLog(stack.directory + "/log/dovecot.log") {
                $0.contains("imap(bob@example.test)") && $0.contains("Logged out")
            }
            let lines = log.split(whereSeparator: \.isNewline).filter { $0.contains("imap(bob@example.test)") }
            #expect(lines.contains { $0.contains("Logged out") }, "\(lines)")
        }
    }

    @Test("one connection and one login serve a listing and 20 fetches")
    func connectionReuse() async throws {
        try await withMailStack { stack, pool in
            for n in 1...20 {
                try await stack.deliver(
                    testMessage(id: "reuse-\(n)@example.test"), from: "alice@example.test", to: ["carol@example.test"])
            }
            _ = try await stack.messages(user: "carol@example.test", password: "carolpass", atLeast: 20)
            let logPath = stack.directory + "/log/dovecot.log"
            let loginsBefore = try await waitForLog(logPath) { _ in true }
                .components(separatedBy: "Login: user=<carol@example.test>").count

            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "carol@example.test", password: "carolpass"), pool: pool)
            let listing = try await mailbox.listInbox()
            var fetched: [FetchedMessage] = []
            for uid in listing.uids { fetched += try await mailbox.fetch(uids: [uid]) }
            #expect(fetched.count == 20)
            let log = try await waitForLog(logPath) { _ in true }
            #expect(log.components(separatedBy: "Login: user=<carol@example.test>").count - loginsBefore == 1)
        }
    }
}
