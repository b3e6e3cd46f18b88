import CCurl
import RefbotTransport
import Synchronization

/// ``InboundMailbox`` over libcurl: one IMAP connection, logged in once and kept for every call.
///
/// ```swift
/// let mailbox = CurlIMAPMailbox(settings: configuration.imapSettings, pool: pool)
/// let listing = try await mailbox.listInbox()
/// let messages = try await mailbox.fetch(uids: Array(listing.uids.prefix(50)))
/// let newUIDs = try await mailbox.move(uids: messages.map(\.uid), from: nil, to: "Processed")
/// ```
///
/// Calls run one at a time on the ``CurlThreadPool`` (a lock guards the handle). After a broken
/// connection the handle is dropped and the next call connects and logs in again; a call that
/// finds its reused connection dead retries once on a new one.
///
/// Failure modes (all ``TransportError``):
/// - connection refused or broken, timeouts, TLS trouble: temporary (`connection`, `timeout`, `tls`);
/// - login refused: permanent `authentication`;
/// - the server answers `NO`/`BAD`: `rejected` (permanent unless it says it is passing);
/// - a message over `maxMessageBytes`: permanent `tooLarge`.
///
/// libcurl 7.88 fetches with `UID FETCH n BODY[]`, which sets `\Seen`; ``fetch(uids:)`` clears the flag
/// again on the messages that did not have it (one `UID SEARCH UNSEEN` and one `UID STORE` per call).
/// A crash in between leaves them seen, so find work with `UID SEARCH ALL` (``listInbox()``), never
/// with `UNSEEN`.
public final class CurlIMAPMailbox: InboundMailbox {
    private let settings: IMAPServerSettings
    private let pool: CurlThreadPool
    private let useMove: Bool
    private let maxMessageBytes: Int
    private let endpoint: Result<MailURL, TransportError>
    private let connection = IMAPConnectionSlot()
    private let tokens: (any AccessTokenSource)?

    /// A mailbox for `settings`; nothing connects until the first call.
    ///
    /// - Parameters:
    ///   - useMove: use `UID MOVE` where the server offers it; false always copies, flags
    ///     `\Deleted` and expunges (the path for servers without MOVE).
    ///   - maxMessageBytes: the largest message ``fetch(uids:)`` accepts.
    ///   - tokens: where OAuth2 access tokens come from when `settings.auth` is not `.password`. A
    ///     refused login asks it once for a new token and tries once more.
    public init(
        settings: IMAPServerSettings, pool: CurlThreadPool, useMove: Bool = true, maxMessageBytes: Int = 64 << 20,
        tokens: (any AccessTokenSource)? = nil
    ) {
        self.settings = settings
        self.tokens = tokens
        self.pool = pool
        self.useMove = useMove
        self.maxMessageBytes = maxMessageBytes
        endpoint = Result { () throws(TransportError) -> MailURL in
            var url = try MailURL(settings.url, schemes: ["imaps", "imap"], service: .imap)
            if url.path.isEmpty { url.path = "INBOX" }
            return url
        }
    }

    deinit {
        // Closing the connection sends LOGOUT and waits for the answer: do it on a pool thread.
        let connection = self.connection
        pool.runDetached { connection.session.withLock { $0 = nil } }
    }

    /// The folder named by the URL's path (`INBOX` when there is none).
    public var inboxFolder: String { (try? endpoint.get().path) ?? "INBOX" }

    public func listInbox() async throws -> FolderListing {
        try await list(nil)
    }

    /// Lists `name` (nil: the inbox folder).
    func list(_ name: String?) async throws -> FolderListing {
        if let name { try Self.checkFolderName(name) }
        return try await withSession(doing: "listing \(name ?? "the inbox")") { session, inbox in
            let folder = name ?? inbox
            let validity = try session.uidValidity(of: folder)
            // The folder stays selected between polls, and a server answers SEARCH from the view it
            // had when the command began (Dovecot only takes in new mail at a command's end). NOOP
            // first, so mail that arrived since the last poll is listed now, not one poll later.
            _ = try session.command("NOOP", in: folder, doing: "NOOP before listing")
            let search = try session.command("UID SEARCH ALL", in: folder, doing: "UID SEARCH ALL")
            return FolderListing(uidValidity: validity, uids: IMAPResponse.searchUIDs(search.body).sorted())
        }
    }

    public func fetch(uids: [UInt32]) async throws -> [FetchedMessage] {
        try await fetch(uids, from: nil)
    }

