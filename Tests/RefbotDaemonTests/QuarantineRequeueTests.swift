import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

@Suite("Requeueing quarantined mail")
struct QuarantineRequeueTests {
    /// Stores `raw` as a quarantined inbound row, as three failed attempts would leave it.
    func quarantined(_ raw: String, uid: Int64, in bot: MemberHarness) async throws -> Int64 {
        try await bot.daemon.store.write { db in
            var row = InboundMessage(uidValidity: 99, uid: uid, messageId: nil, raw: Data(raw.utf8), receivedAt: 1)
            try row.insert(db)
            let id = row.id ?? 0
            try InboundQueue.recordFailure(id, error: "template missing", quarantineAt: 1, now: 2, in: db)
            return id
        }
    }

    @Test("A requeued mail is processed once and answered; a second requeue is refused")
    func requeuedRunsOnce() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice")
        let id = try await quarantined(mail(subject: "CREDITS", body: "", authenticated: true), uid: 1, in: bot)
        #expect(try await bot.daemon.store.write { db in try Quarantine.requeue(id, now: 3, in: db) } == .requeued)
        let before = bot.submitter.accepted.count
        _ = try await bot.daemon.runOnce()
        let answers = try bot.submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
        #expect(answers.map(\.memberEvent) == ["credits"])
        let row = try await bot.daemon.store.read { db in try InboundQueue.find(id, in: db) }
        #expect(row?.state == .done)
        #expect(try await bot.daemon.store.write { db in try Quarantine.requeue(id, now: 4, in: db) } == .notQuarantined(state: "done"))
    }

    @Test("A requeued mail whose command already ran from another copy is ignored as a replay, not run twice")
    func requeuedCopyIsAReplay() async throws {
        let bot = try await MemberHarness()
        try await bot.addMember("alice@example.com", name: "Alice", credits: 10)
        try await bot.addMember("admin@example.org", name: "Admin")
        let grant = mail(
            from: "Admin <admin@example.org>", subject: "GRANT alice@example.com 5", body: "", messageID: "grant-1@example.org",
            authenticated: true)
        let first = try await bot.send(grant)
        #expect(first.contains { $0.memberEvent == "credits.granted" })
        #expect(try await bot.member("alice@example.com")?.credits == 15)

        let id = try await quarantined(grant, uid: 7, in: bot)
        #expect(try await bot.daemon.store.write { db in try Quarantine.requeue(id, now: 3, in: db) } == .requeued)
        let before = bot.submitter.accepted.count
        _ = try await bot.daemon.runOnce()
        #expect(bot.submitter.accepted.count == before, "no second answer")
        #expect(try await bot.member("alice@example.com")?.credits == 15, "the grant did not run twice")
        let row = try await bot.daemon.store.read { db in try InboundQueue.find(id, in: db) }
        #expect(row?.state == .ignored && row?.disposition == "replay")
    }
}
