import CCurl
import Foundation
import RefbotTransport

#if canImport(Glibc)
    import Glibc
#endif

/// A failed IMAP exchange, classed for the caller: whether the connection can still be used, and
/// whether it broke under a command (worth one retry on a new connection when it had worked before).
struct IMAPSessionError: Error, CustomStringConvertible {
    var transport: TransportError
    /// `NO`/`BAD` leave the connection as it was; broken connections, timeouts and garbage do not.
    var keepsConnection: Bool
    /// The connection died under the command: closed, reset, cut mid-response.
    var isBrokenConnection = false
    /// The server's refusal, for callers that look at its code (`[TRYCREATE]`, `[ALREADYEXISTS]`).
    var refusal: IMAPStatusResponse?

    var description: String { transport.description }
}

/// One argument of a command: written as it is, or sent as a literal (`{n}` or `{n+}`).
enum IMAPArgument {
    case raw(String)
    case literal([UInt8])
}

/// What a tagged command brought: its untagged responses and the tagged status.
struct IMAPCommandResult {
    var untagged: [IMAPUntagged]
    var status: IMAPStatusResponse
}

/// One IMAP connection refbot speaks itself, over libcurl's `CURLOPT_CONNECT_ONLY`.
///
/// libcurl connects, does TLS (implicit for `imaps://`, STARTTLS for `imap://`, with the certificate
/// checks of ``CurlConnectionOptions``), reads the greeting and stops before logging in: refbot
/// sets no `CURLOPT_USERNAME`, so libcurl's IMAP handler ends its connect phase there. From then on
/// bytes go through `curl_easy_send`/`curl_easy_recv` (which still encrypt), and this class does the
/// rest: tagged commands, literals, LOGIN/AUTHENTICATE, responses through ``IMAPResponseParser``.
///
/// Not `Sendable`: used by one thread at a time, under its owner's lock. Every wait for the server
/// is bounded by `timeoutSeconds`; a wait that can be interrupted (IDLE) watches `interruptFD` too.
final class IMAPConnection {
    private let easy: CurlEasy
    private let socket: Int32
    private var parser: IMAPResponseParser
    private var readBuffer = [UInt8](repeating: 0, count: 256 * 1024)
    private var nextTag = 1
    private let timeoutMilliseconds: Int32
    /// `host[:port]`, for messages.
    let server: String
    /// The capabilities, upper case, as last announced.
    private(set) var capabilities: Set<String> = []
    /// Some command on this connection succeeded.
    private(set) var hasWorked = false
    /// The folder selected (nil: none) and its UIDVALIDITY.
    var selected: String?
    var selectedValidity: UInt32?
    /// Message sizes learnt in the selected folder, by UID.
    var knownSizes: [UInt32: Int] = [:]
    /// The server said BYE or the connection broke: it cannot be used again.
    private(set) var isClosed = false
    /// Bytes read off the connection (for benchmarks and tests).
    private(set) var bytesReceived = 0
    /// The commands sent, without arguments (`UID FETCH`, `IDLE`, …), for tests; at most the last 200.
    private(set) var commandLog: [String] = []

    /// Connects and reads the greeting; nothing is logged in yet.
    init(options: CurlConnectionOptions, maxLiteralBytes: Int) throws(IMAPSessionError) {
        server = options.url.authority
        timeoutMilliseconds = Int32(clamping: max(1, options.timeoutSeconds) * 1000)
        parser = IMAPResponseParser(maxLiteralBytes: maxLiteralBytes)
        do {
            easy = try CurlEasy()
            var connectOnly = options
            connectOnly.username = ""  // libcurl stops after the greeting and STARTTLS
            connectOnly.password = ""
            connectOnly.auth = .password
            try easy.applyConnection(connectOnly)
            try easy.set(CURLOPT_URL, options.url.base + "/")
            try easy.set(CURLOPT_CONNECT_ONLY, 1)
        } catch {
            throw IMAPSessionError(
                transport: .permanent(.other, "IMAP settings cannot be applied: \(error)"), keepsConnection: false)
        }
        let transfer = easy.perform(bodyLimit: 1 << 20)
        guard transfer.code == .ok else {
            throw IMAPSessionError(
                transport: TransportError.classify(transfer, service: .imap, server: server, doing: "connecting"),
                keepsConnection: false)
        }
        var fd: curl_socket_t = -1
        guard ccurl_getinfo_socket(easy.handle, &fd) == CURLE_OK, fd >= 0 else {
            throw IMAPSessionError(
                transport: .temporary(.connection, "IMAP server \(server): libcurl kept no connection"),
                keepsConnection: false)
        }
        socket = Int32(fd)
        // libcurl asked CAPABILITY itself; its answer went to the header callback
        capabilities = IMAPResponse.capabilities(transfer.headers)
    }