    /// Fetches from `name` (nil: the inbox folder).
    func fetch(_ uids: [UInt32], from name: String?) async throws -> [FetchedMessage] {
        guard !uids.isEmpty else { return [] }
        if let name { try Self.checkFolderName(name) }
        let limit = maxMessageBytes
        return try await withSession(doing: "fetching messages") { session, inbox in
            let folder = name ?? inbox
            let validity = try session.uidValidity(of: folder)
            // libcurl fetches with BODY[], which sets \Seen: note which were unseen and clear it again
            let set = IMAPSyntax.sequenceSet(uids)
            let unseenAnswer = try session.command(
                "UID SEARCH UNSEEN UID \(set)", in: folder, doing: "UID SEARCH UNSEEN")
            let unseen = Set(IMAPResponse.searchUIDs(unseenAnswer.body))
            var messages: [FetchedMessage] = []
            messages.reserveCapacity(uids.count)
            for uid in uids {
                guard let raw = try session.fetch(uid: uid, in: folder, limit: limit) else { continue }
                messages.append(FetchedMessage(uidValidity: validity, uid: uid, raw: raw))
            }
            let restore = messages.map(\.uid).filter { unseen.contains($0) }
            if !restore.isEmpty {
                do {
                    _ = try session.command(
                        "UID STORE \(IMAPSyntax.sequenceSet(restore)) -FLAGS.SILENT (\\Seen)", in: folder,
                        doing: "clearing \\Seen after the fetch")
                } catch let failure as IMAPFailure where failure.transfer.code == .quoteError {
                    // a read-only folder: the messages stay seen
                }
            }
            return messages
        }
    }

    public func move(uids: [UInt32], from folder: String?, to destination: String) async throws -> [UInt32: UInt32] {
        guard !uids.isEmpty else { return [:] }
        try Self.checkFolderName(destination)
        if let folder { try Self.checkFolderName(folder) }
        let useMove = self.useMove
        return try await withSession(doing: "moving messages") { session, inbox in
            let source = folder ?? inbox
            let set = IMAPSyntax.sequenceSet(uids)
            let target = IMAPSyntax.astring(IMAPSyntax.modifiedUTF7(destination))
            let capabilities = try session.capabilities()
            var map: [UInt32: UInt32]
            if useMove && capabilities.contains("MOVE") {
                let moved = try session.command(
                    "UID MOVE \(set) \(target)", in: source, doing: "UID MOVE to \(destination)")
                map = IMAPResponse.copyUIDs(moved.body + moved.headers)
            } else {
                let copied = try session.command(
                    "UID COPY \(set) \(target)", in: source, doing: "UID COPY to \(destination)")
                map = IMAPResponse.copyUIDs(copied.body + copied.headers)
                _ = try session.command(
                    "UID STORE \(set) +FLAGS.SILENT (\\Deleted)", in: source, doing: "flagging moved messages \\Deleted"
                )
                let expunge = capabilities.contains("UIDPLUS") ? "UID EXPUNGE \(set)" : "EXPUNGE"
                _ = try session.command(expunge, in: source, doing: "expunging moved messages")
            }
            let requested = Set(uids)
            return map.filter { requested.contains($0.key) }
        }
    }

    public func search(messageID: String, in folder: String) async throws -> [UInt32] {
        try Self.checkFolderName(folder)
        let id = Self.searchableMessageID(messageID)
        guard !id.isEmpty else { return [] }
        return try await withSession(doing: "searching by Message-ID") { session, _ in
            let found = try session.command(
                "UID SEARCH HEADER Message-ID \"<\(id)>\"", in: folder, doing: "UID SEARCH HEADER Message-ID")
            return IMAPResponse.searchUIDs(found.body).sorted()
        }
    }

    public func createFolderIfMissing(_ name: String) async throws {
        try Self.checkFolderName(name)
        try await withSession(doing: "creating folder \(name)") { session, _ in
            let mailbox = IMAPSyntax.astring(IMAPSyntax.modifiedUTF7(name))
            do {
                _ = try session.command("STATUS \(mailbox) (MESSAGES)", in: nil, doing: "STATUS \(name)")
                return
            } catch let failure as IMAPFailure where failure.transfer.code == .quoteError {
                // no such folder (or one that cannot be selected): create it
            }
            do {
                _ = try session.command("CREATE \(mailbox)", in: nil, doing: "CREATE \(name)")
            } catch let failure as IMAPFailure where failure.transfer.code == .quoteError {
                let text = IMAPResponse.taggedStatus(failure.transfer.headers, failuresFirst: true)?.text.uppercased() ?? ""
                if !(text.contains("ALREADYEXISTS") || text.contains("ALREADY EXISTS")) { throw failure }
            }
        }
    }

    public func checkLogin() async throws {
        try await withSession(doing: "logging in") { session, folder in
            _ = try session.command("NOOP", in: folder, doing: "selecting \(folder)")
        }
    }

    // MARK: - Helpers

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

