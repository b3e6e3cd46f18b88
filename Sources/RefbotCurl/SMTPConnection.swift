import CCurl
import Foundation
import RefbotTransport

#if canImport(Glibc)
    import Glibc
#endif

/// A failed mail on an ``SMTPConnection``: the error for the caller, and what became of the connection.
struct SMTPMailFailure: Error {
    var error: TransportError
    /// The connection is gone (closed, reset, timed out, unreadable): it cannot be used again.
    var connectionLost = false
    /// Nothing of the mail can have been accepted: the server never said `354` to its `DATA`, or
    /// it refused the envelope or the `BDAT` chunk in so many words.
    var beforeData = true
}

/// An SMTP session for submitting mail, one after another: libcurl connects, reads the greeting,
/// says EHLO, starts TLS and logs in (`CURLOPT_CONNECT_ONLY` stops it there, TLS and SASL stay its
/// job), and refbot speaks the mail transactions itself over `curl_easy_send`/`curl_easy_recv`.
///
/// Where the server offers `PIPELINING` (RFC 2920), a one-recipient mail's `MAIL FROM`, `RCPT TO`
/// and `DATA` go out in one write and their three replies are read together, so a mail costs two
/// round trips instead of four. Where it also offers `CHUNKING` (RFC 3030, as Postfix, Gmail and
/// Exchange Online do), the mail itself goes in that same write as one `BDAT <size> LAST` chunk:
/// one round trip a mail, no dot-stuffing, and no end-of-data line for a mail's text to imitate.
/// A mail to several recipients waits for each reply, and any refused recipient fails the mail
/// before `DATA` (as libcurl does), so nobody gets a part of a send. After `DATA`, the body is
/// dot-stuffed here (RFC 5321 §4.5.2) and always ends with CRLF before the final dot; a `BDAT`
/// chunk ends with CRLF too.
///
/// Failure modes: a refused command is a ``SMTPMailFailure`` with the server's code classed as
/// libcurl's were (``TransportError/smtpReply(_:text:server:doing:)``); the transaction is reset
/// (`RSET`) and the connection kept. A broken, silent or garbled connection is lost; whether the
/// mail had reached `DATA` tells the caller if it may go once more on a new connection.
/// Used by one thread at a time.
final class SMTPConnection {
    let easy: CurlEasy
    /// `host:port`, for messages.
    let server: String
    /// The server offered PIPELINING in its (last) EHLO answer.
    let pipelining: Bool
    /// The server offered CHUNKING (`BDAT`) in its (last) EHLO answer.
    let chunking: Bool
    private let socket: Int32
    private let timeoutMilliseconds: Int32
    private var readBuffer = [UInt8](repeating: 0, count: 16 * 1024)
    /// Received bytes not read as replies yet.
    private var received: [UInt8] = []
    /// The connection is gone; nothing more can be sent on it.
    private(set) var isClosed = false
    /// When a command was last answered (monotonic milliseconds).
    private(set) var lastAnswered: Int

    /// The longest reply line read; a server sending more without a line end is not speaking SMTP.
    static let maxReplyBytes = 64 * 1024

    /// Connects and logs in (everything libcurl does before a mail).
    init(options: CurlConnectionOptions, heloName: String) throws(TransportError) {
        server = options.url.authority
        timeoutMilliseconds = Int32(clamping: max(1, options.timeoutSeconds) * 1000)
        let helo = heloName.isEmpty ? "localhost" : heloName
        do {
            easy = try CurlEasy()
            try easy.applyConnection(options)
            // libcurl's EHLO name is the URL's path.
            try easy.set(CURLOPT_URL, options.url.base + "/" + IMAPSyntax.percentEncoded(helo))
            try easy.set(CURLOPT_CONNECT_ONLY, 1)
        } catch {
            throw .permanent(.other, "SMTP settings cannot be applied: \(error)")
        }
        let transfer = easy.perform(bodyLimit: 1 << 20)
        guard transfer.code == .ok else {
            throw TransportError.classify(transfer, service: .smtp, server: server, doing: "connecting")
        }
        var fd: curl_socket_t = -1
        guard ccurl_getinfo_socket(easy.handle, &fd) == CURLE_OK, fd >= 0 else {
            throw .temporary(.connection, "SMTP server \(server): libcurl kept no connection")
        }
        socket = Int32(fd)
        pipelining = Self.offers("PIPELINING", transfer.headers) && getenv("REFBOT_NO_PIPELINING") == nil
        chunking = Self.offers("CHUNKING", transfer.headers) && getenv("REFBOT_NO_CHUNKING") == nil
        lastAnswered = Self.monotonicMilliseconds()
    }