    // MARK: - Commands

    /// Sends a tagged command and reads to its tagged answer. `NO`/`BAD` throw with the connection
    /// left usable; `untagged` sees each untagged response as it comes (return false to drop it).
    @discardableResult
    func command(
        _ arguments: [IMAPArgument], doing operation: String, interruptFD: Int32? = nil
    ) throws(IMAPSessionError) -> IMAPCommandResult {
        let tag = "R\(nextTag)"
        nextTag += 1
        if case .raw(let first)? = arguments.first {
            let name = first.split(separator: " ").prefix(first.hasPrefix("UID ") ? 2 : 1).joined(separator: " ")
            commandLog.append(name)
            if commandLog.count > 200 { commandLog.removeFirst(commandLog.count - 200) }
        }
        var untagged: [IMAPUntagged] = []
        var line: [UInt8] = Array("\(tag) ".utf8)
        var first = true
        for argument in arguments {
            if !first { line.append(32) }
            first = false
            switch argument {
            case .raw(let text):
                line.append(contentsOf: text.utf8)
            case .literal(let bytes):
                let nonSynchronizing =
                    capabilities.contains("LITERAL+") || (capabilities.contains("LITERAL-") && bytes.count <= 4096)
                line.append(contentsOf: "{\(bytes.count)\(nonSynchronizing ? "+" : "")}\r\n".utf8)
                if !nonSynchronizing {
                    try send(line, doing: operation)
                    line = []
                    // wait for "+"; untagged data may come first, a tagged NO ends it
                    while true {
                        let response = try read(doing: operation, interruptFD: nil)
                        switch response {
                        case .continuation: break
                        case .untagged(let item):
                            absorb(item)
                            untagged.append(item)
                            continue
                        case .tagged(let got, let status):
                            if got == tag { throw refusal(status, doing: operation) }
                            continue
                        }
                        break
                    }
                }
                line.append(contentsOf: bytes)
            }
        }
        line.append(contentsOf: [13, 10])
        try send(line, doing: operation)
        return try finish(tag: tag, untagged: untagged, doing: operation)
    }

    /// A command of plain text.
    @discardableResult
    func command(_ text: String, doing operation: String) throws(IMAPSessionError) -> IMAPCommandResult {
        try command([.raw(text)], doing: operation)
    }

    /// Reads responses up to `tag`'s.
    private func finish(tag: String, untagged: [IMAPUntagged], doing operation: String) throws(IMAPSessionError)
        -> IMAPCommandResult
    {
        var untagged = untagged
        while true {
            switch try read(doing: operation, interruptFD: nil) {
            case .untagged(let item):
                absorb(item)
                untagged.append(item)
            case .continuation:
                // nothing refbot sends waits for one here: answer with an empty line (ends a SASL exchange)
                try send([13, 10], doing: operation)
            case .tagged(let got, let status):
                guard got == tag else { continue }
                if case .capability(let names)? = status.code { capabilities = Set(names) }
                guard status.status == .ok else { throw refusal(status, doing: operation) }
                hasWorked = true
                return IMAPCommandResult(untagged: untagged, status: status)
            }
        }
    }

    /// Notes capabilities and BYE as they pass.
    private func absorb(_ item: IMAPUntagged) {
        switch item {
        case .capability(let names): capabilities = Set(names)
        case .status(let status):
            if case .capability(let names)? = status.code { capabilities = Set(names) }
            if status.status == .bye { isClosed = true }
        default: break
        }
    }

    private func refusal(_ status: IMAPStatusResponse, doing operation: String) -> IMAPSessionError {
        let name = status.codeName ?? ""
        let passing = ["UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG"].contains(name)
        let text = status.code == nil ? status.text : "[\(name)] \(status.text)"
        let message = "IMAP server \(server) refused \(operation): \(status.status.rawValue) \(text)"
        let error: TransportError = passing ? .temporary(.rejected, message) : .permanent(.rejected, message)
        return IMAPSessionError(transport: error, keepsConnection: true, refusal: status)
    }

    // MARK: - Login

