import CCurl
import RefbotTransport
import Synchronization

/// ``InboundMailbox`` over refbot's own IMAP session (``IMAPConnection``): one connection, logged
/// in once and kept open between polls.
///
/// ```swift
/// let mailbox = IMAPMailbox(settings: configuration.imapServer, pool: pool)
/// let listing = try await mailbox.listInbox(after: highestUIDSeen)   // UID FETCH n+1:* (UID RFC822.SIZE)
/// let messages = try await mailbox.fetch(uids: Array(listing.uids.prefix(100)))  // BODY.PEEK[], batched
/// let newUIDs = try await mailbox.move(uids: messages.map(\.uid), from: nil, to: "Processed")
/// ```
///
/// What it sends: `SELECT` once per listing (UIDVALIDITY, UIDNEXT, EXISTS); `UID FETCH n+1:*
/// (UID RFC822.SIZE)` for what is new (filtered to UIDs above n: `n+1:*` always matches the last
/// message); `UID FETCH set (UID RFC822.SIZE BODY.PEEK[])` in commands of at most
/// ``maxCommandBytes`` and ``maxCommandMessages``, so nothing is marked `\Seen`; `UID MOVE set`
/// (else `UID COPY` + `UID STORE +FLAGS.SILENT (\Deleted)` + `UID EXPUNGE` with UIDPLUS, else
/// `EXPUNGE`), with COPYUID read; `UID SEARCH HEADER Message-ID`; `CREATE`; `LIST`.
///
/// Calls run one at a time on the ``CurlThreadPool`` (a lock guards the connection). After any
/// error but a plain `NO`/`BAD`, the connection is dropped and the next call connects and logs in
/// again; a call that finds its reused connection dead retries once on a new one.
///
/// Failure modes (all ``TransportError``): connection refused or broken, timeouts, TLS trouble:
/// temporary; login refused: permanent `authentication`; `NO`/`BAD`: `rejected` (permanent unless the
/// server says it is passing); a folder that cannot be selected: permanent `notFound`; a message
/// over `maxMessageBytes`: permanent `tooLarge`, before any byte of it is fetched.
public final class IMAPMailbox: InboundMailbox {
    let settings: IMAPServerSettings
    let pool: CurlThreadPool
    private let useMove: Bool
    let maxMessageBytes: Int
    private let endpoint: Result<MailURL, TransportError>
    private let holder = IMAPConnectionHolder()
    let tokens: (any AccessTokenSource)?
    /// The most bytes of messages one `UID FETCH` asks for (a single larger message goes alone).
    let maxCommandBytes: Int
    /// The most messages one `UID FETCH` asks for.
    let maxCommandMessages = 500
    /// How often IDLE is sent again (servers drop an IDLE after 30 minutes; RFC 2177 says 29).
    let idleReissueSeconds: Int

    /// A mailbox for `settings`; nothing connects until the first call.
    ///
    /// - Parameters:
    ///   - useMove: use `UID MOVE` where the server offers it; false always copies, flags
    ///     `\Deleted` and expunges (the path for servers without MOVE).
    ///   - maxMessageBytes: the largest message ``fetch(uids:)`` accepts.
    ///   - tokens: where OAuth2 access tokens come from when `settings.auth` is not `.password`. A
    ///     refused login asks it once for a new token and tries once more.
    public convenience init(
        settings: IMAPServerSettings, pool: CurlThreadPool, useMove: Bool = true, maxMessageBytes: Int = 64 << 20,
        tokens: (any AccessTokenSource)? = nil
    ) {
        self.init(
            settings: settings, pool: pool, useMove: useMove, maxMessageBytes: maxMessageBytes, tokens: tokens,
            maxCommandBytes: 16 << 20, idleReissueSeconds: 25 * 60)
    }

    /// With the batch byte bound and the IDLE interval set (tests).
    init(
        settings: IMAPServerSettings, pool: CurlThreadPool, useMove: Bool, maxMessageBytes: Int,
        tokens: (any AccessTokenSource)?, maxCommandBytes: Int, idleReissueSeconds: Int
    ) {
        self.settings = settings
        self.tokens = tokens
        self.pool = pool
        self.useMove = useMove
        self.maxMessageBytes = maxMessageBytes
        self.maxCommandBytes = max(1, maxCommandBytes)
        self.idleReissueSeconds = max(1, idleReissueSeconds)
        endpoint = Result { () throws(TransportError) -> MailURL in
            var url = try MailURL(settings.url, schemes: ["imaps", "imap"], service: .imap)
            if url.path.isEmpty { url.path = "INBOX" }
            return url
        }
    }

    deinit {
        // LOGOUT waits for the answer: do it on a pool thread.
        let holder = self.holder
        pool.runDetached {
            holder.connection.withLock { connection in
                connection?.logout()
                connection = nil
            }
        }
    }

