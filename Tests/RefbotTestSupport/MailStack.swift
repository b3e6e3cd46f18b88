import Foundation
import RefbotCurl
import RefbotTransport
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A real Dovecot (IMAP) + Postfix (SMTP) pair on 127.0.0.1, started by `scripts/mailstack/mailstack.sh`
/// in its own temporary directory and port range, so several test suites can run stacks side by side.
///
/// ```swift
/// try TestEnvironment.requireServers()
/// let stack = try await MailStack.start()
/// do {
///     try await stack.deliver(Array(raw.utf8), from: "alice@example.test", to: ["bot@example.test"])
///     let inbox = try await stack.messages(user: "bot@example.test", password: "botpass")
///     …
/// } catch {
///     await stack.stop()
///     throw error
/// }
/// await stack.stop()                               // always: the servers outlive the test otherwise
/// ```
///
/// Users: `bot`, `alice`, `bob`, `carol` and `admin` at `example.test`, each with the password
/// `<name>pass` (`bot@example.test` / `botpass`). Mail to any other `example.test` user bounces
/// to the envelope sender; `RCPT TO tempfail@example.test` is answered 450 and `reject@example.test`
/// 550. Postfix takes messages up to 30 MB. Logs: `directory + "/log/dovecot.log"` and
/// `"/log/postfix.log"`; the script's own output: `"/mailstack.log"`.
public final class MailStack: Sendable {
    /// How a client reaches the servers.
    public enum TLSMode: Sendable, Equatable {
        /// TLS from the first byte: IMAPS (port base + 993) or SMTPS (+ 465).
        case implicit
        /// STARTTLS, required: IMAP (+ 143) or submission (+ 587).
        case starttls
        /// `imap://` on + 143 without requiring TLS (libcurl still upgrades when offered);
        /// for SMTP, the port-25 relay without AUTH (+ 25).
        case plain

        /// IMAPS: ``implicit``.
        public static let imaps = TLSMode.implicit
        /// SMTPS: ``implicit``.
        public static let smtps = TLSMode.implicit
    }

    /// The stack's directory (configs, mail, logs, certificate).
    public let directory: String
    /// Ports are this plus 143, 993, 25, 587 and 465.
    public let portBase: Int
    private let script: String
    private let pool: CurlThreadPool
    private let lock: PortBaseLock
    private let stopped = Mutex(false)

    /// The test OAuth2 server's port, when the stack was started with `oauthMechanisms`.
    public var oauthPort: Int { portBase + Self.oauthPortOffset }
    static let oauthPortOffset = 80

    /// IMAP with STARTTLS offered.
    public var imapPort: Int { portBase + 143 }
    /// IMAP over TLS.
    public var imapsPort: Int { portBase + 993 }
    /// SMTP without AUTH, open to 127.0.0.0/8 (as another mail server delivers).
    public var smtpPort: Int { portBase + 25 }
    /// Submission: STARTTLS and AUTH required.
    public var submissionPort: Int { portBase + 587 }
    /// SMTP over TLS, AUTH required.
    public var smtpsPort: Int { portBase + 465 }
    /// The servers' self-signed certificate (CN and SAN `localhost`, SAN `127.0.0.1`), to trust as a CA.
    public var caFile: String { directory + "/ssl/cert.pem" }

    /// The five users every stack has, with their passwords.
    public static let standardUsers: [String: String] = [
        "bot@example.test": "botpass", "alice@example.test": "alicepass", "bob@example.test": "bobpass",
        "carol@example.test": "carolpass", "admin@example.test": "adminpass",
    ]

    private init(directory: String, portBase: Int, script: String, lock: PortBaseLock) {
        self.directory = directory
        self.portBase = portBase
        self.script = script
        self.lock = lock
        pool = CurlThreadPool(threads: 2)
    }

    /// Whether the `dovecot` and `postfix` programs are installed.
    public static var serversInstalled: Bool {
        ["dovecot", "postfix", "doveadm"].allSatisfy { findExecutable($0) != nil }
    }