    /// Logs in with the password (`AUTHENTICATE PLAIN` where offered, else `LOGIN`), or with an
    /// OAuth2 token (`XOAUTH2`/`OAUTHBEARER`). A refusal is a permanent `authentication` error.
    func login(username: String, password: String, auth: MailAuthMechanism, bearer: String, host: String, port: Int)
        throws(IMAPSessionError)
    {
        if capabilities.isEmpty { try command("CAPABILITY", doing: "CAPABILITY") }
        let offered = capabilities
        // what the login's OK announces (Dovecot: the logged-in set) replaces the pre-login set
        capabilities = []
        do throws(IMAPSessionError) {
            switch auth {
            case .password:
                if offered.contains("AUTH=PLAIN") {
                    let message = Array("\0\(username)\0\(password)".utf8)
                    try authenticate("PLAIN", message, offered: offered)
                } else if !offered.contains("LOGINDISABLED") {
                    try command(
                        [.raw("LOGIN"), Self.astringArgument(username), Self.astringArgument(password)],
                        doing: "logging in")
                } else {
                    throw IMAPSessionError(
                        transport: .permanent(
                            .authentication,
                            "IMAP server \(server) offers neither AUTH=PLAIN nor LOGIN (check imap.url and imap.starttls)"),
                        keepsConnection: false)
                }
            case .xoauth2:
                try authenticate(
                    "XOAUTH2", Array("user=\(username)\u{1}auth=Bearer \(bearer)\u{1}\u{1}".utf8), offered: offered)
            case .oauthbearer:
                try authenticate(
                    "OAUTHBEARER",
                    Array("n,a=\(username),\u{1}host=\(host)\u{1}port=\(port)\u{1}auth=Bearer \(bearer)\u{1}\u{1}".utf8),
                    offered: offered)
            }
        } catch let error where error.refusal != nil {
            let status = error.refusal
            let passing = ["UNAVAILABLE", "INUSE", "LIMIT", "SERVERBUG"].contains(status?.codeName ?? "")
            let message =
                "IMAP server \(server) refused the login: \(status?.text ?? "") (check imap.username and imap.password_file)"
            throw IMAPSessionError(
                transport: passing ? .temporary(.authentication, message) : .permanent(.authentication, message),
                keepsConnection: false, refusal: status)
        }
        if capabilities.isEmpty { try command("CAPABILITY", doing: "CAPABILITY") }
    }

    private func authenticate(_ mechanism: String, _ message: [UInt8], offered: Set<String>) throws(IMAPSessionError) {
        let encoded = Data(message).base64EncodedString()
        if offered.contains("SASL-IR") {
            try command("AUTHENTICATE \(mechanism) \(encoded)", doing: "logging in with \(mechanism)")
            return
        }
        let tag = "R\(nextTag)"
        nextTag += 1
        commandLog.append("AUTHENTICATE")
        try send(Array("\(tag) AUTHENTICATE \(mechanism)\r\n".utf8), doing: "logging in with \(mechanism)")
        var untagged: [IMAPUntagged] = []
        while true {
            switch try read(doing: "logging in with \(mechanism)", interruptFD: nil) {
            case .continuation:
                try send(Array((encoded + "\r\n").utf8), doing: "logging in with \(mechanism)")
                _ = try finish(tag: tag, untagged: untagged, doing: "logging in with \(mechanism)")
                return
            case .untagged(let item):
                absorb(item)
                untagged.append(item)
            case .tagged(let got, let status):
                if got == tag { throw refusal(status, doing: "logging in with \(mechanism)") }
            }
        }
    }

