import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

@Suite("Referral history")
struct ReferralHistoryTests {
    @Test("Each referral change is recorded with the member who made it, by mail, and the inbound mail that carried it")
    func historyNamesWhoAndHow() async throws {
        let world = try await ReferralWorld()
        let first = try await world.refer()
        let agree = try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress)
        let agreed = try await world.send(
            from: "Alice Example <\(ReferralWorld.referrer)>", to: agree, subject: "Re: terms", body: "AGREE", authenticated: false)
        let ownerAddress = try #require(try the("referral.received", to: ReferralWorld.owner, in: agreed).replyAddress)
        _ = try await world.send(
            from: "Bob Builder <\(ReferralWorld.owner)>", to: ownerAddress, subject: "Re: R-1", body: "ACCEPT", authenticated: false)

        let (events, report) = try await world.daemon.store.read { db in
            (try LedgerHistory.events(ref: "R-1", in: db), try ReferralDesk.report(id: 1, now: 2_000_000_000, in: db))
        }
        #expect(events.map(\.action) == ["created", "state"])
        #expect(events.map(\.actor) == [ReferralWorld.referrer, ReferralWorld.owner])
        #expect(events.map(\.method) == [.mail, .mail])
        #expect(events.allSatisfy { $0.inboundId != nil })
        #expect(events.last?.fromState == "pending" && events.last?.toState == "accepted")
        let text = try #require(report).joined(separator: "\n")
        #expect(text.contains("pending → accepted, by \(ReferralWorld.owner) by mail, inbound mail"))
        #expect(text.contains("referrer agreed") && text.contains("by reply") && text.contains("evidence id ev-"))
    }

    @Test("A suspended member's command is refused with a clear answer and changes nothing; HELP still works")
    func suspendedCommandRefused() async throws {
        let world = try await ReferralWorld()
        _ = try await world.daemon.store.write { db in
            try MemberAdmin.suspend(email: ReferralWorld.referrer, reason: nil, actor: "admin", now: 1, in: db)
        }
        let refused = try await world.refer()
        #expect(refused.map(\.event) == ["command.error"])
        #expect(refused.first?.textBody.contains("is suspended, so REFER was not carried out") == true)
        #expect(try await world.referral(1) == nil)
        let help = try await world.send(from: ReferralWorld.referrer, subject: "HELP")
        #expect(help.map(\.event) == ["help"])
    }
}