    /// Starts a stack in a new temporary directory on a free port base (a multiple of 1000 in
    /// 20000..<60000 whose five ports are free and that no other test holds, tried in a random order,
    /// and again for up to 6 s while all are held) with the standard users plus `extraUsers`
    /// (address → password; their domains are delivered too).
    ///
    /// `oauthMechanisms` (say `"xoauth2 oauthbearer"`) also starts the test OAuth2 server
    /// (`scripts/mailstack/oauth-server.py`) on ``oauthPort`` and lets Dovecot and Postfix take those
    /// SASL mechanisms with the tokens it issues; see ``OAuthTestServer``.
    public static func start(extraUsers: [String: String] = [:], oauthMechanisms: String? = nil) async throws -> MailStack {
        guard serversInstalled else {
            throw MailStackError(
                "dovecot and postfix are not installed (apt-get install dovecot-imapd dovecot-lmtpd postfix)")
        }
        let script = try findScript()
        var users = standardUsers
        users.merge(extraUsers) { _, extra in extra }
        var domains = Set(users.keys.compactMap { $0.split(separator: "@").last.map(String.init) })
        domains.insert("example.test")
        var environment = [
            "TEST_USERS": users.keys.sorted().map { "\($0):\(users[$0] ?? "")" }.joined(separator: " "),
            "MAIL_DOMAINS": domains.sorted().joined(separator: " "),
        ]
        var offsets = [143, 993, 25, 587, 465]
        if let oauthMechanisms {
            environment["OAUTH_MECHANISMS"] = oauthMechanisms
            offsets.append(oauthPortOffset)
        }
        var problems: [String] = []
        var otherFailures = 0
        // Every base in turn, in a random order (twelve random picks could all land on bases that
        // the tests running beside this one hold); when all are held, wait for one to be let go.
        rounds: for round in 0..<4 {
            if round > 0 { try await Task.sleep(for: .seconds(2)) }
            for base in (20..<60).map({ $0 * 1000 }).shuffled() {
                guard let lock = PortBaseLock(base: base) else { continue }
                // A stack left running on this base by a test process that died holds its ports.
                await reapAbandoned(lock: lock, base: base, script: script)
                guard offsets.allSatisfy({ isFree(port: base + $0) }) else { continue }
                if oauthMechanisms != nil { environment["OAUTH_PORT"] = String(base + oauthPortOffset) }
                let directory = try makeTemporaryDirectory()
                lock.record(directory)
                let stack = MailStack(directory: directory, portBase: base, script: script, lock: lock)
                do {
                    try await stack.runScript(["up", directory, String(base)], environment: environment)
                    return stack
                } catch {
                    problems.append("port base \(base): \(error)")
                    await stack.stop()
                    // A port taken in the meantime is always worth another try. Any other failure
                    // gets two more, on other bases: on a loaded machine a server can miss its start
                    // (Postfix's master once exited without a word at base 33000, which lies in
                    // Linux's ephemeral port range: a client socket may have held one of its ports).
                    if !"\(error)".contains("in use") {
                        otherFailures += 1
                        if otherFailures == 3 { break rounds }
                    }
                }
            }
        }
        if problems.isEmpty { problems.append("every port base from 20000 to 59000 was held or in use, four times over 6 s") }
        throw MailStackError("no mail stack could be started:\n" + problems.joined(separator: "\n"))
    }

    /// Stops every stack that a test process started and left running when it died (a crash, a
    /// kill): its port base's lock is free, and the lock file still names the stack's directory.
    /// Stacks whose process lives hold their lock and are left alone. Returns the directories
    /// stopped and removed. ``start(extraUsers:oauthMechanisms:)`` does this for each base it
    /// tries, so one crashed run does not leave the next without free ports.
    @discardableResult
    public static func reapAbandoned() async throws -> [String] {
        let script = try findScript()
        var reaped: [String] = []
        for base in (20..<60).map({ $0 * 1000 }) {
            guard let lock = PortBaseLock(base: base) else { continue }
            if let directory = await reapAbandoned(lock: lock, base: base, script: script) { reaped.append(directory) }
            lock.release()
        }
        return reaped
    }

    /// Stops the stack the free `lock` of `base` names, if any; returns its directory.
    @discardableResult
    private static func reapAbandoned(lock: PortBaseLock, base: Int, script: String) async -> String? {
        guard let directory = lock.recorded() else { return nil }
        let name = URL(fileURLWithPath: directory).lastPathComponent
        // Only a folder this type made is ever stopped and removed.
        guard name.hasPrefix("refbot-mailstack-"), FileManager.default.fileExists(atPath: directory) else {
            lock.clearRecord()
            return nil
        }
        let abandoned = MailStack(directory: directory, portBase: base, script: script, lock: lock)
        try? await abandoned.runScript(["down", directory, "kill"])
        try? FileManager.default.removeItem(atPath: directory)
        lock.clearRecord()
        await abandoned.pool.shutdown()
        return directory
    }

    /// Lets go of the port base as a test process that dies does, leaving the servers running:
    /// for the test of ``reapAbandoned()``.
    public func abandonAsIfCrashed() async {
        stopped.withLock { $0 = true }
        lock.release()
        await pool.shutdown()
    }

