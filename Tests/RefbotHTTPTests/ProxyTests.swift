import Foundation
import HTTPTypes
import Logging
import RefbotDaemon
import RefbotHTTP
import ServiceLifecycle
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The link server behind the documented TLS proxy (issue: every client was 127.0.0.1 there, so
/// one junk client put everyone on 429, and `/metrics` and `/healthz` sat on the public listener
/// without limits).
@Suite("Link server behind a reverse proxy")
struct ProxyTests {
    static let proxy = "127.0.0.1"

    @Test("Behind a trusted proxy, one junk client's 429 is its own: other clients forwarded by the same proxy still get pages")
    func junkClientBehindProxy() async throws {
        let f = try await LinkFixture(rateLimit: 5, trustedProxies: ["127.0.0.1/32", "::1/128"])
        for _ in 0..<6 {
            _ = try await f.request(.get, "/a/AAAA", client: Self.proxy, headers: ["X-Forwarded-For": "198.51.100.66"])
        }
        let junk = try await f.request(.get, "/a/AAAA", client: Self.proxy, headers: ["X-Forwarded-For": "198.51.100.66"])
        #expect(junk.status == 429)
        let token = f.token(tag: f.aliceTag, word: "STOP")
        let other = try await f.request(.get, "/a/\(token)", client: Self.proxy, headers: ["X-Forwarded-For": "203.0.113.7"])
        #expect(other.status == 200)
    }

    @Test("Without trusted proxies, X-Forwarded-For is the client's own word and changes nothing")
    func forwardedForIgnoredFromStrangers() async throws {
        let f = try await LinkFixture(rateLimit: 5)
        for index in 0..<6 {
            _ = try await f.request(.get, "/a/AAAA", client: "198.51.100.66", headers: ["X-Forwarded-For": "192.0.2.\(index)"])
        }
        let rotated = try await f.request(.get, "/a/AAAA", client: "198.51.100.66", headers: ["X-Forwarded-For": "192.0.2.200"])
        #expect(rotated.status == 429)
    }

    @Test("A client behind a trusted proxy cannot hide behind addresses it writes itself")
    func spoofedChain() async throws {
        let f = try await LinkFixture(rateLimit: 5, trustedProxies: ["127.0.0.1/32"])
        // The proxy appends the address it saw (198.51.100.66); what stands left of it is the client's.
        for index in 0..<6 {
            _ = try await f.request(
                .get, "/a/AAAA", client: Self.proxy, headers: ["X-Forwarded-For": "192.0.2.\(index), 198.51.100.66"])
        }
        let again = try await f.request(
            .get, "/a/AAAA", client: Self.proxy, headers: ["X-Forwarded-For": "192.0.2.99, 198.51.100.66"])
        #expect(again.status == 429)
    }

    @Test("The public listener has no /metrics, and its /healthz is rate limited; the metrics listener has both, unlimited")
    func metricsOffThePublicListener() async throws {
        let f = try await LinkFixture(rateLimit: 3)
        f.daemon.health.pollSucceeded(at: f.clock.now)
        #expect(try await f.request(.get, "/metrics").status == 404)
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try await f.request(.get, "/healthz", client: "198.51.100.7").status) }
        #expect(statuses == [200, 200, 200, 429, 429])
        for _ in 0..<5 {
            #expect(try await f.request(.get, "/healthz", client: "198.51.100.7", metrics: true).status == 200)
        }
        #expect(try await f.request(.get, "/metrics", metrics: true).status == 200)
    }

    @Test("CIDRs and addresses parse; X-Forwarded-For is walked from the right")
    func parsing() throws {
        let proxies = try TrustedProxies(["10.0.0.0/8", "::1", "2001:db8::/32"])
        #expect(proxies.trusts("10.1.2.3"))
        #expect(proxies.trusts("::ffff:10.1.2.3"))
        #expect(!proxies.trusts("11.0.0.1"))
        #expect(proxies.trusts("2001:db8:1::5"))
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: ["203.0.113.1, 10.0.0.2"]) == "203.0.113.1")
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: ["[2001:db9::1]:443"]) == "2001:db9::1")
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: ["junk, 203.0.113.1"]) == "203.0.113.1")
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: ["203.0.113.1, junk"]) == "10.0.0.1")
        #expect(proxies.client(peer: "10.0.0.1", forwardedFor: []) == "10.0.0.1")
        #expect(proxies.client(peer: "198.51.100.1", forwardedFor: ["203.0.113.1"]) == "198.51.100.1")
        #expect(throws: TrustedProxies.InvalidNetwork.self) { try TrustedProxies(["10.0.0.0/33"]) }
        #expect(throws: TrustedProxies.InvalidNetwork.self) { try TrustedProxies(["example.org"]) }
    }

    @Test("The daemon serves /metrics on http.metrics_listen only, over real sockets")
    func liveMetricsListener() async throws {
        let f = try await LinkFixture()
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let (metricsPorts, metricsSink) = AsyncStream.makeStream(of: Int.self)
        let server = try HTTPServer(
            configuration: f.daemon.configuration, actions: f.daemon.links, logger: logger,
            onRunning: { portSink.yield($0) }, onMetricsRunning: { metricsSink.yield($0) })
        let group = ServiceGroup(services: [server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            var metricsIterator = metricsPorts.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let metricsPort = try #require(await metricsIterator.next())
            #expect(port != metricsPort)
            let session = URLSession(configuration: .ephemeral)
            let (_, publicMetrics) = try await session.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
            #expect((publicMetrics as? HTTPURLResponse)?.statusCode == 404)
            let (body, metrics) = try await session.data(from: URL(string: "http://127.0.0.1:\(metricsPort)/metrics")!)
            #expect((metrics as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: body, as: UTF8.self).contains("refbot_outbox_depth"))
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}