    /// Runs `body` on the pool with the connection (made if needed) and the inbox folder name. With
    /// OAuth2, a login refused with the current token is tried once more with a new one.
    func withSession<T: Sendable>(
        doing operation: String,
        _ body: @escaping @Sendable (IMAPSession, String) throws -> T
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
        _ body: @escaping @Sendable (IMAPSession, String) throws -> T
    ) async throws -> T {
        let url = try endpoint.get()
        var connection = CurlConnectionOptions(
            url: url, username: settings.username, password: settings.password, requireTLS: settings.requireTLS,
            caFile: settings.caFile, tlsVerify: settings.tlsVerify,
            connectTimeoutSeconds: settings.connectTimeoutSeconds, timeoutSeconds: settings.timeoutSeconds)
        connection.auth = settings.auth
        connection.bearer = bearer
        let options = connection
        return try await pool.run { () throws -> T in
            try self.connection.session.withLock { (slot: inout IMAPSession?) throws -> T in
                var attempt = 0
                while true {
                    attempt += 1
                    let current: IMAPSession
                    if let existing = slot {
                        current = existing
                    } else {
                        current = try IMAPSession(options: options)
                        slot = current
                    }
                    do {
                        return try body(current, url.path)
                    } catch let failure as IMAPFailure {
                        if !failure.leavesConnectionUsable { slot = nil }
                        if attempt == 1, current.hasWorked, failure.isBrokenConnection { continue }
                        throw TransportError.classify(
                            failure.transfer, service: .imap, server: url.authority, doing: failure.operation)
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
final class IMAPConnectionSlot: Sendable {
    let session = Mutex<IMAPSession?>(nil)
}

/// A failed IMAP transfer and what it was for.
struct IMAPFailure: Error {
    var transfer: CurlTransfer
    var operation: String

    /// `NO`/`BAD` and missing messages leave the connection as it was.
    var leavesConnectionUsable: Bool {
        transfer.code == .quoteError || transfer.code == .remoteFileNotFound
    }

    /// The connection died under the request (worth one retry on a new connection).
    var isBrokenConnection: Bool {
        [CurlCode.sendError, .receiveError, .gotNothing, .partialFile, .sslShutdownFailed].contains(transfer.code)
    }
}

/// One easy handle with its connection and what was learnt about the server. Used by one thread at
/// a time, under ``CurlIMAPMailbox``'s lock.
final class IMAPSession {
    private let easy: CurlEasy
    private let base: String
    private var cachedCapabilities: Set<String>?
    /// Some transfer on this connection succeeded.
    private(set) var hasWorked = false

    init(options: CurlConnectionOptions) throws(TransportError) {
        do {
            easy = try CurlEasy()
            try easy.applyConnection(options)
        } catch {
            throw .permanent(.other, "IMAP settings cannot be applied: \(error)")
        }
        base = options.url.base
    }

    private func url(_ folder: String?) -> String {
        guard let folder else { return base + "/" }
        return base + "/" + IMAPSyntax.percentEncoded(IMAPSyntax.modifiedUTF7(folder))
    }

    /// Sends `command` with `folder` selected (nil: whatever is selected) and returns the transfer,
    /// whose body holds the untagged response lines.
    func command(_ command: String, in folder: String?, doing operation: String) throws(IMAPFailure) -> CurlTransfer {
        do {
            try easy.set(CURLOPT_URL, url(folder))
            try easy.set(CURLOPT_CUSTOMREQUEST, command)
        } catch {
            throw IMAPFailure(transfer: Self.setupFailure(error), operation: operation)
        }
        let transfer = easy.perform(bodyLimit: 64 << 20)
        guard transfer.code == .ok else { throw IMAPFailure(transfer: transfer, operation: operation) }
        hasWorked = true
        return transfer
    }

    /// The raw message with this UID, or nil when the folder has no such UID.
    func fetch(uid: UInt32, in folder: String, limit: Int) throws(IMAPFailure) -> [UInt8]? {
        let operation = "fetching UID \(uid)"
        do {
            try easy.set(CURLOPT_URL, url(folder) + ";UID=\(uid)")
            try easy.set(CURLOPT_CUSTOMREQUEST, nil)
        } catch {
            throw IMAPFailure(transfer: Self.setupFailure(error), operation: operation)
        }
        let transfer = easy.perform(bodyLimit: limit)
        if transfer.code == .remoteFileNotFound { return nil }
        guard transfer.code == .ok else { throw IMAPFailure(transfer: transfer, operation: operation) }
        hasWorked = true
        return transfer.body
    }

    /// The folder's UIDVALIDITY (`STATUS folder (UIDVALIDITY)`, with the folder selected).
    func uidValidity(of folder: String) throws(IMAPFailure) -> UInt32 {
        let mailbox = IMAPSyntax.astring(IMAPSyntax.modifiedUTF7(folder))
        let status = try command("STATUS \(mailbox) (UIDVALIDITY)", in: folder, doing: "STATUS \(folder)")
        guard let validity = IMAPResponse.uidValidity(status.body) else {
            var transfer = status
            transfer.code = .weirdServerReply
            transfer.errorText = "no UIDVALIDITY in the STATUS answer"
            throw IMAPFailure(transfer: transfer, operation: "STATUS \(folder)")
        }
        return validity
    }

    /// The server's capabilities, asked once per connection.
    func capabilities() throws(IMAPFailure) -> Set<String> {
        if let cachedCapabilities { return cachedCapabilities }
        let answer = try command("CAPABILITY", in: nil, doing: "CAPABILITY")
        let names = IMAPResponse.capabilities(answer.body)
        cachedCapabilities = names
        return names
    }

    private static func setupFailure(_ code: CurlCode) -> CurlTransfer {
        CurlTransfer(
            code: code, errorText: "could not set a libcurl option", body: [], headers: [], bodyOverflowed: false,
            responseCode: 0, newConnections: 0)
    }
}