    /// IMAP settings for `user` reading `folder`, trusting the stack's certificate.
    public func imapSettings(
        user: String, password: String, folder: String = "INBOX", tls: TLSMode = .imaps
    ) -> IMAPServerSettings {
        let unreserved = CharacterSet(
            charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        let path = folder.addingPercentEncoding(withAllowedCharacters: unreserved) ?? folder
        let url: String
        switch tls {
        case .implicit: url = "imaps://127.0.0.1:\(imapsPort)/\(path)"
        case .starttls, .plain: url = "imap://127.0.0.1:\(imapPort)/\(path)"
        }
        return IMAPServerSettings(
            url: url, username: user, password: password, requireTLS: tls != .plain, caFile: caFile,
            connectTimeoutSeconds: 5, timeoutSeconds: 60)
    }

    /// SMTP settings that log in as `user`: SMTPS (``TLSMode/implicit``), submission with STARTTLS
    /// (``TLSMode/starttls``) or, for ``TLSMode/plain``, the same as ``relaySettings()``.
    public func smtpSettings(user: String, password: String, tls: TLSMode = .smtps) -> SMTPServerSettings {
        switch tls {
        case .implicit:
            SMTPServerSettings(
                url: "smtps://127.0.0.1:\(smtpsPort)", username: user, password: password, caFile: caFile,
                heloName: "client.example.test", connectTimeoutSeconds: 5, timeoutSeconds: 60)
        case .starttls:
            SMTPServerSettings(
                url: "smtp://127.0.0.1:\(submissionPort)", username: user, password: password, requireTLS: true,
                caFile: caFile, heloName: "client.example.test", connectTimeoutSeconds: 5, timeoutSeconds: 60)
        case .plain:
            relaySettings()
        }
    }

    /// Port 25 without AUTH and without requiring TLS, as another mail server delivers.
    public func relaySettings() -> SMTPServerSettings {
        SMTPServerSettings(
            url: "smtp://127.0.0.1:\(smtpPort)", requireTLS: false, caFile: caFile, heloName: "mx.example.net",
            connectTimeoutSeconds: 5, timeoutSeconds: 60)
    }

    /// Adds a user while the stack runs; returns once Dovecot knows the user.
    public func addUser(_ address: String, password: String) async throws {
        try await runScript(["adduser", directory, address, password])
    }

    /// Stops Dovecot (IMAP, and LMTP delivery: Postfix queues mail meanwhile).
    public func stopIMAP() async throws { try await runScript(["stop-imap", directory]) }
    /// Starts Dovecot again.
    public func startIMAP() async throws { try await runScript(["start-imap", directory]) }
    /// Stops Postfix.
    public func stopSMTP() async throws { try await runScript(["stop-smtp", directory]) }
    /// Starts Postfix again.
    public func startSMTP() async throws { try await runScript(["start-smtp", directory]) }

    /// Runs `doveadm` against this stack's Dovecot (`doveadm -c DIR/dovecot.conf …`), e.g.
    /// `["mailbox", "delete", "-u", "bot@example.test", "Processed"]`, and returns what it printed.
    @discardableResult
    public func doveadm(_ arguments: [String]) async throws -> String {
        guard let executable = Self.findExecutable("doveadm") else { throw MailStackError("doveadm is not installed") }
        let outputPath = directory + "/doveadm-\(UUID().uuidString.prefix(8)).out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        guard let output = FileHandle(forWritingAtPath: outputPath) else { throw MailStackError("cannot write \(outputPath)") }
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-c", directory + "/dovecot.conf"] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        let status = try await runToCompletion(process)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw MailStackError("doveadm \(arguments.joined(separator: " ")) exited with \(status): \(text)")
        }
        return text
    }

    /// Kills both servers and removes the directory. Safe to call more than once.
    public func stop() async {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        try? await runScript(["down", directory, "kill"])
        try? FileManager.default.removeItem(atPath: directory)
        lock.clearRecord()
        lock.release()
        await pool.shutdown()
    }

    /// Delivers raw RFC 5322 bytes as another mail server would (port 25, no AUTH).
    public func deliver(_ raw: [UInt8], from: String, to: [String]) async throws {
        let submitter = CurlSMTPSubmitter(settings: relaySettings(), pool: pool)
        let results = await submitter.submit([OutgoingMail(envelopeFrom: from, recipients: to, data: raw)])
        if case .failure(let error) = results.first { throw error }
    }

