import Foundation
import RefbotTestSupport
import RefbotTransport
import Synchronization
import Testing

@testable import RefbotCurl

/// refbot's own IMAP session against the real Dovecot: batched fetch, highest-UID listing, MOVE
/// sets, the fallbacks for a server without MOVE/UIDPLUS/IDLE/LITERAL+, IDLE, and cut connections.
@Suite(
    "IMAP session against Dovecot", .serialized,
    .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct IMAPSessionTests {
    private func mailbox(
        _ stack: MailStack, _ pool: CurlThreadPool, user: String = "bot@example.test", password: String = "botpass",
        port: Int? = nil, useMove: Bool = true, maxMessageBytes: Int = 64 << 20, maxCommandBytes: Int = 16 << 20,
        idleReissueSeconds: Int = 25 * 60
    ) -> IMAPMailbox {
        var settings = stack.imapSettings(user: user, password: password, tls: .imaps)
        if let port { settings.url = "imaps://127.0.0.1:\(port)/INBOX" }
        return IMAPMailbox(
            settings: settings, pool: pool, useMove: useMove, maxMessageBytes: maxMessageBytes, tokens: nil,
            maxCommandBytes: maxCommandBytes, idleReissueSeconds: idleReissueSeconds)
    }

    private func deliver(_ stack: MailStack, count: Int, prefix: String, to user: String = "bot@example.test", body: String = "Hello.\r\n")
        async throws
    {
        for n in 1...count {
            try await stack.deliver(
                testMessage(id: "\(prefix)-\(n)@example.test", to: user, body: body), from: "alice@example.test",
                to: [user])
        }
    }

    /// The Maildir flags of every message of `user`'s INBOX, by Message-ID.
    private func flags(_ stack: MailStack, user: String = "bot") throws -> [String: String] {
        let maildir = stack.directory + "/mail/example.test/\(user)/Maildir"
        var out: [String: String] = [:]
        for folder in ["new", "cur"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: maildir + "/" + folder) {
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: maildir + "/" + folder + "/" + name)))
                guard let id = headerValue("Message-ID", in: bytes) else { continue }
                // Maildir: "…:2,FLAGS" (S = \Seen); Dovecot's S=size,W=size come before the colon
                out[id] = name.components(separatedBy: ":2,").dropFirst().first ?? ""
            }
        }
        return out
    }

    @Test("batched fetch of 0, 1 and 30 messages (one larger than the byte bound): bodies as delivered, few commands, nothing marked \\Seen")
    func batchedFetch() async throws {
        try await withMailStack { stack, pool in
            let mailbox = mailbox(stack, pool, maxCommandBytes: 8 * 1024)
            let empty = try await mailbox.listInbox()
            #expect(empty.uids.isEmpty)
            #expect(try await mailbox.fetch(uids: []).isEmpty)

            try await deliver(stack, count: 1, prefix: "one")
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 1)
            let one = try await mailbox.fetch(uids: try await mailbox.listInbox().uids)
            #expect(one.count == 1)
            #expect(headerValue("Message-ID", in: one[0].raw) == "<one-1@example.test>")

            try await deliver(stack, count: 28, prefix: "many")
            let big = String(repeating: String(repeating: "x", count: 78) + "\r\n", count: 400)  // 32 KB > 8 KB bound
            try await stack.deliver(
                testMessage(id: "big@example.test", body: big), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 30)
            let listing = try await mailbox.listInbox()
            #expect(listing.uids.count == 30)
            #expect(listing.sizes.count == 30)
            let before = mailbox.commandLog.filter { $0 == "UID FETCH" }.count
            let fetched = try await mailbox.fetch(uids: listing.uids)
            let commands = mailbox.commandLog.filter { $0 == "UID FETCH" }.count - before
            #expect(fetched.map(\.uid) == listing.uids)
            for message in fetched { #expect(message.raw.count == listing.sizes[message.uid]) }
            let ids = Set(fetched.compactMap { headerValue("Message-ID", in: $0.raw) })
            #expect(ids.count == 30)
            #expect(ids.contains("<big@example.test>"))
            // 29 small messages of about 1 KB in 8 KB commands plus the large one alone: a handful, not 30
            #expect(commands > 2 && commands < 10, "UID FETCH commands: \(commands)")
            print("IMAPSessionTests.batchedFetch: 30 messages in \(commands) UID FETCH commands")

            let seen = try flags(stack).filter { $0.value.contains("S") }
            #expect(seen.isEmpty, "marked \\Seen by fetching: \(seen.keys.sorted())")
        }
    }

    @Test("a message over maxMessageBytes is refused as tooLarge before its bytes are fetched; the connection stays in use")
    func tooLarge() async throws {
        try await withMailStack { stack, pool in
            let mailbox = mailbox(stack, pool, maxMessageBytes: 10_000)
            try await deliver(stack, count: 1, prefix: "small")
            try await stack.deliver(
                testMessage(id: "huge@example.test", body: String(repeating: "y", count: 20_000) + "\r\n"),
                from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 2)
            let listing = try await mailbox.listInbox()
            let error = await transportError { try await mailbox.fetch(uids: listing.uids) }
            #expect(error?.code == .tooLarge)
            #expect(error?.isTemporary == false)
            let huge = try #require(listing.uids.first { (listing.sizes[$0] ?? 0) > 10_000 })
            let small = try #require(listing.uids.first { $0 != huge })
            #expect(try await mailbox.fetch(uids: [small]).count == 1)
            #expect(!mailbox.commandLog.contains("LOGOUT"))
            // the listing gave the sizes: one UID FETCH for it, one for the small body, none for the large one
            #expect(mailbox.commandLog.filter { $0 == "UID FETCH" }.count == 2)
        }
    }

    @Test("listInbox(after:) asks only for newer UIDs and never returns the last message again (the n+1:* trap)")
    func highestUID() async throws {
        try await withMailStack { stack, pool in
            let mailbox = mailbox(stack, pool)
            try await deliver(stack, count: 3, prefix: "mark")
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 3)
            let all = try await mailbox.listInbox(after: 0)
            #expect(all.uids == [1, 2, 3])
            #expect(try await mailbox.listInbox(after: 3).uids.isEmpty)
            #expect(try await mailbox.listInbox(after: 2).uids == [3])
            try await deliver(stack, count: 1, prefix: "later")
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 4)
            let later = try await mailbox.listInbox(after: 3)
            #expect(later.uids == [4])
            #expect(later.uidValidity == all.uidValidity)
            #expect(later.sizes[4] != nil)
        }
    }

    @Test("a set of UIDs moves with one UID MOVE and COPYUID gives every new UID")
    func moveSet() async throws {
        try await withMailStack { stack, pool in
            let mailbox = mailbox(stack, pool)
            try await deliver(stack, count: 5, prefix: "move")
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 5)
            try await mailbox.createFolderIfMissing("Processed")
            let listing = try await mailbox.listInbox()
            let mapping = try await mailbox.move(uids: listing.uids, from: nil, to: "Processed")
            #expect(Set(mapping.keys) == Set(listing.uids))
            #expect(Set(mapping.values).count == 5)
            #expect(mailbox.commandLog.filter { $0 == "UID MOVE" }.count == 1)
            #expect(try await mailbox.listInbox().uids.isEmpty)
            #expect(try await mailbox.list(folder: "Processed").uids.sorted() == mapping.values.sorted())
            // moving them again is not an error
            #expect(try await mailbox.move(uids: listing.uids, from: nil, to: "Processed").isEmpty)
        }
    }

    @Test("a server offering only IMAP4rev1 (no MOVE, UIDPLUS, IDLE): COPY + STORE + EXPUNGE, and the watch says it has no IDLE")
    func plainServer() async throws {
        try await withMailStack(extraUsers: ["plain@example.test": "plainpass"]) { stack, pool in
            // Dovecot takes per-user settings from the passwd-file's extra fields
            let users = stack.directory + "/users"
            var text = try String(contentsOfFile: users, encoding: .utf8)
            text = text.replacingOccurrences(
                of: "plain@example.test:{PLAIN}plainpass", with: "plain@example.test:{PLAIN}plainpass::::::userdb_imap_capability=IMAP4rev1")
            try text.write(toFile: users, atomically: false, encoding: .utf8)
            try await deliver(stack, count: 3, prefix: "plain", to: "plain@example.test")
            _ = try await stack.messages(user: "plain@example.test", password: "plainpass", atLeast: 3)

            let mailbox = mailbox(stack, pool, user: "plain@example.test", password: "plainpass")
            var capabilities: Set<String> = []
            for _ in 0..<40 {  // Dovecot re-reads the file at most once a second
                await mailbox.disconnect()
                try await mailbox.checkLogin()
                capabilities = try await mailbox.withSession(doing: "test") { connection, _ in connection.capabilities }
                if !capabilities.contains("MOVE") { break }
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(capabilities == ["IMAP4REV1"])
            try await mailbox.createFolderIfMissing("Done")
            let listing = try await mailbox.listInbox()
            #expect(listing.uids.count == 3)
            _ = try await mailbox.move(uids: Array(listing.uids.prefix(2)), from: nil, to: "Done")
            let log = mailbox.commandLog
            #expect(log.contains("UID COPY") && log.contains("UID STORE") && log.contains("EXPUNGE"))
            #expect(!log.contains("UID MOVE") && !log.contains("UID EXPUNGE"))
            #expect(try await mailbox.listInbox().uids == [listing.uids[2]])
            #expect(try await mailbox.list(folder: "Done").uids.count == 2)

            let seen = WatchRecorder()
            let watch = mailbox.watchInbox(onNewMail: {}) { event in seen.record(event) }
            try await waitUntil { seen.events.contains(.unsupported) }
            await watch.stop()
            #expect(seen.events == [.unsupported])
        }
    }

    @Test("IDLE: a delivery wakes the watcher; IDLE is sent again after the interval; stop sends DONE and LOGOUT")
    func idle() async throws {
        try await withMailStack { stack, pool in
            let mailbox = mailbox(stack, pool, idleReissueSeconds: 1)
            let seen = WatchRecorder()
            let watch = mailbox.watchInbox(onNewMail: { seen.woken() }) { event in seen.record(event) }
            try await waitUntil { seen.events.contains(.watching(reissueSeconds: 1)) }
            let afterConnect = seen.wakes
            #expect(afterConnect == 1)  // once after connecting, for mail that came while away

            let clock = ContinuousClock()
            let sent = clock.now
            try await deliver(stack, count: 1, prefix: "idle")
            try await waitUntil { seen.wakes > afterConnect }
            print("IMAPSessionTests.idle: woken \(clock.now - sent) after the delivery was accepted")

            let idle = try #require(watch as? IMAPIdleWatch)
            try await waitUntil { idle.idleCount.load(ordering: .relaxed) >= 3 }
            await watch.stop()
            let log = idle.commandLog.withLock { $0 }
            #expect(log.filter { $0 == "IDLE" }.count >= 3)
            #expect(log.suffix(3) == ["IDLE", "DONE", "LOGOUT"])
            let dovecot = try await waitForLog(stack.directory + "/log/dovecot.log") {
                $0.contains("imap(bot@example.test)") && $0.contains("Logged out")
            }
            let lines = dovecot.split(whereSeparator: \.isNewline).filter { $0.contains("imap(bot@example.test)") }
            #expect(lines.contains { $0.contains("Logged out") }, "\(lines)")
            // Dovecot writes "Disconnected: Logged out" for a LOGOUT, "Connection closed (IDLE …)" for a dropped IDLE
            #expect(!lines.contains { $0.contains("Connection closed") || $0.contains("IDLE running") }, "\(lines)")
        }
    }

    @Test("IDLE: the server going away is reported and the watch comes back by itself when it returns")
    func idleServerGone() async throws {
        try await withMailStack { stack, pool in
            let mailbox = mailbox(stack, pool)
            let seen = WatchRecorder()
            let watch = mailbox.watchInbox(onNewMail: { seen.woken() }) { event in seen.record(event) }
            try await waitUntil { seen.events.count == 1 }
            try await stack.stopIMAP()
            try await waitUntil {
                seen.events.contains { if case .failed(let error, _) = $0 { error.isTemporary } else { false } }
            }
            try await stack.startIMAP()
            try await waitUntil(timeout: .seconds(30)) {
                seen.events.filter { $0 == .watching(reissueSeconds: 25 * 60) }.count == 2
            }
            let before = seen.wakes
            try await deliver(stack, count: 1, prefix: "back")
            try await waitUntil { seen.wakes > before }
            await watch.stop()
        }
    }

    @Test("a connection cut inside a message literal: one cut is retried on a new connection, two are a temporary error and the next fetch is whole", arguments: [1, 2])
    func cutMidLiteral(cuts: Int) async throws {
        try await withMailStack { stack, pool in
            let body = String(repeating: String(repeating: "z", count: 98) + "\r\n", count: 2000)  // 200 KB
            try await stack.deliver(
                testMessage(id: "cut@example.test", body: body), from: "alice@example.test", to: ["bot@example.test"])
            _ = try await stack.messages(user: "bot@example.test", password: "botpass", atLeast: 1)
            let proxy = try TCPFaultProxy(targetPort: stack.imapsPort, cutAfterServerBytes: 100_000, connectionsToCut: cuts)
            defer { proxy.stop() }
            let mailbox = mailbox(stack, pool, port: proxy.port)
            let listing = try await mailbox.listInbox()
            let size = try #require(listing.sizes[1])
            if cuts == 1 {
                let fetched = try await mailbox.fetch(uids: [1])
                #expect(fetched.first?.raw.count == size)
            } else {
                let error = await transportError { try await mailbox.fetch(uids: [1]) }
                #expect(error?.code == .connection)
                #expect(error?.isTemporary == true)
                let fetched = try await mailbox.fetch(uids: [1])
                #expect(fetched.first?.raw.count == size)
            }
            #expect(proxy.cuts == cuts)
        }
    }
}

/// Waits until `condition` holds; fails the test after `timeout` (a bound for a broken build, not a speed check).
func waitUntil(timeout: Duration = .seconds(15), _ condition: () -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while !condition() {
        guard clock.now < deadline else {
            Issue.record("condition not met within \(timeout)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// What an inbox watch reported, from its threads.
final class WatchRecorder: Sendable {
    private let state = Mutex<(events: [InboxWatchEvent], wakes: Int)>(([], 0))
    func record(_ event: InboxWatchEvent) { state.withLock { $0.events.append(event) } }
    func woken() { state.withLock { $0.wakes += 1 } }
    var events: [InboxWatchEvent] { state.withLock { $0.events } }
    var wakes: Int { state.withLock { $0.wakes } }
}
