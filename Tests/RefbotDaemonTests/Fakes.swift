import Foundation
import RefbotTestSupport
import Logging
import RefbotDaemon
import RefbotTransport
import Synchronization

/// An in-memory IMAP mailbox: an inbox of raw messages and named folders.
final class FakeMailbox: InboundMailbox {
    struct State {
        var uidValidity: UInt32 = 7
        var nextUID: UInt32 = 1
        var folders: [String: [(uid: UInt32, raw: [UInt8])]] = ["INBOX": []]
        var failing: TransportError?
        var moves = 0
        /// Messages larger than this make `fetch` fail with `tooLarge`, as the libcurl mailbox does.
        var maxFetchBytes = Int.max
    }
    let state = Mutex(State())

    @discardableResult
    func deliver(_ raw: String) -> UInt32 {
        state.withLock { s in
            let uid = s.nextUID
            s.nextUID += 1
            s.folders["INBOX", default: []].append((uid, Array(raw.utf8)))
            return uid
        }
    }

    func count(_ folder: String) -> Int { state.withLock { $0.folders[folder]?.count ?? 0 } }

    func fail(with error: TransportError?) { state.withLock { $0.failing = error } }

    private func check() throws {
        if let error = state.withLock({ $0.failing }) { throw error }
    }

    func listInbox() async throws -> FolderListing {
        try check()
        return state.withLock { FolderListing(uidValidity: $0.uidValidity, uids: ($0.folders["INBOX"] ?? []).map(\.uid)) }
    }

    func fetch(uids: [UInt32]) async throws -> [FetchedMessage] {
        try check()
        let limit = state.withLock { $0.maxFetchBytes }
        let sizes = state.withLock { s in uids.compactMap { uid in s.folders["INBOX"]?.first { $0.uid == uid }?.raw.count } }
        if sizes.contains(where: { $0 > limit }) { throw TransportError.permanent(.tooLarge, "message too large") }
        return state.withLock { s in
            uids.compactMap { uid in
                s.folders["INBOX"]?.first { $0.uid == uid }.map {
                    FetchedMessage(uidValidity: s.uidValidity, uid: uid, raw: $0.raw)
                }
            }
        }
    }

    func move(uids: [UInt32], from folder: String?, to destination: String) async throws -> [UInt32: UInt32] {
        try check()
        return state.withLock { s in
            let source = folder ?? "INBOX"
            var mapping: [UInt32: UInt32] = [:]
            for uid in uids {
                guard let index = s.folders[source]?.firstIndex(where: { $0.uid == uid }),
                    let item = s.folders[source]?.remove(at: index)
                else { continue }
                let newUID = s.nextUID
                s.nextUID += 1
                s.folders[destination, default: []].append((newUID, item.raw))
                mapping[uid] = newUID
            }
            s.moves += 1
            return mapping
        }
    }

    func search(messageID: String, in folder: String) async throws -> [UInt32] {
        try check()
        return state.withLock { s in
            (s.folders[folder] ?? []).filter { String(decoding: $0.raw, as: UTF8.self).contains("<\(messageID)>") }.map(\.uid)
        }
    }

    func createFolderIfMissing(_ name: String) async throws {
        try check()
        state.withLock { s in if s.folders[name] == nil { s.folders[name] = [] } }
    }

    func checkLogin() async throws { try check() }
}

/// An in-memory SMTP server that records what it accepted, and can refuse.
final class FakeSubmitter: MailSubmitter {
    struct State {
        var accepted: [OutgoingMail] = []
        var refusal: TransportError?
    }
    let state = Mutex(State())

    var accepted: [OutgoingMail] { state.withLock { $0.accepted } }

    func refuse(with error: TransportError?) { state.withLock { $0.refusal = error } }

    func submit(_ mails: [OutgoingMail]) async -> [Result<Void, TransportError>] {
        state.withLock { s in
            mails.map { mail in
                if let refusal = s.refusal { return .failure(refusal) }
                s.accepted.append(mail)
                return .success(())
            }
        }
    }

    func checkLogin() async throws {}
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let time: Mutex<Int64>
    init(_ start: Int64 = 1_790_000_000) { time = Mutex(start) }
    var now: Int64 { time.withLock { $0 } }
    func advance(by seconds: Int64) { time.withLock { $0 += seconds } }
    var daemonClock: DaemonClock {
        DaemonClock(now: { self.now }, jitter: { 1.0 })
    }
}

/// Log lines kept in memory.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var logger: Logger {
        Logger(label: "test") { label in JournalLogHandler(label: label, level: .debug) { line in self.lines.withLock { $0.append(line) } } }
    }
}


/// A configuration for tests, with its database in `directory`.
func testConfiguration(in directory: TemporaryDirectory) -> Configuration {
    var c = Configuration()
    c.bot.address = "referrals@example.org"
    c.bot.name = "Example Referral Network"
    c.bot.admins = ["admin@example.org"]
    c.bot.database = directory.path + "/refbot.sqlite"
    c.bot.templates = templatesDirectory
    c.bot.secretFile = directory.path + "/secret"
    c.imap.url = "imap://127.0.0.1/INBOX"
    c.imap.username = "referrals@example.org"
    c.smtp.url = "smtp://127.0.0.1"
    // Mail that carries `Authentication-Results: mx.example.org; dmarc=pass …` counts as authenticated.
    c.auth.trustedAuthservID = "mx.example.org"
    // The monthly recognition mail is off unless a test turns it on (RecognitionTests): tests of
    // other mail that move the clock across a month count their own mails.
    c.network.recognitionTop = 0
    return c
}

/// The `Received:` field the receiving MTA writes at the top of every mail it takes over SMTP.
let mtaReceived =
    "Received: from client.example.net (client.example.net [192.0.2.10]) by mx.example.org (Postfix) with ESMTPS id 4Ab1; Mon, 23 Nov 2026 10:00:01 +0000"

/// A plain mail as a member's client would send it (CRLF line ends), as the receiving MTA hands it
/// on: its `Received:` on top and, when `authenticated` (or `mtaResults` is given), its own
/// `Authentication-Results` above that, where Postfix puts a milter's field. `extraHeaders` come
/// below, among the sender's own fields.
func mail(
    from: String = "Alice Example <alice@example.com>", to: String = "referrals@example.org", subject: String,
    body: String, extraHeaders: [String] = [], messageID: String = UUID().uuidString + "@example.com",
    authenticated: Bool = false, mtaResults: String? = nil
) -> String {
    var lines = ["From: \(from)", "To: \(to)", "Subject: \(subject)", "Message-ID: <\(messageID)>",
                 "Date: Mon, 23 Nov 2026 10:00:00 +0000", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    var top = [mtaReceived]
    if let mtaResults {
        top.insert("Authentication-Results: \(mtaResults)", at: 0)
    } else if authenticated {
        // As the receiving MTA (authserv-id mx.example.org, trusted in testConfiguration) would add it.
        let domain = from.split(separator: "@").last.map { String($0.prefix { $0 != ">" }) } ?? "example.com"
        top.insert("Authentication-Results: mx.example.org; dmarc=pass (p=none) header.from=\(domain)", at: 0)
    }
    lines = top + lines + extraHeaders
    return lines.joined(separator: "\r\n") + "\r\n\r\n" + body.replacingOccurrences(of: "\n", with: "\r\n")
}