    /// Whether the EHLO answer libcurl read last (after STARTTLS, when there was one) lists the
    /// extension `keyword` (upper case).
    static func offers(_ keyword: String, _ replies: [UInt8]) -> Bool {
        let lines = replies.split(separator: UInt8(ascii: "\n")).map { line in
            String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        }
        // The capabilities after TLS began replace those before it (RFC 3207 §4.2).
        let start = (lines.lastIndex { $0.hasPrefix("220") } ?? -1) + 1
        return lines[start...].contains { $0.hasPrefix("250") && $0.dropFirst(4).split(separator: " ").first.map(String.init) == keyword }
    }

    // MARK: - Mail

    /// Sends one mail; returns once the server has accepted it (250 after the final dot, or after
    /// the `BDAT` chunk). `mayChunk: false` keeps it to `DATA` (see ``CurlSMTPSubmitter``: the first
    /// mail on a kept connection, where a connection the server has meanwhile closed must show
    /// before any of the mail is sent, so that it can go again at once on a new one).
    func submit(_ mail: OutgoingMail, mayChunk: Bool = true) throws(SMTPMailFailure) {
        let recipients = mail.recipients.joined(separator: ", ")
        let operation = "the message to \(recipients)"
        let from = "MAIL FROM:<\(mail.envelopeFrom)>\r\n"
        let rcpts = mail.recipients.map { "RCPT TO:<\($0)>\r\n" }
        if mayChunk && chunking && pipelining && rcpts.count == 1 {
            return try submitChunked(mail, envelope: from + rcpts[0], doing: operation)
        }
        if pipelining && rcpts.count == 1 {
            try send(Array((from + rcpts[0] + "DATA\r\n").utf8), doing: operation)
            let mailReply = try reply(doing: operation)
            let rcptReply = try reply(doing: operation)
            let dataReply = try reply(doing: operation)
            for refused in [mailReply, rcptReply] where !refused.isPositive {
                if dataReply.code == 354 {
                    // The server would take a body for a refused envelope: drop the connection rather than send it.
                    close()
                    throw SMTPMailFailure(error: refusal(refused, doing: operation), connectionLost: true)
                }
                try reset(after: refused, doing: operation)
            }
            guard dataReply.code == 354 else { try reset(after: dataReply, doing: operation) }
        } else {
            for command in [from] + rcpts + ["DATA\r\n"] {
                try send(Array(command.utf8), doing: operation)
                let answer = try reply(doing: operation)
                let expected = command == "DATA\r\n" ? answer.code == 354 : answer.isPositive
                if !expected { try reset(after: answer, doing: operation) }
            }
        }
        // From here on, a broken connection may or may not have delivered the mail.
        do throws(SMTPMailFailure) {
            try send(Self.dotStuffed(mail.data), doing: operation)
            let final = try reply(doing: operation)
            guard final.isPositive else { throw SMTPMailFailure(error: refusal(final, doing: operation)) }
        } catch {
            var failure = error
            failure.beforeData = false
            throw failure
        }
    }

    /// A one-recipient mail in one write: `MAIL FROM`, `RCPT TO`, `BDAT <size> LAST` and the mail,
    /// then the three replies. A server that refuses the envelope still reads the chunk (RFC 3030
    /// §2) and refuses it too; the transaction is then reset and the session goes on.
    private func submitChunked(_ mail: OutgoingMail, envelope: String, doing operation: String) throws(SMTPMailFailure) {
        let body = Self.endingInCRLF(mail.data)
        var group = Array((envelope + "BDAT \(body.count) LAST\r\n").utf8)
        group.append(contentsOf: body)
        // A send that fails has not handed the whole chunk over, and a server takes a chunked mail
        // only whole: nothing was accepted (`beforeData` stays true).
        try send(group, doing: operation)
        var envelopeRefused = false
        let replies: (mail: SMTPReply, rcpt: SMTPReply, bdat: SMTPReply)
        do throws(SMTPMailFailure) {
            acknowledgeAtOnce()
            let mailReply = try reply(doing: operation)
            envelopeRefused = !mailReply.isPositive
            acknowledgeAtOnce()
            let rcptReply = try reply(doing: operation)
            envelopeRefused = envelopeRefused || !rcptReply.isPositive
            acknowledgeAtOnce()
            replies = (mailReply, rcptReply, try reply(doing: operation))
        } catch {
            // Lost after the whole chunk went: the server may have the mail, unless it had
            // already refused its envelope.
            var failure = error
            failure.beforeData = envelopeRefused
            throw failure
        }
        for refused in [replies.mail, replies.rcpt] where !refused.isPositive {
            if replies.bdat.isPositive {
                // The server says it took a mail whose envelope it refused: trust nothing more on this session.
                close()
                throw SMTPMailFailure(error: refusal(refused, doing: operation), connectionLost: true, beforeData: false)
            }
            try reset(after: refused, doing: operation)
        }
        guard replies.bdat.isPositive else { try reset(after: replies.bdat, doing: operation) }
    }

