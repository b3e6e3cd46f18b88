import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// What the owner of a listing is shown about a referred customer, and what erasure leaves.
@Suite("Customers' data")
struct CustomerDataTests {
    /// The CSV attachment of the EXPORT answer in `mails`.
    func csv(_ mails: [ParsedMessage]) throws -> String {
        let export = try the("export", to: ReferralWorld.owner, in: mails)
        let part = try #require(export.parts.first { $0.filename?.hasSuffix(".csv") == true })
        return String(decoding: part.body, as: UTF8.self)
    }

    @Test("With customer_consent = ask, EXPORT gives the owner no referral before delivery and no contact after NO")
    func exportFollowsConsent() async throws {
        let world = try await ReferralWorld { $0.network.customerConsent = "ask" }
        let first = try await world.refer()
        #expect(!(try csv(try await world.send(from: ReferralWorld.owner, subject: "EXPORT"))).contains("Carol"))
        let agreed = try await world.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        let question = try the("customer.consent", to: "carol@diaz.example", in: agreed)
        #expect(!(try csv(try await world.send(from: ReferralWorld.owner, subject: "EXPORT"))).contains("Carol"))
        _ = try await world.send(
            from: "carol@diaz.example", to: try #require(question.replyAddress), subject: "Re", body: "NO",
            authenticated: false)
        let afterNo = try csv(try await world.send(from: ReferralWorld.owner, subject: "EXPORT"))
        #expect(!afterNo.contains("carol@diaz.example") && !afterNo.contains("555-0100"), "\(afterNo)")
        // The referrer, who wrote them, still sees the details of the customer they referred.
        let referrerMails = try await world.send(from: ReferralWorld.referrer, subject: "EXPORT")
        let referrerExport = try #require(referrerMails.first { $0.event == "export" })
        let referrerCSV = String(decoding: try #require(referrerExport.parts.first { $0.filename != nil }).body, as: UTF8.self)
        #expect(referrerCSV.contains("referral sent,R-1,rejected,"))
        #expect(referrerCSV.contains("carol@diaz.example"))
    }

    @Test("A referral whose customer was erased cannot be redirected with REFER L-m")
    func erasedCustomerIsNotRedirected() async throws {
        let world = try await ReferralWorld(reward: .perLead(Money(amountMinor: 5_000, currency: "USD")))
        let first = try await world.refer()
        let agreed = try await world.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        let rejected = try await world.send(
            from: ReferralWorld.owner, to: try #require(try the("referral.received", to: ReferralWorld.owner, in: agreed).replyAddress),
            subject: "Re", body: "REJECT Too far away", authenticated: false)
        let note = try the("referral.rejected", to: ReferralWorld.referrer, in: rejected)
        let now = world.clock.now
        let erasure = try await world.daemon.store.write { db in
            try StoreLedger(db).erase(email: "carol@diaz.example", now: now, currentMessageID: nil)
        }
        #expect(erasure.referralIds == [1])
        let redirect = try await world.send(
            from: ReferralWorld.referrer, to: try #require(note.replyAddress), subject: "Re",
            body: "REFER L-\(world.secondListingId)", authenticated: false)
        let error = try the("command.error", to: ReferralWorld.referrer, in: redirect)
        #expect(error.textBody.contains("erase"))
        #expect(try await world.referral(2) == nil)
    }

    @Test("FORGET from a member who left still erases; from an unknown address it says there is nothing to forget")
    func forgetAfterLeave() async throws {
        let world = try await ReferralWorld()
        _ = try await world.send(from: ReferralWorld.stranger, subject: "LEAVE")
        let done = try await world.send(from: ReferralWorld.stranger, subject: "FORGET")
        #expect(try the("command.done", to: ReferralWorld.stranger, in: done).textBody.contains("erased"))
        #expect(try await world.member(ReferralWorld.stranger) == nil)
        let again = try await world.send(from: ReferralWorld.stranger, subject: "FORGET")
        #expect(try the("command.error", to: ReferralWorld.stranger, in: again).textBody.contains("nothing to forget"))
    }

    @Test("After the owner sends FORGET, mail about their referrals is not sent to the placeholder address")
    func erasedOwnerIsNotMailed() async throws {
        let world = try await ReferralWorld()
        let first = try await world.refer()
        let agreed = try await world.send(
            from: ReferralWorld.referrer,
            to: try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress),
            subject: "Re", body: "AGREE", authenticated: false)
        _ = try the("referral.received", to: ReferralWorld.owner, in: agreed)
        _ = try await world.send(from: ReferralWorld.owner, subject: "FORGET")
        // Half the expiry later the pending referral would be reminded to its owner.
        world.clock.advance(by: 8 * 86_400)
        let before = world.submitter.accepted.count
        _ = try await world.daemon.runOnce()
        let sent = try world.submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
        #expect(!sent.contains { $0.recipients.contains { $0.hasSuffix("@erased.invalid") } })
        let queued = try await world.daemon.store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE recipients LIKE 'erased-%'")
        }
        #expect(queued == 0)
        // The reminder was due (the scheduler acted on the referral); only its mail was withheld.
        #expect(try await world.referral(1)?.remindedAt != nil)
        #expect(try await world.referral(1)?.state == .pending)
    }
}