    /// A string as an IMAP argument: an atom or quoted string where it can be, else a literal.
    static func astringArgument(_ text: String) -> IMAPArgument {
        let quotable = text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f }
        return quotable ? .raw(IMAPSyntax.astring(text)) : .literal(Array(text.utf8))
    }

    // MARK: - IDLE

    /// Idles until `onEvent` returns false, `deadline` (ms of monotonic clock) passes or
    /// `interruptFD` becomes readable; then sends DONE and reads to the tagged answer.
    /// `onEvent` sees each untagged response that arrives while idling.
    func idle(
        untilMilliseconds limit: Int, interruptFD: Int32?, onEvent: (IMAPUntagged) -> Void
    ) throws(IMAPSessionError) -> IdleEnd {
        let tag = "R\(nextTag)"
        nextTag += 1
        commandLog.append("IDLE")
        try send(Array("\(tag) IDLE\r\n".utf8), doing: "IDLE")
        // the server says "+ idling"; untagged data may come first
        while true {
            switch try read(doing: "IDLE", interruptFD: nil) {
            case .continuation: break
            case .untagged(let item):
                absorb(item)
                onEvent(item)
                continue
            case .tagged(let got, let status):
                if got == tag { throw refusal(status, doing: "IDLE") }
                continue
            }
            break
        }
        let end = Self.monotonicMilliseconds() + limit
        var reason = IdleEnd.interval
        idling: while true {
            if let response = try parsed() {
                if case .untagged(let item) = response {
                    absorb(item)
                    onEvent(item)
                    if isClosed { throw broken("IDLE", "the server said BYE") }
                }
                continue
            }
            let left = end - Self.monotonicMilliseconds()
            if left <= 0 { break }
            switch try waitReadable(milliseconds: min(left, Int(Int32.max)), interruptFD: interruptFD, doing: "IDLE") {
            case .readable: try receive(doing: "IDLE")
            case .interrupted:
                reason = .interrupted
                break idling
            case .timedOut: break idling
            }
        }
        commandLog.append("DONE")
        try send(Array("DONE\r\n".utf8), doing: "ending IDLE")
        _ = try finish(tag: tag, untagged: [], doing: "ending IDLE")
        return reason
    }

    enum IdleEnd { case interval, interrupted }

    /// Says LOGOUT and reads the answer (bounded by the timeout); errors are ignored.
    func logout() {
        guard !isClosed else { return }
        _ = try? command("LOGOUT", doing: "LOGOUT")
        isClosed = true
    }

    // MARK: - Bytes

    private func send(_ bytes: [UInt8], doing operation: String) throws(IMAPSessionError) {
        switch easy.sendAll(bytes, socket: socket, timeoutMilliseconds: timeoutMilliseconds) {
        case .done: return
        case .timedOut: throw timeout(operation)
        case .broken(let detail): throw broken(operation, detail)
        }
    }

    /// The next response, reading as needed.
    private func read(doing operation: String, interruptFD: Int32?) throws(IMAPSessionError) -> IMAPServerResponse {
        while true {
            if let response = try parsed() { return response }
            switch try waitReadable(milliseconds: Int(timeoutMilliseconds), interruptFD: interruptFD, doing: operation) {
            case .readable: try receive(doing: operation)
            case .timedOut, .interrupted: throw timeout(operation)
            }
        }
    }

    private func parsed() throws(IMAPSessionError) -> IMAPServerResponse? {
        do {
            return try parser.next()
        } catch {
            isClosed = true
            throw IMAPSessionError(
                transport: .temporary(.protocolError, "IMAP server \(server) answered something unreadable: \(error)"),
                keepsConnection: false)
        }
    }

    /// Reads what is there (after a poll said readable). TLS may hold more than the socket shows:
    /// read until libcurl says again.
    private func receive(doing operation: String) throws(IMAPSessionError) {
        // at most 4 MB at a time: let the parser catch up
        let outcome = easy.receiveAvailable(into: &readBuffer, limit: 4 << 20) { piece in
            bytesReceived += piece.count
            parser.append(piece)
        }
        if case .broken(let detail) = outcome { throw broken(operation, detail) }
    }

    private enum Wait { case readable, timedOut, interrupted }

    private func waitReadable(milliseconds: Int, interruptFD: Int32?, doing operation: String) throws(IMAPSessionError)
        -> Wait
    {
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        if let interruptFD { fds.append(pollfd(fd: interruptFD, events: Int16(POLLIN), revents: 0)) }
        while true {
            let result = poll(&fds, nfds_t(fds.count), Int32(clamping: milliseconds))
            if result < 0 {
                if errno == EINTR { continue }
                throw broken(operation, "poll failed: errno \(errno)")
            }
            if result == 0 { return .timedOut }
            if fds.count > 1, fds[1].revents != 0 { return .interrupted }
            return .readable  // readable, or hung up/error: the read says which
        }
    }

    private func broken(_ operation: String, _ detail: String) -> IMAPSessionError {
        isClosed = true
        return IMAPSessionError(
            transport: .temporary(
                .connection, "the connection to the IMAP server \(server) broke during \(operation): \(detail)"),
            keepsConnection: false, isBrokenConnection: true)
    }

    private func timeout(_ operation: String) -> IMAPSessionError {
        isClosed = true
        return IMAPSessionError(
            transport: .temporary(
                .timeout,
                "IMAP server \(server) took too long during \(operation) "
                    + "(check imap.url and that the server answers there)"),
            keepsConnection: false)
    }

    static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
