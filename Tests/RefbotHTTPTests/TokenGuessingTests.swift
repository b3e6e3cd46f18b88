import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RefbotCore
import RefbotDaemon
import RefbotHTTP
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// The link routes as the daemon builds them (the built-in rate limit, `RateLimiter()`), over the
/// fixture's daemon, with a clock that stands still so no bucket refills during a burst.
struct GuessingSite {
    static let formKey = LinkKey(bytes: Array(repeating: 7, count: 32))
    let fixture: LinkFixture
    let router: Router<LinkRequestContext>

    init(fixture: LinkFixture, limiter: RateLimiter = RateLimiter()) throws {
        self.fixture = fixture
        let now = Double(fixture.clock.now)
        let site = LinkSite(
            actions: fixture.runner, pages: try Pages(directory: templatesDirectory), botName: "Example Referral Network",
            limiter: limiter, formKey: GuessingSite.formKey, clock: { now })
        router = buildRouter(site: site)
    }

    func request(_ method: HTTPRequest.Method, _ path: String, body: String = "", client: String) async throws -> Int {
        var head = HTTPRequest(method: method, scheme: "http", authority: "refer.example.org", path: path)
        if !body.isEmpty { head.headerFields[.contentType] = "application/x-www-form-urlencoded" }
        let request = Request(head: head, body: RequestBody(buffer: ByteBuffer(string: body)))
        let context = LinkRequestContext(logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }, clientAddress: client)
        let response = try await router.buildResponder().respond(to: request, context: context)
        return response.status.code
    }

    /// The page's own form nonce for a path, as a browser showing the page would send it.
    static func nonce(for path: String) -> String {
        formEncoded(formKey.sign(String(path.dropFirst())))
    }
}

@Suite("Token guessing against the link server")
struct TokenGuessingTests {
    /// Guesses in the forms an attacker would try: random bytes of a genuine token's length,
    /// a genuine token with one byte changed, with a random MAC, for another word, or cut short.
    static func guesses(near genuine: String, count: Int, seed: UInt64) -> [String] {
        var random = SplitMix64(seed: seed)
        let bytes = Base64URL.decode(genuine) ?? []
        return (0..<count).map { index in
            var altered = bytes
            switch index % 4 {
            case 0:
                altered = (0..<bytes.count).map { _ in UInt8.random(in: 0...255, using: &random) }
            case 1:
                let at = Int.random(in: 0..<bytes.count, using: &random)
                altered[at] ^= UInt8.random(in: 1...255, using: &random)
            case 2:
                for at in (bytes.count - 16)..<bytes.count { altered[at] = UInt8.random(in: 0...255, using: &random) }
            default:
                altered = Array(bytes.prefix(Int.random(in: 1..<bytes.count, using: &random)))
            }
            return Base64URL.encode(altered)
        }
    }

    @Test("3 000 guessed tokens from one address on /a/ and /u/: 429 past the built-in limit, none accepted, no 500, nothing changed")
    func burst() async throws {
        let f = try await LinkFixture()
        let site = try GuessingSite(fixture: f)
        let genuine = f.token(tag: f.aliceTag, word: "STOP")
        let before = try await f.state()
        var statuses: [Int] = []
        for (index, guess) in Self.guesses(near: genuine, count: 3_000, seed: 1).enumerated() {
            let path = (index % 2 == 0 ? "/a/" : "/u/") + guess
            switch index % 3 {
            case 0: statuses.append(try await site.request(.get, path, client: "203.0.113.7"))
            case 1:
                statuses.append(
                    try await site.request(.post, path, body: "form=\(GuessingSite.nonce(for: path))", client: "203.0.113.7"))
            default:
                statuses.append(try await site.request(.post, path, body: "List-Unsubscribe=One-Click", client: "203.0.113.7"))
            }
        }
        // 30 requests at once (a POST without the page's nonce shows the page again, which counts twice).
        let limited = try #require(statuses.firstIndex(of: 429))
        #expect((15...30).contains(limited), "first 429 at request \(limited)")
        #expect(statuses[..<limited].allSatisfy { [400, 404].contains($0) }, "\(Set(statuses[..<limited]))")
        #expect(statuses[limited...].allSatisfy { $0 == 429 }, "\(Set(statuses[limited...]))")
        #expect(!statuses.contains(500))
        #expect(try await f.state() == before)
        // The limit holds for a genuine token too; another address is not held back by it.
        #expect(try await site.request(.get, "/a/\(genuine)", client: "203.0.113.7") == 429)
        #expect(try await site.request(.get, "/a/\(genuine)", client: "198.51.100.20") == 200)
    }

    @Test("Every one-bit change of a genuine token is refused on GET and on POST with the page's nonce")
    func everyBitFlip() async throws {
        let f = try await LinkFixture()
        let site = try GuessingSite(fixture: f, limiter: RateLimiter(capacity: 1_000_000, refillSeconds: 3600))
        let genuine = f.token(tag: f.aliceTag, word: "STOP")
        let bytes = try #require(Base64URL.decode(genuine))
        let before = try await f.state()
        var refused = 0
        for bit in 0..<(bytes.count * 8) {
            var altered = bytes
            altered[bit / 8] ^= UInt8(1 << (bit % 8))
            let token = Base64URL.encode(altered)
            for prefix in ["/a/", "/u/"] {
                let get = try await site.request(.get, prefix + token, client: "203.0.113.8")
                let post = try await site.request(
                    .post, prefix + token, body: "form=\(GuessingSite.nonce(for: prefix + token))&List-Unsubscribe=One-Click",
                    client: "203.0.113.8")
                #expect([400, 404].contains(get) && [400, 404].contains(post), "bit \(bit) \(prefix): \(get) \(post)")
                refused += 1
            }
        }
        #expect(refused == bytes.count * 8 * 2)
        #expect(try await f.state() == before)
        // The genuine token still works, so the refusals above were the MAC's doing.
        let path = "/a/\(genuine)"
        #expect(try await site.request(.post, path, body: "form=\(GuessingSite.nonce(for: path))", client: "203.0.113.8") == 200)
        #expect(try await f.state().aliceOff)
    }