    /// The folder named by the URL's path (`INBOX` when there is none).
    public var inboxFolder: String { (try? endpoint.get().path) ?? "INBOX" }

    /// The commands the current connection has sent (names only, the last 200), for tests.
    var commandLog: [String] { holder.connection.withLock { $0?.commandLog ?? [] } }

    /// Says LOGOUT and drops the connection when the daemon stops (``disconnect()``).
    public func close() async { await disconnect() }

    /// Drops the connection (LOGOUT first), as a broken one would be.
    public func disconnect() async {
        _ = try? await pool.run { self.holder.connection.withLock { connection in
            connection?.logout()
            connection = nil
        } }
    }

    // MARK: - InboundMailbox

    public func listInbox() async throws -> FolderListing {
        try await listInbox(after: 0)
    }

    public func listInbox(after uid: UInt32) async throws -> FolderListing {
        try await withSession(doing: "listing the inbox") { connection, inbox in
            let selected = try Self.select(inbox, on: connection)
            guard selected.exists > 0, uid < UInt32.max else {
                return FolderListing(uidValidity: selected.uidValidity, uids: [])
            }
            if let next = selected.uidNext, next <= uid &+ 1 {
                return FolderListing(uidValidity: selected.uidValidity, uids: [])
            }
            let answer = try connection.command(
                "UID FETCH \(uid + 1):* (UID RFC822.SIZE)", doing: "listing new messages")
            var sizes: [UInt32: Int] = [:]
            for case .fetch(_, let attributes) in answer.untagged {
                guard let found = attributes.uid, found > uid else { continue }
                sizes[found] = attributes.size ?? sizes[found]
            }
            connection.knownSizes.merge(sizes) { _, new in new }
            return FolderListing(uidValidity: selected.uidValidity, uids: sizes.keys.sorted(), sizes: sizes)
        }
    }

    public func fetch(uids: [UInt32]) async throws -> [FetchedMessage] {
        try await fetch(uids, from: nil)
    }

    /// Fetches from `name` (nil: the inbox folder): sizes first where unknown, then bodies with
    /// `BODY.PEEK[]` in commands bounded by count and bytes.
    func fetch(_ uids: [UInt32], from name: String?) async throws -> [FetchedMessage] {
        guard !uids.isEmpty else { return [] }
        if let name { try Self.checkFolderName(name) }
        let limit = maxMessageBytes
        let commandBytes = maxCommandBytes
        let commandMessages = maxCommandMessages
        return try await withSession(doing: "fetching messages") { connection, inbox in
            let folder = name ?? inbox
            let selected = try Self.selectIfNeeded(folder, on: connection)
            var sizes: [UInt32: Int] = [:]
            let known = connection.knownSizes
            if uids.allSatisfy({ known[$0] != nil }) {
                for uid in uids { sizes[uid] = known[uid] }
            } else {
                let sizeAnswer = try connection.command(
                    "UID FETCH \(IMAPSyntax.sequenceSet(uids)) (UID RFC822.SIZE)", doing: "asking message sizes")
                for case .fetch(_, let attributes) in sizeAnswer.untagged {
                    if let uid = attributes.uid, let size = attributes.size { sizes[uid] = size }
                }
            }
            let present = uids.filter { sizes[$0] != nil }
            if let big = present.first(where: { (sizes[$0] ?? 0) > limit }) {
                throw IMAPSessionError(
                    transport: .permanent(
                        .tooLarge,
                        "message UID \(big) on IMAP server \(connection.server) has \(sizes[big] ?? 0) bytes, "
                            + "more than the \(limit) allowed"),
                    keepsConnection: true)
            }
            var bodies: [UInt32: [UInt8]] = [:]
            var group: [UInt32] = []
            var groupBytes = 0
            func flush() throws(IMAPSessionError) {
                guard !group.isEmpty else { return }
                let set = IMAPSyntax.sequenceSet(group)
                let answer = try connection.command(
                    "UID FETCH \(set) (UID RFC822.SIZE BODY.PEEK[])", doing: "fetching UID \(set)")
                for case .fetch(_, let attributes) in answer.untagged {
                    if let uid = attributes.uid, let body = attributes.body, bodies[uid] == nil { bodies[uid] = body }
                }
                group.removeAll()
                groupBytes = 0
            }
            for uid in present {
                let size = sizes[uid] ?? 0
                if !group.isEmpty && (groupBytes + size > commandBytes || group.count >= commandMessages) {
                    try flush()
                }
                group.append(uid)
                groupBytes += size
            }
            try flush()
            return present.compactMap { uid in
                bodies[uid].map { FetchedMessage(uidValidity: selected.uidValidity, uid: uid, raw: $0) }
            }
        }
    }

