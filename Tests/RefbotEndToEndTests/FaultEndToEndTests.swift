import Foundation
import GRDB
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The running daemon against real Dovecot, Postfix and SQLite while something breaks under it:
/// each fault is logged once, naming what is wrong, nothing is lost and every mail is answered once.
/// (kill -9: CrashEndToEndTests; SMTP and IMAP outages: PipelineEndToEndTests.) See RELIABILITY.md.
@Suite("refbot under faults", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct FaultEndToEndTests {
    /// One cut is mended by refbot's own retry on a new connection, without a word; when the retry
    /// is cut too, the poll fails, which is logged once, and the next poll succeeds.
    @Test(
        "The IMAP connection is cut in the middle of a fetch: refbot reconnects, logs it once if its retry is cut too, every mail answered once",
        arguments: [1, 2])
    func imapCutMidFetch(cuts: Int) async throws {
        try await BotFixture.with(extraSMTP: BotFixture.uncappedReplies) { bot in
            let ids = (0..<8).map { "cut-\($0)@example.test" }
            // About 50 KB each, so the fetch is most of what the server sends.
            let background = String(repeating: "Some background about my business, so that this mail is a large one.\n", count: 700)
            for id in ids { try await bot.send(subject: "HELP", body: background, messageID: id) }
            _ = try await bot.rawMailbox("bot@example.test", atLeast: ids.count)

            // A connection is cut 150 KB into the server's answers (past the login and the listing,
            // inside the fetch); with two cuts, so is the one refbot opens at once to retry.
            let proxy = try TCPFaultProxy(targetPort: bot.stack.imapsPort, cutAfterServerBytes: 150_000, connectionsToCut: cuts)
            defer { proxy.stop() }
            try bot.useIMAPPort(proxy.port)
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            let answers = try await Self.answersThenStop(daemon, ids: ids, bot: bot)

            #expect(proxy.cuts == cuts, "connections cut: \(proxy.cuts) of \(proxy.connections); bytes from the server: \(proxy.serverBytes)")
            Self.expectAnsweredOnce(answers, ids: ids)
            let log = daemon.stderr
            let warnings = Self.lines("warning", "IMAP unreachable", in: log)
            print("fault: IMAP cut \(cuts)x: \(proxy.cuts) cuts, bytes from the server per connection \(proxy.serverBytes); \(warnings)")
            #expect(warnings.count == cuts - 1, "\(log)")
            if cuts > 1 {
                #expect(
                    warnings.first?.contains("broke during fetching UID") == true, "the line names the broken fetch: \(warnings)")
            }
            #expect(Self.lines("notice", "IMAP reachable again", in: log).count == cuts - 1, "\(log)")
            #expect(try await bot.count("bot@example.test") == 0)
            #expect(try await bot.count("bot@example.test", folder: "Processed") == ids.count)
            let store = try Store(path: bot.databasePath)
            #expect(try await store.read { db in try InboundMessage.fetchCount(db) } == ids.count)
        }
    }

    @Test("UIDVALIDITY of the INBOX changes under the daemon and handled mail comes back: nothing stored or answered twice, new mail handled")
    func uidValidityChanged() async throws {
        try await BotFixture.with { bot in
            let before = (0..<3).map { "before-\($0)@example.test" }
            for id in before { try await bot.send(subject: "HELP", body: "", messageID: id) }
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            _ = try await Self.answers(for: before, bot: bot)
            _ = try await bot.rawMailbox("bot@example.test", folder: "Processed", atLeast: before.count)

            // As after a restore from backup: the INBOX gets a new UIDVALIDITY and the handled mail is back in it.
            let user = ["-u", "bot@example.test"]
            let oldValidity = try await Self.uidValidity(bot)
            try await bot.stack.doveadm(["mailbox", "update"] + user + ["--uid-validity", "\(oldValidity + 1000)", "INBOX"])
            #expect(try await Self.uidValidity(bot) == oldValidity + 1000)
            try await bot.stack.doveadm(["copy"] + user + ["INBOX", "mailbox", "Processed", "ALL"])
            let after = (0..<2).map { "after-\($0)@example.test" }
            for id in after { try await bot.send(subject: "HELP", body: "", messageID: id) }
            let answers = try await Self.answersThenStop(daemon, ids: before + after, bot: bot)

            Self.expectAnsweredOnce(answers, ids: before + after)
            let store = try Store(path: bot.databasePath)
            let rows = try await store.read { db in try InboundMessage.fetchAll(db) }
            #expect(rows.compactMap(\.messageId).sorted() == (before + after).sorted(), "each mail stored once")
            #expect(Set(rows.map(\.uidValidity)) == [Int64(oldValidity), Int64(oldValidity + 1000)])
            let log = daemon.stderr
            let notices = Self.lines("notice", "Inbound message already stored", in: log)
            print("fault: UIDVALIDITY \(oldValidity) -> \(oldValidity + 1000): \(notices.count) already-stored notices, \(rows.count) rows")
            #expect(notices.count == before.count, "\(log)")
            #expect(Self.lines("warning", "IMAP unreachable", in: log).count <= 1, "\(log)")
            #expect(try await bot.count("bot@example.test") == 0)
        }
    }

    @Test("The processed folder is deleted while the daemon runs: created again, new mail filed there, nothing lost")
    func processedFolderDeleted() async throws {
        try await BotFixture.with { bot in
            let first = ["kept-0@example.test", "kept-1@example.test"]
            for id in first { try await bot.send(subject: "HELP", body: "", messageID: id) }
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            _ = try await Self.answers(for: first, bot: bot)
            _ = try await bot.rawMailbox("bot@example.test", folder: "Processed", atLeast: first.count)

            try await bot.stack.doveadm(["mailbox", "delete", "-u", "bot@example.test", "Processed"])
            let list = try await bot.stack.doveadm(["mailbox", "list", "-u", "bot@example.test"])
            try #require(!list.split(separator: "\n").contains("Processed"), "Processed is gone: \(list)")
            let later = (0..<3).map { "later-\($0)@example.test" }
            for id in later { try await bot.send(subject: "HELP", body: "", messageID: id) }
            let filed = try await bot.mailbox("bot@example.test", folder: "Processed", atLeast: later.count, timeout: .seconds(60))
            let answers = try await Self.answersThenStop(daemon, ids: first + later, bot: bot)

            Self.expectAnsweredOnce(answers, ids: first + later)
            #expect(Set(filed.compactMap(\.messageID)) == Set(later))
            #expect(try await bot.count("bot@example.test") == 0)
            let log = daemon.stderr
            let warnings = Self.lines("warning", "IMAP folder was missing and has been created again", in: log)
            print("fault: processed folder deleted: \(warnings)")
            #expect(warnings.count == 1, "\(log)")
            #expect(warnings.first?.contains("imap.folder=Processed") == true, "\(warnings)")
            #expect(warnings.first?.contains("TRYCREATE") == true, "the server's refusal is quoted: \(warnings)")
            #expect(Self.lines("warning", "IMAP unreachable", in: log).isEmpty, "\(log)")
            let store = try Store(path: bot.databasePath)
            let folders = try await store.read { db in
                try String.fetchAll(db, sql: "SELECT filedFolder FROM inboundMessage WHERE messageId LIKE 'later-%'")
            }
            #expect(folders == ["Processed", "Processed", "Processed"])
        }
    }

    @Test("Another process holds the database locked for 30 s: logged once, no crash, the mail is answered once after")
    func databaseLocked() async throws {
        try await BotFixture.with { bot in
            try await bot.send(subject: "HELP", body: "", messageID: "warm@example.test")
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            _ = try await Self.answers(for: ["warm@example.test"], bot: bot)

            let lock = try await SQLiteLockHolder(path: bot.databasePath)
            let ids = (0..<3).map { "locked-\($0)@example.test" }
            for id in ids { try await bot.send(subject: "HELP", body: "", messageID: id) }
            try await Task.sleep(for: .seconds(30))
            let answeredWhileLocked = try await bot.count("alice@example.test")
            let runningWhileLocked = daemon.isRunning
            try await lock.release()

            let answers = try await Self.answersThenStop(daemon, ids: ["warm@example.test"] + ids, bot: bot)
            #expect(runningWhileLocked)
            #expect(answeredWhileLocked == 1, "no mail is acted on before it is stored")
            Self.expectAnsweredOnce(answers, ids: ["warm@example.test"] + ids)
            let log = daemon.stderr
            let warnings = Self.lines("warning", "Database not writable, work waits", in: log)
            print("fault: database locked 30 s: \(warnings)")
            #expect(warnings.count == 1, "\(log)")
            #expect(warnings.first?.contains("database is locked") == true, "\(warnings)")
            #expect(Self.lines("notice", "Database writable again", in: log).count == 1, "\(log)")
            #expect(Self.lines("warning", "IMAP unreachable", in: log).isEmpty, "\(log)")
            #expect(!log.contains("<3>"), "no errors: \(log)")
            let store = try Store(path: bot.databasePath)
            #expect(try await store.read { db in try InboundMessage.fetchCount(db) } == 4)
        }
    }

    /// Whether this machine lets the tests mount a small tmpfs (root with CAP_SYS_ADMIN): tried once.
    static let canMountTmpfs: Bool = {
        let point = NSTemporaryDirectory() + "/refbot-mount-probe-" + UUID().uuidString.prefix(8)
        guard (try? FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)) != nil else { return false }
        defer { try? FileManager.default.removeItem(atPath: point) }
        let mounted = mount("tmpfs", point, "tmpfs", 0, "size=1m") == 0
        if mounted { umount(point) } else { print("fault: no tmpfs mount here (\(String(cString: strerror(errno)))): disk-full test not run") }
        return mounted
    }()

    @Test(
        "The disk holding the database fills up: logged once, nothing lost, mail answered once when space returns",
        .enabled(if: canMountTmpfs, "needs permission to mount a small tmpfs"))
    func diskFull() async throws {
        try await BotFixture.with { bot in
            let small = bot.directory + "/small-disk"
            try FileManager.default.createDirectory(atPath: small, withIntermediateDirectories: true)
            try await Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", small])
            do {
                try await Self.diskFull(bot: bot, small: small)
            } catch {
                try? await Self.run("/bin/umount", [small])
                throw error
            }
            try await Self.run("/bin/umount", [small])
        }
    }

    private static func diskFull(bot: BotFixture, small: String) async throws {
        let database = small + "/refbot.sqlite"
        let toml = try String(contentsOfFile: bot.configPath, encoding: .utf8)
            .replacingOccurrences(of: "database = \"\(bot.databasePath)\"", with: "database = \"\(database)\"")
        try toml.write(toFile: bot.configPath, atomically: true, encoding: .utf8)
        try await bot.send(subject: "HELP", body: "", messageID: "roomy@example.test")
        let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
        _ = try await answers(for: ["roomy@example.test"], bot: bot)

        // Fill the disk to the last byte, then send mail large enough that storing it needs room.
        let filler = small + "/filler"
        try? await run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
        try? await run("/bin/dd", ["if=/dev/zero", "of=\(filler)-tail", "bs=512"])
        let background = String(repeating: "Some background about my business, so that this mail is a large one.\n", count: 4000)
        let ids = (0..<3).map { "full-\($0)@example.test" }
        for id in ids { try await bot.send(subject: "HELP", body: background, messageID: id) }
        let deadline = ContinuousClock.now + .seconds(30)
        while lines("warning", "Database not writable", in: daemon.stderr).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        let answeredWhileFull = try await bot.count("alice@example.test")
        let runningWhileFull = daemon.isRunning
        try FileManager.default.removeItem(atPath: filler)
        try FileManager.default.removeItem(atPath: filler + "-tail")

        let answers = try await answersThenStop(daemon, ids: ["roomy@example.test"] + ids, bot: bot)
        #expect(runningWhileFull)
        #expect(answeredWhileFull == 1)
        expectAnsweredOnce(answers, ids: ["roomy@example.test"] + ids)
        let log = daemon.stderr
        let warnings = lines("warning", "Database not writable, work waits", in: log)
        print("fault: disk full: \(warnings)")
        #expect(warnings.count == 1, "\(log)")
        #expect(warnings.first?.contains("full") == true, "the line says the disk is full: \(warnings)")
        #expect(lines("notice", "Database writable again", in: log).count == 1, "\(log)")
        #expect(lines("warning", "IMAP unreachable", in: log).isEmpty, "\(log)")
        let store = try Store(path: database)
        #expect(try await store.read { db in try InboundMessage.fetchCount(db) } == 4)
        #expect(try await bot.count("bot@example.test") == 0)
    }

    // MARK: - Helpers

    /// The daemon's log lines at `level` whose message starts with `message`.
    static func lines(_ level: String, _ message: String, in log: String) -> [String] {
        log.split(separator: "\n").map(String.init).filter { line in
            guard let close = line.firstIndex(of: ">") else { return false }
            return line[line.index(after: close)...].hasPrefix("\(level) \(message)")
        }
    }

    /// Waits until every one of `ids` has an answer in Alice's INBOX and returns her INBOX.
    static func answers(for ids: [String], bot: BotFixture, timeout: Duration = .seconds(90)) async throws -> [ParsedMessage] {
        let deadline = ContinuousClock.now + timeout
        var answers: [ParsedMessage] = []
        while ContinuousClock.now < deadline {
            answers = try await bot.mailbox("alice@example.test", atLeast: 0, timeout: .seconds(5))
            if Set(answers.flatMap(\.inReplyTo)).isSuperset(of: ids) { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        return answers
    }

    /// Waits for the answers, stops the daemon gracefully (it must exit 0), and reads Alice's INBOX
    /// once more, so that an answer sent twice has had time to arrive too.
    static func answersThenStop(_ daemon: RefbotProcess, ids: [String], bot: BotFixture) async throws -> [ParsedMessage] {
        _ = try await answers(for: ids, bot: bot)
        try await Task.sleep(for: .seconds(2))
        daemon.signal(SIGTERM)
        #expect(await daemon.wait() == 0, "graceful stop: \(daemon.stderr.suffix(3000))")
        try await Task.sleep(for: .milliseconds(500))
        return try await bot.mailbox("alice@example.test", atLeast: 0, timeout: .seconds(5))
    }

    /// Each of `ids` has exactly one answer, and there is no other answer.
    static func expectAnsweredOnce(_ answers: [ParsedMessage], ids: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let parents = answers.flatMap(\.inReplyTo).sorted()
        #expect(parents == ids.sorted(), "answers: \(parents)", sourceLocation: sourceLocation)
        #expect(answers.count == ids.count, "\(answers.count) answers for \(ids.count) mails", sourceLocation: sourceLocation)
    }

    /// The UIDVALIDITY of the bot's INBOX, as Dovecot reports it.
    static func uidValidity(_ bot: BotFixture) async throws -> UInt32 {
        let output = try await bot.stack.doveadm(["-f", "flow", "mailbox", "status", "-u", "bot@example.test", "uidvalidity", "INBOX"])
        guard let value = output.split(separator: "=").last.flatMap({ UInt32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) else {
            throw MailStackError("no UIDVALIDITY in doveadm's answer: \(output)")
        }
        return value
    }

    /// Runs a program to its end; throws when it fails.
    static func run(_ executable: String, _ arguments: [String]) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let status = try await runToCompletion(process)
        guard status == 0 else { throw MailStackError("\(executable) \(arguments.joined(separator: " ")) exited with \(status)") }
    }
}

extension BotFixture {
    /// Points refbot's IMAP URL at another loopback port (a proxy in front of the stack's IMAPS).
    func useIMAPPort(_ port: Int) throws {
        let toml = try String(contentsOfFile: configPath, encoding: .utf8).replacingOccurrences(
            of: "imaps://127.0.0.1:\(stack.imapsPort)/", with: "imaps://127.0.0.1:\(port)/")
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
    }
}
