import Foundation
import RefbotTestSupport
import GRDB
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RefbotCore
import RefbotDaemon
import RefbotHTTP
import RefbotStore
import RefbotTransport
import Synchronization

/// An IMAP mailbox with nothing in it, counting the moves and searches asked of it.
final class EmptyMailbox: InboundMailbox {
    let filingCalls = Mutex(0)
    func listInbox() async throws -> FolderListing { FolderListing(uidValidity: 1, uids: []) }
    func fetch(uids: [UInt32]) async throws -> [FetchedMessage] { [] }
    func move(uids: [UInt32], from folder: String?, to destination: String) async throws -> [UInt32: UInt32] {
        filingCalls.withLock { $0 += 1 }
        return [:]
    }
    func search(messageID: String, in folder: String) async throws -> [UInt32] {
        filingCalls.withLock { $0 += 1 }
        return []
    }
    func createFolderIfMissing(_ name: String) async throws {}
    func checkLogin() async throws {}
}

/// An SMTP server that accepts everything.
final class AcceptingSubmitter: MailSubmitter {
    let accepted = Mutex<[OutgoingMail]>([])
    func submit(_ mails: [OutgoingMail]) async -> [Result<Void, TransportError>] {
        accepted.withLock { $0 += mails }
        return mails.map { _ in .success(()) }
    }
    func checkLogin() async throws {}
}

/// A clock the test moves by hand.
final class TestClock: Sendable {
    private let time: Mutex<Int64>
    init(_ start: Int64 = 1_790_000_000) { time = Mutex(start) }
    var now: Int64 { time.withLock { $0 } }
    func advance(by seconds: Int64) { time.withLock { $0 += seconds } }
    var daemonClock: DaemonClock { DaemonClock(now: { self.now }, jitter: { 1.0 }) }
}


/// A daemon over fake transports, a member with a reply tag, and the link site in front of it.
struct LinkFixture {
    static let key = LinkKey(bytes: Array(repeating: 42, count: 32))
    static let alice = "alice@example.com"
    static let bob = "bob@example.com"

    let directory: TemporaryDirectory
    let clock: TestClock
    let mailbox = EmptyMailbox()
    let daemon: Daemon
    let runner: LinkActionRunner
    let site: LinkSite
    let router: Router<LinkRequestContext>
    /// The routes of the metrics listener.
    let metricsRouter: Router<LinkRequestContext>
    /// Alice's and Bob's reply tags (action `announcement`).
    let aliceTag: String
    let bobTag: String

    init(rateLimit: Int = 1000, trustedProxies: [String] = []) async throws {
        directory = try TemporaryDirectory()
        clock = TestClock()
        var c = RefbotDaemon.Configuration()
        c.bot.address = "referrals@example.org"
        c.bot.name = "Example Referral Network"
        c.bot.admins = ["admin@example.org"]
        c.bot.database = directory.path + "/refbot.sqlite"
        c.bot.secretFile = directory.path + "/secret"
        c.bot.templates = templatesDirectory
        c.bot.baseURL = "https://refer.example.org"
        c.imap.url = "imap://127.0.0.1/INBOX"
        c.imap.username = "referrals@example.org"
        c.smtp.url = "smtp://127.0.0.1"
        c.http.listen = "127.0.0.1:0"
        c.http.metricsListen = "127.0.0.1:0"
        c.http.trustedProxies = trustedProxies
        c.auth.trustedAuthservID = "mx.example.org"
        let daemon = try await buildDaemon(
            c, environment: [:], logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, clock: clock.daemonClock,
            mailbox: mailbox, submitter: AcceptingSubmitter(), linkKeys: [LinkFixture.key])
        self.daemon = daemon
        // The Processor is not running in tests: the runner processes the stored click itself.
        runner = try LinkActionRunner(
            store: daemon.store, configuration: c, keys: [LinkFixture.key], clock: clock.daemonClock, health: daemon.health,
            wait: .zero, afterStore: { _ = try? await daemon.processor.runOnce() })
        site = LinkSite(
            actions: runner, pages: try Pages(directory: templatesDirectory), botName: c.bot.name,
            limiter: RateLimiter(capacity: rateLimit, refillSeconds: 3600))
        router = buildRouter(site: site, proxies: try TrustedProxies(trustedProxies))
        metricsRouter = buildMetricsRouter(site: site)
        let now = clock.now
        (aliceTag, bobTag) = try await daemon.store.write { db in
            let ledger = StoreLedger(db)
            for (email, name) in [(LinkFixture.alice, "Alice Example"), (LinkFixture.bob, "Bob Example")] {
                var member = Member(email: email, name: name, state: .active, joinedAt: now, confirmedAt: now)
                try ledger.save(&member)
            }
            // An announcement's tags: they prove STOP (spec §2 path 1).
            let a = try ledger.makeReplyTag(
                for: LinkFixture.alice, action: MemberHandling.unsubscribeAction, ref: nil, now: now, expiresAt: now + 30 * 86_400)
            let b = try ledger.makeReplyTag(
                for: LinkFixture.bob, action: MemberHandling.unsubscribeAction, ref: nil, now: now, expiresAt: now + 30 * 86_400)
            return (a.token, b.token)
        }
    }