    @Test("An IPv6 client counts by its /64: going round its addresses does not go round the limit")
    func ipv6Rotation() async throws {
        #expect(RateLimiter.bucketKey("2001:db8:1:2::1") == RateLimiter.bucketKey("2001:db8:1:2:ffff:ffff:ffff:fffe"))
        #expect(RateLimiter.bucketKey("2001:db8:1:2::1") != RateLimiter.bucketKey("2001:db8:1:3::1"))
        #expect(RateLimiter.bucketKey("::ffff:192.0.2.1") == "192.0.2.1")
        #expect(RateLimiter.bucketKey("::ffff:192.0.2.1") != RateLimiter.bucketKey("::ffff:192.0.2.2"))
        #expect(RateLimiter.bucketKey("192.0.2.1") == "192.0.2.1")

        let f = try await LinkFixture()
        let site = try GuessingSite(fixture: f)
        let genuine = f.token(tag: f.aliceTag, word: "STOP")
        var statuses: [Int] = []
        for (index, guess) in Self.guesses(near: genuine, count: 300, seed: 3).enumerated() {
            let client = "2001:db8:7:7:\(String(index, radix: 16))::\(String(index * 7 + 1, radix: 16))"
            statuses.append(try await site.request(.get, "/a/\(guess)", client: client))
        }
        #expect(statuses.prefix(30).allSatisfy { [400, 404].contains($0) })
        #expect(statuses.dropFirst(30).allSatisfy { $0 == 429 })
        #expect(try await site.request(.get, "/a/\(genuine)", client: "2001:db8:7:8::1") == 200)
    }

    @Test("A burst of POSTs with well-formed tokens signed by the wrong key acts on nothing; 429 past the limit")
    func wrongKeyPosts() async throws {
        let f = try await LinkFixture()
        let site = try GuessingSite(fixture: f)
        var random = SplitMix64(seed: 2)
        let before = try await f.state()
        var statuses: [Int] = []
        for index in 0..<500 {
            let key = LinkKey(bytes: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) })
            let tag = index % 2 == 0 ? f.aliceTag : f.bobTag
            let token = f.token(tag: tag, word: index % 4 < 2 ? "STOP" : "ACCEPT", key: key)
            let path = (index % 3 == 0 ? "/u/" : "/a/") + token
            statuses.append(
                try await site.request(
                    .post, path, body: "form=\(GuessingSite.nonce(for: path))&List-Unsubscribe=One-Click", client: "203.0.113.9"))
        }
        #expect(statuses.prefix(30).allSatisfy { $0 == 404 }, "\(Set(statuses.prefix(30)))")
        #expect(statuses.dropFirst(30).allSatisfy { $0 == 429 })
        #expect(try await f.state() == before)
    }
}

@Suite("Hostile text through the link pages")
struct HostileLinkReasonTests {
    @Test("A REJECT reason with CRLF, NUL and Bcc: lines stays in the body of the reply the click stands for")
    func hostileReason() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "REJECT")
        let nonce = try #require(LinkFixture.formNonce(in: try await f.request(.get, "/a/\(token)").body))
        let reason = "Booked\r\nBcc: mallory@evil.example\r\n\r\nACCEPT\0\nSubject: ACCEPT\u{2028}To: mallory@evil.example"
        let response = try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(nonce))&reason=\(formEncoded(reason))")
        #expect(response.status == 200 || response.status == 202)
        let raws = try await f.daemon.store.read { db in
            (try Data.fetchAll(db, sql: "SELECT raw FROM inboundMessage"), try Data.fetchAll(db, sql: "SELECT raw FROM outboxMessage"))
        }
        try #require(raws.0.count == 1)
        let click = try MessageParser.parse([UInt8](raws.0[0]))
        #expect(Set(click.headers.map { $0.name.lowercased() }) == [
            "from", "to", "subject", "date", "message-id", "mime-version", "x-refbot-via", "content-type",
            "content-transfer-encoding",
        ])
        #expect(click.headers.count == 9)
        #expect(click.subject == "REJECT")
        #expect(click.from?.address == LinkFixture.alice)
        #expect(click.to.map(\.address) == ["referrals@example.org"])
        #expect(click.textBody.hasPrefix("REJECT\n") || click.textBody.hasPrefix("REJECT\r\n"))
        #expect(click.textBody.contains("Bcc: mallory@evil.example"), "kept, as text of the body")
        for raw in raws.1 {
            let mail = try MessageParser.parse([UInt8](raw))
            let names = mail.headers.map { $0.name.lowercased() }
            #expect(!names.contains("bcc") && !names.contains("cc"))
            #expect(names.filter { $0 == "to" || $0 == "subject" }.count == 2)
            #expect(!mail.to.contains { $0.address == "mallory@evil.example" })
        }
        #expect(try await f.state().aliceOff == false)
    }
}