    public func move(uids: [UInt32], from folder: String?, to destination: String) async throws -> [UInt32: UInt32] {
        guard !uids.isEmpty else { return [:] }
        try Self.checkFolderName(destination)
        if let folder { try Self.checkFolderName(folder) }
        let useMove = self.useMove
        return try await withSession(doing: "moving messages") { connection, inbox in
            let source = folder ?? inbox
            _ = try Self.selectIfNeeded(source, on: connection)
            let set = IMAPSyntax.sequenceSet(uids)
            let target = Self.mailboxArgument(destination)
            let capabilities = connection.capabilities
            var answers: [IMAPCommandResult] = []
            if useMove && capabilities.contains("MOVE") {
                answers.append(
                    try connection.command([.raw("UID MOVE \(set)"), target], doing: "UID MOVE to \(destination)"))
            } else {
                answers.append(
                    try connection.command([.raw("UID COPY \(set)"), target], doing: "UID COPY to \(destination)"))
                try connection.command(
                    "UID STORE \(set) +FLAGS.SILENT (\\Deleted)", doing: "flagging moved messages \\Deleted")
                let expunge = capabilities.contains("UIDPLUS") ? "UID EXPUNGE \(set)" : "EXPUNGE"
                try connection.command(expunge, doing: "expunging moved messages")
            }
            var map: [UInt32: UInt32] = [:]
            for answer in answers {
                var codes = [answer.status.code]
                for case .status(let status) in answer.untagged { codes.append(status.code) }
                for case .copyUID(_, let source, let destination)? in codes {
                    for (from, to) in zip(source, destination) { map[from] = to }
                }
            }
            let requested = Set(uids)
            return map.filter { requested.contains($0.key) }
        }
    }

    public func search(messageID: String, in folder: String) async throws -> [UInt32] {
        try Self.checkFolderName(folder)
        let id = Self.searchableMessageID(messageID)
        guard !id.isEmpty else { return [] }
        return try await withSession(doing: "searching by Message-ID") { connection, _ in
            _ = try Self.select(folder, on: connection)
            let found = try connection.command(
                "UID SEARCH HEADER Message-ID \"<\(id)>\"", doing: "UID SEARCH HEADER Message-ID")
            var uids: [UInt32] = []
            for case .search(let some) in found.untagged { uids += some }
            return uids.sorted()
        }
    }

    public func createFolderIfMissing(_ name: String) async throws {
        try Self.checkFolderName(name)
        try await withSession(doing: "creating folder \(name)") { connection, _ in
            do {
                try connection.command([.raw("CREATE"), Self.mailboxArgument(name)], doing: "CREATE \(name)")
            } catch let error as IMAPSessionError where error.refusal != nil {
                let status = error.refusal
                let text = (status?.text ?? "").uppercased()
                if status?.codeName == "ALREADYEXISTS" || text.contains("ALREADY EXISTS")
                    || text.contains("ALREADYEXISTS")
                {
                    return
                }
                throw error
            }
        }
    }

    public func checkLogin() async throws {
        try await withSession(doing: "logging in") { connection, folder in
            _ = try Self.select(folder, on: connection)
        }
    }

    // MARK: - Helpers

    struct Selected {
        var uidValidity: UInt32
        var uidNext: UInt32?
        var exists: UInt32
    }

    /// `SELECT folder`: its UIDVALIDITY, UIDNEXT and message count. A refusal is `notFound`.
    static func select(_ folder: String, on connection: IMAPConnection) throws(IMAPSessionError) -> Selected {
        connection.selected = nil
        connection.knownSizes = [:]
        let answer: IMAPCommandResult
        do {
            answer = try connection.command([.raw("SELECT"), mailboxArgument(folder)], doing: "selecting \(folder)")
        } catch let error where error.refusal != nil {
            var failure = error
            failure.transport = .permanent(
                .notFound,
                "IMAP server \(connection.server) could not open the folder \(folder): \(error.refusal?.text ?? "")")
            throw failure
        }
        var selected = Selected(uidValidity: 0, uidNext: nil, exists: 0)
        var sawValidity = false
        for item in answer.untagged {
            switch item {
            case .exists(let count): selected.exists = count
            case .status(let status):
                switch status.code {
                case .uidValidity(let value)?:
                    selected.uidValidity = value
                    sawValidity = true
                case .uidNext(let value)?: selected.uidNext = value
                default: break
                }
            default: break
            }
        }
        guard sawValidity else {
            throw IMAPSessionError(
                transport: .temporary(.protocolError, "IMAP server \(connection.server) gave no UIDVALIDITY for \(folder)"),
                keepsConnection: true)
        }
        connection.selected = folder
        connection.selectedValidity = selected.uidValidity
        return selected
    }

    /// SELECTs `folder` unless it is selected already.
    static func selectIfNeeded(_ folder: String, on connection: IMAPConnection) throws(IMAPSessionError) -> Selected {
        if connection.selected == folder, let validity = connection.selectedValidity {
            return Selected(uidValidity: validity, uidNext: nil, exists: 1)
        }
        return try select(folder, on: connection)
    }