    /// A signed link token for `tag` and `word` (it names the tag by its hash, as refbot's links do).
    func token(tag: String, word: String, expiresIn: Int64 = 14 * 86_400, key: LinkKey = LinkFixture.key) -> String {
        var generator = SystemRandomNumberGenerator()
        return LinkToken(tagHash: ReplyTag.hash(tag), word: word, expiresAt: clock.now + expiresIn, using: &generator)
            .signed(with: key)
    }

    /// Sends a request through the router, in process.
    func request(
        _ method: HTTPRequest.Method, _ path: String, body: String = "", client: String = "192.0.2.1",
        headers: [String: String] = [:], metrics: Bool = false
    ) async throws -> (status: Int, headers: HTTPFields, body: String) {
        var head = HTTPRequest(method: method, scheme: "http", authority: "refer.example.org", path: path)
        if !body.isEmpty { head.headerFields[.contentType] = "application/x-www-form-urlencoded" }
        for (name, value) in headers { head.headerFields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        let router = metrics ? metricsRouter : router
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(string: body)))
        let context = LinkRequestContext(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, clientAddress: client)
        let response = try await router.buildResponder().respond(to: request, context: context)
        let collector = BodyCollector()
        try await response.body.write(collector)
        return (response.status.code, response.headers, collector.text)
    }

    /// The hidden form nonce of a page.
    static func formNonce(in page: String) -> String? {
        guard let range = page.range(of: "name=\"form\" value=\"") else { return nil }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Counts of the rows a click may add, and Alice's and Bob's announcement flags.
    struct State: Equatable, Sendable {
        var inbound: Int
        var outbox: Int
        var linkUses: Int
        var aliceOff: Bool
        var bobOff: Bool
    }

    func state() async throws -> State {
        try await daemon.store.read { db in
            let ledger = StoreLedger(db)
            return State(
                inbound: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage") ?? -1,
                outbox: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage") ?? -1,
                linkUses: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM linkUse") ?? -1,
                aliceOff: try ledger.member(email: LinkFixture.alice)?.announcementsOff ?? false,
                bobOff: try ledger.member(email: LinkFixture.bob)?.announcementsOff ?? false)
        }
    }
}

/// Collects a response body.
final class BodyCollector: ResponseBodyWriter, @unchecked Sendable {
    var buffer = ByteBuffer()
    var text: String { String(buffer: buffer) }
    func write(_ buffer: ByteBuffer) async throws {
        var copy = buffer
        self.buffer.writeBuffer(&copy)
    }
    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}

/// Percent-encodes a form value.
func formEncoded(_ value: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
}
