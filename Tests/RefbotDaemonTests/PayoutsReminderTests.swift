import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// The January `admin.payouts.reminder`: once a year, to the admins, never twice after a restart.
@Suite("Payouts reminder")
struct PayoutsReminderTests {
    /// The first second of `year`, UTC.
    static func january(_ year: Int) -> Int64 { PayoutReport.bounds(year: year).start }

    func reminders(_ world: ReferralWorld) async throws -> [ParsedMessage] {
        let before = world.submitter.accepted.count
        _ = try await world.daemon.runOnce()
        return try world.submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
            .filter { $0.header("X-Refbot-Event") == "admin.payouts.reminder" }
    }

    @Test("The admins get one reminder in January naming last year's command, none in other months, and one again next January")
    func oncePerYear() async throws {
        let world = try await ReferralWorld(configure: { $0.bot.admins = ["admin@example.org"] })
        // September 2026 (the clock's start): no reminder.
        #expect(try await reminders(world).isEmpty)
        world.clock.advance(by: Self.january(2027) + 3600 - world.clock.now)
        let first = try await reminders(world)
        #expect(first.count == 1)
        #expect(first.first?.to.map(\.address) == ["admin@example.org"])
        #expect(first.first?.subject.contains("2026") == true)
        #expect(first.first?.textBody.contains("refbot admin payouts --year 2026") == true)
        // Later passes in January find the queued reminder in the outbox (the record a restart reads too).
        world.clock.advance(by: 86_400)
        #expect(try await reminders(world).isEmpty)
        let recorded = try await world.daemon.store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE event = 'admin.payouts.reminder'")
        }
        #expect(recorded == 1)
        world.clock.advance(by: 20 * 86_400)
        #expect(try await reminders(world).isEmpty)
        world.clock.advance(by: Self.january(2028) + 60 - world.clock.now)
        let second = try await reminders(world)
        #expect(second.count == 1)
        #expect(second.first?.subject.contains("2027") == true)
    }
}