    /// A folder name as a command argument (modified UTF-7, quoted where needed).
    static func mailboxArgument(_ name: String) -> IMAPArgument {
        .raw(IMAPSyntax.astring(IMAPSyntax.modifiedUTF7(name)))
    }

    /// Keeps what can stand in a quoted IMAP string: printable ASCII without `"` and `\`, and
    /// without the angle brackets around the id.
    static func searchableMessageID(_ messageID: String) -> String {
        var scalars = messageID.unicodeScalars.filter { $0.value > 0x20 && $0.value < 0x7f && $0 != "\"" && $0 != "\\" }
        while scalars.first == "<" { scalars.removeFirst() }
        while scalars.last == ">" { scalars.removeLast() }
        var out = ""
        out.unicodeScalars.append(contentsOf: scalars)
        return out
    }

    static func checkFolderName(_ name: String) throws(TransportError) {
        if name.isEmpty || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw .permanent(.rejected, "IMAP folder name \"\(name)\" is empty or holds control characters")
        }
    }

    /// Connection options for libcurl's part (connect, TLS).
    func connectionOptions() throws(TransportError) -> CurlConnectionOptions {
        let url = try endpoint.get()
        return CurlConnectionOptions(
            url: url, username: settings.username, password: settings.password, requireTLS: settings.requireTLS,
            caFile: settings.caFile, tlsVerify: settings.tlsVerify,
            connectTimeoutSeconds: settings.connectTimeoutSeconds, timeoutSeconds: settings.timeoutSeconds)
    }

    /// Connects and logs in with `bearer` (OAuth2) or the password. Blocking: call on a pool thread.
    func openConnection(bearer: String) throws(IMAPSessionError) -> IMAPConnection {
        let options: CurlConnectionOptions
        do {
            options = try connectionOptions()
        } catch {
            throw IMAPSessionError(transport: error, keepsConnection: false)
        }
        let connection = try IMAPConnection(options: options, maxLiteralBytes: maxMessageBytes + (1 << 20))
        let authority = options.url.authority
        let host: String
        let port: Int
        if let colon = authority.lastIndex(of: ":"), let number = Int(authority[authority.index(after: colon)...]) {
            host = String(authority[..<colon]).trimmingBrackets
            port = number
        } else {
            host = authority
            port = options.url.implicitTLS ? 993 : 143
        }
        try connection.login(
            username: settings.username, password: settings.password, auth: settings.auth, bearer: bearer, host: host,
            port: port)
        return connection
    }

    /// Runs `body` on the pool with the connection (made if needed) and the inbox folder name. With
    /// OAuth2, a login refused with the current token is tried once more with a new one.
    func withSession<T: Sendable>(
        doing operation: String,
        _ body: @escaping @Sendable (IMAPConnection, String) throws -> T
    ) async throws -> T {
        guard settings.auth.usesToken else { return try await withSession(doing: operation, bearer: "", body) }
        guard let tokens else {
            throw TransportError.permanent(
                .authentication, "IMAP login with \(settings.auth.rawValue) needs an access token, and none is configured")
        }
        return try await tokens.withToken { token in try await self.withSession(doing: operation, bearer: token, body) }
    }

    private func withSession<T: Sendable>(
        doing operation: String, bearer: String,
        _ body: @escaping @Sendable (IMAPConnection, String) throws -> T
    ) async throws -> T {
        let inbox = try endpoint.get().path
        return try await pool.run { () throws -> T in
            try self.holder.connection.withLock { (slot: inout IMAPConnection?) throws -> T in
                var attempt = 0
                while true {
                    attempt += 1
                    let current: IMAPConnection
                    var reused = false
                    do throws(IMAPSessionError) {
                        if let existing = slot, !existing.isClosed {
                            current = existing
                            reused = true
                        } else {
                            slot = nil
                            current = try self.openConnection(bearer: bearer)
                            slot = current
                        }
                    } catch {
                        throw error.transport
                    }
                    do {
                        return try body(current, inbox)
                    } catch let error as IMAPSessionError {
                        if !error.keepsConnection { slot = nil }
                        if attempt == 1, reused, error.isBrokenConnection { continue }
                        throw error.transport
                    } catch let error as TransportError {
                        throw error
                    } catch {
                        slot = nil
                        throw TransportError.temporary(.other, "IMAP \(operation) failed: \(error)")
                    }
                }
            }
        }
    }
}

/// Holds the mailbox's connection, at most one; the lock keeps it to one call at a time.
final class IMAPConnectionHolder: Sendable {
    let connection = Mutex<IMAPConnection?>(nil)
}

extension String {
    /// `[::1]` → `::1`.
    fileprivate var trimmingBrackets: String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