    /// Reads `folder` of `user` until it holds at least `count` messages or `timeout` passes
    /// (polling every 50 ms), and returns all of them in UID order.
    public func messages(
        user: String, password: String, folder: String = "INBOX", atLeast count: Int = 1,
        timeout: Duration = .seconds(20)
    ) async throws -> [FetchedMessage] {
        let mailbox = IMAPMailbox(
            settings: imapSettings(user: user, password: password, folder: folder), pool: pool)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var seen = 0
        var lastError: (any Error)?
        while true {
            do {
                let listing = try await mailbox.listInbox()
                seen = listing.uids.count
                if seen >= count {
                    let fetched = try await mailbox.fetch(uids: listing.uids)
                    if fetched.count >= count { return fetched }
                }
                lastError = nil
            } catch {
                lastError = error
            }
            if clock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let cause = lastError.map { " (last error: \($0))" } ?? ""
        throw MailStackError(
            "\(user)'s \(folder) held \(seen) of the \(count) messages awaited after \(timeout)\(cause)")
    }

    // MARK: - Running the script

    private func runScript(_ arguments: [String], environment extra: [String: String] = [:]) async throws {
        let logPath = directory + "/mailstack.log"
        if !FileManager.default.fileExists(atPath: logPath) {
            _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        }
        guard let log = FileHandle(forWritingAtPath: logPath) else {
            throw MailStackError("cannot write \(logPath)")
        }
        defer { try? log.close() }
        let start = (try? log.seekToEnd()) ?? 0
        log.write(Data("$ mailstack.sh \(arguments.joined(separator: " "))\n".utf8))

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = (environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/sbin:/sbin"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        // A file, never a Pipe: the daemons may keep inherited descriptors open for good.
        process.standardOutput = log
        process.standardError = log
        let status = try await runToCompletion(process)
        guard status == 0 else {
            let output = (try? Data(contentsOf: URL(fileURLWithPath: logPath))).map { data in
                String(decoding: data.dropFirst(Int(start)), as: UTF8.self)
            }
            throw MailStackError(
                "mailstack.sh \(arguments.first ?? "") exited with \(status): "
                    + (output ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    // MARK: - Helpers

    private static func findExecutable(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// `scripts/mailstack/mailstack.sh` in the package root (the nearest directory above this file
    /// with a Package.swift and that script).
    private static func findScript(file: String = #filePath) throws -> String {
        var directory = URL(fileURLWithPath: file).deletingLastPathComponent()
        while directory.path != "/" {
            let script = directory.appendingPathComponent("scripts/mailstack/mailstack.sh").path
            let manifest = directory.appendingPathComponent("Package.swift").path
            if FileManager.default.fileExists(atPath: manifest), FileManager.default.fileExists(atPath: script) {
                return script
            }
            directory.deleteLastPathComponent()
        }
        throw MailStackError("scripts/mailstack/mailstack.sh not found above \(file)")
    }

    private static func makeTemporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "/refbot-mailstack-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Whether nothing holds `port` on 127.0.0.1 (a bind succeeds).
    private static func isFree(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }
}

/// Something went wrong starting or using a ``MailStack``.
public struct MailStackError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Holds `flock` on a file named for a port base while a stack uses it, so that test processes
/// running at the same time pick different bases. The kernel drops the lock if the process dies;
/// the file names the stack's directory while it runs, so that the next process to take the lock
/// can stop a stack whose process died (``MailStack/reapAbandoned()``).
private final class PortBaseLock: Sendable {
    private let descriptor = Mutex<Int32>(-1)

    init?(base: Int) {
        // One folder for every test process, whatever its TMPDIR (scripts/test gives each run its own).
        let directory = "/tmp/refbot-mailstack-ports"
        mkdir(directory, 0o777)
        let fd = open("\(directory)/\(base).lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o666)
        guard fd >= 0 else { return nil }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            return nil
        }
        descriptor.withLock { $0 = fd }
    }

    /// Names `directory` as the stack on this base.
    func record(_ directory: String) {
        descriptor.withLock { fd in
            guard fd >= 0 else { return }
            let bytes = Array(directory.utf8)
            _ = ftruncate(fd, 0)
            _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        }
    }

    /// The stack directory the file names, or nil.
    func recorded() -> String? {
        descriptor.withLock { fd -> String? in
            guard fd >= 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return nil }
            return String(decoding: buffer[..<count], as: UTF8.self)
        }
    }

    /// Names no stack.
    func clearRecord() {
        descriptor.withLock { fd in if fd >= 0 { _ = ftruncate(fd, 0) } }
    }

    func release() {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }


    deinit { release() }
}
