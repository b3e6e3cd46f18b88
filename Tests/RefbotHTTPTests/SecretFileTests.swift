import Foundation
import GRDB
import RefbotCore
import RefbotStore
import Synchronization
import RefbotTestSupport
import Testing

@testable import RefbotDaemon

@Suite("Link secret file and the daemon's side of links")
struct SecretFileTests {
    @Test("A missing secret file is created with mode 0600 and one key, and read back the same on the next start")
    func createsSecret() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path + "/state/secret"
        let first = try LinkSecret.loadOrCreate(path: path)
        #expect(first.count == 1)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let second = try LinkSecret.loadOrCreate(path: path)
        #expect(second.map(\.fileLine) == first.map(\.fileLine))
        #expect(first[0].fileLine.count == 64)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/state")
        #expect(leftovers == ["secret"])
    }

    @Test("A rotated secret file gives every key, newest first; a file with no key refuses to start")
    func rotationAndEmpty() throws {
        let directory = try TemporaryDirectory()
        let newer = LinkKey(bytes: Array(repeating: 2, count: 32))
        let older = LinkKey(bytes: Array(repeating: 1, count: 32))
        try "\(newer.fileLine)\n\(older.fileLine)\n".write(toFile: directory.path + "/secret", atomically: true, encoding: .utf8)
        #expect(try LinkSecret.loadOrCreate(path: directory.path + "/secret").map(\.fileLine) == [newer.fileLine, older.fileLine])
        try "# nothing yet\n".write(toFile: directory.path + "/empty", atomically: true, encoding: .utf8)
        #expect(throws: ConfigError.self) { try LinkSecret.loadOrCreate(path: directory.path + "/empty") }
    }

    @Test("http.listen splits into host and port", arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080), ("[::1]:9000", "::1", 9000), (":0", "127.0.0.1", 0),
    ])
    func listen(text: String, host: String, port: Int) throws {
        let parsed = try HTTPServer.hostAndPort(text)
        #expect(parsed.0 == host && parsed.1 == port)
    }

    @Test("A quarantined mail made by a link is never looked for in IMAP")
    func fetcherSkipsLinkRows() async throws {
        let f = try await LinkFixture()
        let now = f.clock.now
        let id = try await f.daemon.store.write { db -> Int64 in
            var row = InboundMessage(uidValidity: 0, uid: 1, messageId: "link.x@example.org", raw: Data("x".utf8), receivedAt: now)
            try row.insert(db)
            try InboundQueue.markQuarantined(row.id!, reason: "test", now: now, in: db)
            return row.id!
        }
        _ = await f.daemon.fetcher.runOnce()
        let filed = try await f.daemon.store.read { db in try InboundMessage.fetchOne(db, key: id)?.quarantineFiled }
        #expect(filed == true)
        #expect(f.mailbox.filingCalls.withLock { $0 } == 0)
    }
}
