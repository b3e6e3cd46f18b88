import Foundation
import Logging
import RefbotDaemon
import RefbotStore
import ServiceLifecycle
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("Link server on a live socket")
struct LiveServerTests {
    @Test("The daemon's HTTP server and Processor act on a real click over loopback")
    func liveClick() async throws {
        let f = try await LinkFixture()
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let server = try HTTPServer(
            configuration: f.daemon.configuration, actions: f.daemon.links, logger: logger, onRunning: { portSink.yield($0) })
        let group = ServiceGroup(services: [f.daemon.processor, server], logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            let base = "http://127.0.0.1:\(port)"
            let session = URLSession(configuration: .ephemeral)

            f.daemon.health.pollSucceeded(at: f.clock.now)
            let (_, health) = try await session.data(from: URL(string: base + "/healthz")!)
            #expect((health as? HTTPURLResponse)?.statusCode == 200)

            let token = f.token(tag: f.aliceTag, word: "STOP")
            let (pageData, page) = try await session.data(from: URL(string: base + "/a/\(token)")!)
            #expect((page as? HTTPURLResponse)?.statusCode == 200)
            let nonce = try #require(LinkFixture.formNonce(in: String(decoding: pageData, as: UTF8.self)))
            #expect(try await f.state().aliceOff == false)

            var post = URLRequest(url: URL(string: base + "/a/\(token)")!)
            post.httpMethod = "POST"
            post.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            post.httpBody = Data("form=\(formEncoded(nonce))".utf8)
            let (doneData, done) = try await session.data(for: post)
            #expect((done as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: doneData, as: UTF8.self).contains("Done: STOP"))
            #expect(try await f.state().aliceOff)

            let (_, again) = try await session.data(for: post)
            #expect((again as? HTTPURLResponse)?.statusCode == 410)

            let (_, missing) = try await session.data(from: URL(string: base + "/a/AAAA")!)
            #expect((missing as? HTTPURLResponse)?.statusCode == 400)

            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

@Suite("Link server when its address is taken")
struct BusyAddressTests {
    @Test("A taken address is logged, not thrown, so mail keeps flowing; the server stops cleanly on shutdown")
    func busyAddress() async throws {
        let f = try await LinkFixture()
        let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        let (errors, errorSink) = AsyncStream.makeStream(of: String.self)
        let watching = Logger(label: "test") { _ in MessageSink(sink: errorSink) }
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let first = try HTTPServer(
            configuration: f.daemon.configuration, actions: f.daemon.links, logger: quiet, onRunning: { portSink.yield($0) })
        let firstGroup = ServiceGroup(services: [first], logger: quiet)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await firstGroup.run() }
            var iterator = ports.makeAsyncIterator()
            let port = try #require(await iterator.next())
            var configuration = f.daemon.configuration
            configuration.http.listen = "127.0.0.1:\(port)"
            let second = try HTTPServer(configuration: configuration, actions: f.daemon.links, logger: watching)
            let secondGroup = ServiceGroup(services: [second], logger: quiet)
            tasks.addTask { try await secondGroup.run() }
            var errorIterator = errors.makeAsyncIterator()
            var message: String?
            repeat { message = await errorIterator.next() } while message.map { !$0.contains("cannot listen") } ?? false
            #expect(message?.contains("HTTP server cannot listen") == true)
            await secondGroup.triggerGracefulShutdown()
            await firstGroup.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }
}

/// A log handler that passes each message on.
struct MessageSink: LogHandler {
    let sink: AsyncStream<String>.Continuation
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) {
        sink.yield(event.message.description)
    }
}