    /// Asks the kernel to acknowledge what arrives next at once (`TCP_QUICKACK`, which it drops
    /// again on its own). A server may send the replies to one write in two segments (Postfix
    /// answers `MAIL FROM` and `RCPT TO` before it reads the chunk), and hold the second until the
    /// first is acknowledged (Nagle's algorithm); left to delay its acknowledgement, the kernel made
    /// each chunked mail wait about 15 ms, and a session send 120–135 mails/s instead of 450.
    private func acknowledgeAtOnce() {
        #if os(Linux)
            var on: Int32 = 1
            _ = setsockopt(socket, Int32(IPPROTO_TCP), TCP_QUICKACK, &on, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// The mail as a `BDAT` chunk carries it: as it is, ending with CRLF.
    static func endingInCRLF(_ data: [UInt8]) -> [UInt8] {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        if data.count >= 2 && data[data.count - 2] == cr && data[data.count - 1] == lf { return data }
        var out = data
        if out.last == cr { out.append(lf) } else { out.append(contentsOf: [cr, lf]) }
        return out
    }

    /// Ends the transaction after a refusal (`RSET`) and throws the refusal.
    private func reset(after refused: SMTPReply, doing operation: String) throws(SMTPMailFailure) -> Never {
        let error = refusal(refused, doing: operation)
        if refused.code == 421 {
            // The server is closing the connection.
            close()
            throw SMTPMailFailure(error: error, connectionLost: true)
        }
        do {
            try send(Array("RSET\r\n".utf8), doing: "RSET")
            _ = try reply(doing: "RSET")
        } catch {
            throw SMTPMailFailure(error: refusal(refused, doing: operation), connectionLost: true)
        }
        throw SMTPMailFailure(error: error)
    }

    private func refusal(_ reply: SMTPReply, doing operation: String) -> TransportError {
        TransportError.smtpReply(reply.code, text: reply.text, server: server, doing: operation)
    }

    /// Says QUIT, waits briefly for the answer, and closes.
    func quit() {
        guard !isClosed else { return }
        if (try? send(Array("QUIT\r\n".utf8), doing: "QUIT")) != nil {
            _ = try? reply(doing: "QUIT", milliseconds: 2000)
        }
        close()
    }

    /// The connection is not used again (libcurl closes the socket with the handle).
    func close() {
        isClosed = true
    }

    /// The mail as it goes after `DATA`: a line that begins with a dot gets another, the last line
    /// ends with CRLF, and the end-of-data line follows.
    ///
    /// A line begins after CRLF and also after a bare LF or CR: servers that take those for line
    /// ends (Postfix does, unless `smtpd_forbid_bare_newline` is set) would otherwise read a member's
    /// `\n.\n` inside a mail as its end, and what followed as commands of refbot's session (SMTP
    /// smuggling).
    static func dotStuffed(_ data: [UInt8]) -> [UInt8] {
        let cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n"), dot = UInt8(ascii: ".")
        var out: [UInt8] = []
        out.reserveCapacity(data.count + data.count / 64 + 5)
        var atLineStart = true
        for byte in data {
            if atLineStart && byte == dot { out.append(dot) }
            out.append(byte)
            atLineStart = byte == lf || byte == cr
        }
        if !out.isEmpty && !(out.count >= 2 && out[out.count - 2] == cr && out[out.count - 1] == lf) {
            if out.last == cr { out.append(lf) } else { out.append(contentsOf: [cr, lf]) }
        }
        out.append(contentsOf: [dot, cr, lf])
        return out
    }

    // MARK: - Replies

    struct SMTPReply {
        var code: Int
        /// The reply's text, its lines joined with spaces.
        var text: String
        var isPositive: Bool { (200..<300).contains(code) }
    }

    /// Reads one reply (its continuation lines included).
    private func reply(doing operation: String, milliseconds: Int? = nil) throws(SMTPMailFailure) -> SMTPReply {
        var texts: [String] = []
        while true {
            let line = try nextLine(doing: operation, milliseconds: milliseconds)
            guard line.count >= 3, let code = Int(String(decoding: line.prefix(3), as: UTF8.self)), (200..<600).contains(code)
            else {
                close()
                throw SMTPMailFailure(
                    error: .temporary(.protocolError, "SMTP server \(server) answered something unreadable during \(operation)"),
                    connectionLost: true)
            }
            let separator = line.count > 3 ? line[line.startIndex + 3] : UInt8(ascii: " ")
            var text = line.count > 4 ? line.dropFirst(4) : []
            while let first = text.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { text.removeFirst() }
            while let last = text.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { text.removeLast() }
            texts.append(String(decoding: text, as: UTF8.self))
            if separator != UInt8(ascii: "-") {
                lastAnswered = Self.monotonicMilliseconds()
                return SMTPReply(code: code, text: "\(code) " + texts.filter { !$0.isEmpty }.joined(separator: " "))
            }
        }
    }

    /// The next line the server sent, without its line end.
    private func nextLine(doing operation: String, milliseconds: Int?) throws(SMTPMailFailure) -> ArraySlice<UInt8> {
        while true {
            if let end = received.firstIndex(of: UInt8(ascii: "\n")) {
                var line = received[..<end]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                let result = ArraySlice(Array(line))
                received.removeSubrange(...end)
                return result
            }
            if received.count > Self.maxReplyBytes {
                close()
                throw SMTPMailFailure(
                    error: .temporary(.protocolError, "SMTP server \(server) sent a reply line too long to be SMTP"),
                    connectionLost: true)
            }
            guard try waitReadable(milliseconds: milliseconds ?? Int(timeoutMilliseconds), doing: operation) else {
                throw timeout(operation)
            }
            try receive(doing: operation)
        }
    }

    // MARK: - Bytes

    private func send(_ bytes: [UInt8], doing operation: String) throws(SMTPMailFailure) {
        guard !isClosed else { throw broken(operation, "the connection was closed") }
        switch easy.sendAll(bytes, socket: socket, timeoutMilliseconds: timeoutMilliseconds) {
        case .done: return
        case .timedOut: throw timeout(operation)
        case .broken(let detail): throw broken(operation, detail)
        }
    }

    /// Reads what is there (after a poll said readable).
    private func receive(doing operation: String) throws(SMTPMailFailure) {
        let outcome = easy.receiveAvailable(into: &readBuffer, limit: Self.maxReplyBytes) { piece in
            received.append(contentsOf: piece)
        }
        if case .broken(let detail) = outcome { throw broken(operation, detail) }
    }

    private func waitReadable(milliseconds: Int, doing operation: String) throws(SMTPMailFailure) -> Bool {
        var fds = [pollfd(fd: socket, events: Int16(POLLIN), revents: 0)]
        while true {
            let result = poll(&fds, 1, Int32(clamping: milliseconds))
            if result < 0 {
                if errno == EINTR { continue }
                throw broken(operation, "poll failed: errno \(errno)")
            }
            return result > 0  // readable, or hung up/error: the read says which
        }
    }

    private func broken(_ operation: String, _ detail: String) -> SMTPMailFailure {
        close()
        return SMTPMailFailure(
            error: .temporary(.connection, "the connection to the SMTP server \(server) broke during \(operation): \(detail)"),
            connectionLost: true)
    }

    private func timeout(_ operation: String) -> SMTPMailFailure {
        close()
        return SMTPMailFailure(
            error: .temporary(
                .timeout, "SMTP server \(server) took too long during \(operation) (check smtp.url and that the server answers there)"),
            connectionLost: true)
    }

    static func monotonicMilliseconds() -> Int {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return now.tv_sec * 1000 + now.tv_nsec / 1_000_000
    }
}
