import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// Mail built to exhaust the parser, through the whole pipeline with the default limits
/// (`mail.max_message_bytes` 10 MiB, 32 levels of nesting, 1 000 parts). The parser's own
/// bounds are tested in RefbotMailTests/PathologicalInputTests; here: what refbot does with such
/// mail from a member's address.
@Suite("Oversized and deeply nested mail in the pipeline")
struct PathologicalPipelineTests {
    static let alice = "alice@example.com"

    static func head(_ subject: String, contentType: String) -> String {
        [
            "Authentication-Results: mx.example.org; dmarc=pass header.from=example.com", mtaReceived,
            "From: Alice <\(alice)>", "To: referrals@example.org", "Subject: \(subject)",
            "Message-ID: <\(UUID().uuidString)@example.com>", "Date: Mon, 23 Nov 2026 10:00:00 +0000", "MIME-Version: 1.0",
            "Content-Type: \(contentType)",
        ].joined(separator: "\r\n") + "\r\n\r\n"
    }

    static func nested(depth: Int) -> String {
        var text = head("LEAVE", contentType: "multipart/mixed; boundary=\"b0\"")
        for level in 1..<depth {
            text += "--b\(level - 1)\r\nContent-Type: multipart/mixed; boundary=\"b\(level)\"\r\n\r\n"
        }
        return text + "--b\(depth - 1)\r\nContent-Type: text/plain\r\n\r\nLEAVE\r\n"
    }

    static func manyParts(_ count: Int) -> String {
        head("LEAVE", contentType: "multipart/mixed; boundary=x")
            + String(repeating: "--x\r\nContent-Type: text/plain\r\n\r\nLEAVE\r\n", count: count) + "--x--\r\n"
    }

    /// Delivers `raw` from a member and returns what refbot sent, the row's state, and whether the
    /// network's state changed.
    func run(_ raw: String) async throws -> (sent: [ParsedMessage], state: InboundMessage.State?, changed: Bool, bot: MemberHarness) {
        let bot = try await MemberHarness()
        try await bot.addMember(Self.alice, name: "Alice")
        let before = try await stateSnapshot(bot.daemon.store)
        let sent = try await bot.send(raw)
        let row = try await bot.daemon.store.read { db in try InboundMessage.fetchOne(db) }
        let changed = try await stateSnapshot(bot.daemon.store) != before
        return (sent, row?.state, changed, bot)
    }

    @Test("10 000 nested multiparts are quarantined; the admins hear of it; the member's LEAVE does not run")
    func deepNesting() async throws {
        let (sent, state, changed, bot) = try await run(Self.nested(depth: 10_000))
        #expect(state == .quarantined)
        #expect(sent.map(\.memberEvent) == ["message.quarantined"])
        #expect(sent.first?.to.map(\.address) == ["admin@example.org"])
        #expect(!changed)
        #expect(bot.mailbox.count("Quarantine") == 1)
        #expect(try await bot.member(Self.alice)?.state == .active)
    }

    @Test("100 000 sibling parts are quarantined and change nothing")
    func hundredThousandParts() async throws {
        let raw = Self.manyParts(100_000)
        #expect(raw.utf8.count < 10 << 20, "under the size limit, so the part count is what stops it")
        let (sent, state, changed, bot) = try await run(raw)
        #expect(state == .quarantined)
        #expect(sent.map(\.memberEvent) == ["message.quarantined"])
        #expect(!changed)
        #expect(bot.mailbox.count("Quarantine") == 1)
    }

    @Test("A mail one byte past the default 10 MiB is quarantined unread and changes nothing")
    func pastTheSizeLimit() async throws {
        var raw = Self.head("LEAVE", contentType: "text/plain") + "LEAVE\r\n"
        raw += String(repeating: "x", count: (10 << 20) + 1 - raw.utf8.count)
        let (sent, state, changed, _) = try await run(raw)
        #expect(state == .quarantined)
        #expect(sent.map(\.memberEvent) == ["message.quarantined"])
        #expect(!changed)
    }

    @Test("A 5 MB header line beside a command is answered normally, in a mail of ordinary size")
    func fiveMegabyteHeader() async throws {
        let filler = "X-Filler: " + String(repeating: "a", count: 5 << 20) + "\r\n"
        let raw = filler + Self.head("CREDITS", contentType: "text/plain") + "CREDITS\r\n"
        let (sent, state, changed, bot) = try await run(raw)
        #expect(state == .done)
        #expect(sent.map(\.memberEvent) == ["credits"])
        #expect(!changed)
        #expect(bot.submitter.accepted.allSatisfy { $0.data.count < 64 * 1024 })
    }

    @Test("A 5 MB subject with a forged state-changing command is too long to confirm: refused, and the answer does not carry the 5 MB back")
    func fiveMegabyteSubject() async throws {
        let subject = "LEAVE " + String(repeating: "a", count: 5 << 20)
        var raw = Self.head(subject, contentType: "text/plain") + "\r\n"
        // Not authenticated: the forger's mail would be held for the owner's confirmation, but a
        // confirmation must show the whole command, and this one is too long to show.
        raw = raw.replacingOccurrences(of: "Authentication-Results: mx.example.org; dmarc=pass header.from=example.com\r\n", with: "")
        let (sent, _, changed, bot) = try await run(raw)
        #expect(sent.map(\.memberEvent) == ["command.error"])
        #expect(!changed)
        let held = try await bot.daemon.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM heldCommand") }
        #expect(held == 0)
        #expect(bot.submitter.accepted.allSatisfy { $0.data.count < 64 * 1024 }, "\(bot.submitter.accepted.map(\.data.count))")
    }
}
