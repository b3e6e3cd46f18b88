import Foundation
import GRDB
import RefbotCore
import RefbotDaemon
import RefbotHTTP
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// One reply with numbered lines to a dashboard or digest, over real SQLite and fake transports.
@Suite("Numbered replies to the dashboard and digest")
struct NumberedReplyPipelineTests {
    /// The owner has two referrals waiting for an answer: R-1 (Carol Diaz) and R-2 (Dan Evans).
    static func world(configure: (inout RefbotDaemon.Configuration) -> Void = { _ in }) async throws -> ReferralWorld {
        let world = try await ReferralWorld(configure: configure)
        let listingId = world.listingId
        let now = world.clock.now
        try await world.daemon.store.write { db in
            let ledger = StoreLedger(db)
            let owner = try #require(try ledger.member(email: ReferralWorld.owner))
            let referrer = try #require(try ledger.member(email: ReferralWorld.referrer))
            for (name, email) in [("Carol Diaz", "carol@diaz.example"), ("Dan Evans", "dan@evans.example")] {
                var referral = Referral(
                    listingId: listingId, ownerId: owner.id ?? 0, referrerId: referrer.id ?? 0, customerName: name,
                    customerEmail: email, need: "A new kitchen", createdAt: now, deliveredAt: now)
                try ledger.save(&referral)
            }
        }
        return world
    }

    /// The owner's STATUS answer.
    static func dashboard(_ world: ReferralWorld, of member: String = ReferralWorld.owner) async throws -> ParsedMessage {
        let mails = try await world.send(from: member, subject: "STATUS", authenticated: false)
        return try the("dashboard", to: member, in: mails)
    }

    /// A reply to `mail`'s reply address.
    static func reply(
        _ world: ReferralWorld, from: String = ReferralWorld.owner, to mail: ParsedMessage, _ body: String,
        authenticated: Bool = false
    ) async throws -> [ParsedMessage] {
        try await world.send(
            from: from, to: try #require(mail.replyAddress), subject: "Re: \(mail.subject)", body: body,
            authenticated: authenticated)
    }

    static func state(_ world: ReferralWorld, _ id: Int64) async throws -> ReferralState? {
        try await world.referral(id)?.state
    }

    @Test("The dashboard numbers each waiting item and gives each its own reply address and words")
    func numberedDashboard() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let body = dashboard.textBody
        #expect(body.contains("1. R-1: Carol Diaz for \"Kitchen remodels\" waits for your answer."))
        #expect(body.contains("2. R-2: Dan Evans for \"Kitchen remodels\" waits for your answer."))
        #expect(body.contains("Reply 1 ACCEPT or 1 REJECT"))
        let itemAddresses = body.split(separator: "\n").filter { $0.contains("ACCEPT by mail: mailto:referrals+") }
        #expect(itemAddresses.count == 2)
        #expect(Set(itemAddresses).count == 2, "each item has its own address")
        let mailAddress = try #require(dashboard.replyAddress)
        #expect(mailAddress.hasPrefix("referrals+"))
        #expect(!itemAddresses.contains { $0.contains(mailAddress) }, "items are not answered at the mail's own address")
    }

    @Test("One reply acts on two items in any order; the referrer hears of each; the owner gets one command.done listing both")
    func severalInOneReply() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let mails = try await Self.reply(world, to: dashboard, "2 REJECT not my area\n1. accept")
        #expect(try await Self.state(world, 1) == .accepted)
        #expect(try await Self.state(world, 2) == .rejected)
        #expect(try await world.referral(2)?.rejectReason == "not my area")
        let done = mails.filter { $0.event == "command.done" }
        #expect(done.count == 1)
        #expect(done.first?.recipients == [ReferralWorld.owner])
        let text = try #require(done.first?.textBody)
        #expect(text.contains("> 2 REJECT not my area\nDone. You rejected R-2"))
        #expect(text.contains("> 1. accept\nDone. You accepted R-1"))
        #expect(done.first?.subject == "Done: All 2 lines of your reply were carried out.")
        #expect(mails.filter { $0.event == "referral.accepted" }.map(\.recipients) == [[ReferralWorld.referrer]])
        #expect(mails.filter { $0.event == "referral.rejected" }.map(\.recipients) == [[ReferralWorld.referrer]])
        #expect(mails.count == 3)
    }

    @Test("An illegal move, a word the item does not take and a number the mail did not list are answered; the other lines still run")
    func badLinesDoNotStopGoodOnes() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let mails = try await Self.reply(world, to: dashboard, "1 ACCEPT\n1 REJECT\n1 WON $5,000\n7 ACCEPT\n2 REJECT")
        #expect(try await Self.state(world, 1) == .accepted)
        #expect(try await Self.state(world, 2) == .rejected)
        let done = mails.filter { $0.event == "command.done" }
        #expect(done.count == 1)
        let text = try #require(done.first?.textBody)
        #expect(done.first?.subject == "Done: 2 of the 5 lines of your reply were carried out.")
        #expect(text.contains("> 1 REJECT\nNot done: "))
        #expect(text.contains("> 1 WON $5,000\nNot done: Item 1 (R-1) takes ACCEPT or REJECT, not WON."))
        #expect(text.contains("What would work: Write 1 ACCEPT or 1 REJECT on its own line."))
        #expect(text.contains("> 7 ACCEPT\nNot done: The mail you replied to has no item 7: it listed items 1 to 2."))
        #expect(mails.filter { $0.event == "command.error" }.isEmpty)
    }

    @Test("Attack: the same item twice is one action; the second line is an illegal move, not a second credit spent")
    func duplicateLines() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let mails = try await Self.reply(world, to: dashboard, "1 ACCEPT\n1 ACCEPT")
        #expect(try await world.member(ReferralWorld.owner)?.credits == 9)
        #expect(mails.filter { $0.event == "referral.accepted" }.count == 1)
        let text = try #require(mails.first { $0.event == "command.done" }?.textBody)
        #expect(text.contains("> 1 ACCEPT\nNot done: R-1 is already accepted."), "\(text)")
    }

    @Test("Attack: a forwarded dashboard answered by another member acts on nothing; their CONFIRM runs nothing either")
    func forwardedToAnotherMember() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let held = try await Self.reply(world, from: ReferralWorld.stranger, to: dashboard, "1 ACCEPT\n2 REJECT")
        #expect(held.map(\.event) == ["command.confirm"])
        #expect(held.first?.recipients == [ReferralWorld.stranger])
        #expect(try await Self.state(world, 1) == .pending)
        let confirmed = try await world.send(
            from: ReferralWorld.stranger, to: try #require(held.first?.replyAddress), subject: "Re", body: "CONFIRM",
            authenticated: false)
        #expect(try await Self.state(world, 1) == .pending)
        #expect(try await Self.state(world, 2) == .pending)
        #expect(confirmed.map(\.event) == ["command.done"])
        let text = try #require(confirmed.first?.textBody)
        #expect(text.contains("Not done: Item 1 was listed for another member, so we did not act on it."))
        #expect(try await world.member(ReferralWorld.owner)?.credits == 10)
    }

    @Test("Attack: a forwarded dashboard answered with a forged From: asks that From: address to confirm and acts on nothing")
    func forgedFrom() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let mails = try await Self.reply(world, from: "mallory@evil.example", to: dashboard, "1 ACCEPT")
        #expect(mails.map(\.event) == ["command.confirm"])
        #expect(mails.first?.recipients == ["mallory@evil.example"])
        #expect(try await Self.state(world, 1) == .pending)
    }

    @Test("Attack: another member with a DMARC pass answering a forwarded dashboard acts on nothing; each line says why")
    func provenOtherMember() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let mails = try await Self.reply(world, from: ReferralWorld.stranger, to: dashboard, "1 ACCEPT", authenticated: true)
        #expect(try await Self.state(world, 1) == .pending)
        #expect(mails.map(\.event) == ["command.done"])
        #expect(mails.first?.textBody.contains("Item 1 was listed for another member") == true)
    }

    @Test("Attack: numbers belong to the mail answered: an older dashboard's number is not in the new one, and acts again on nothing")
    func olderDashboard() async throws {
        let world = try await Self.world()
        let older = try await Self.dashboard(world)
        _ = try await Self.reply(world, to: older, "1 ACCEPT")
        let newer = try await Self.dashboard(world)
        // R-2 still waits for an answer, so it comes first now; R-1 waits for its outcome.
        #expect(newer.textBody.contains("1. R-2: Dan Evans"))
        #expect(newer.textBody.contains("2. R-1: Carol Diaz for \"Kitchen remodels\" (you accepted): how did it go?"))
        let missing = try await Self.reply(world, to: newer, "3 ACCEPT")
        #expect(missing.first?.textBody.contains("has no item 3: it listed items 1 to 2.") == true)
        let again = try await Self.reply(world, to: older, "1 ACCEPT")
        #expect(again.map(\.event) == ["command.done"])
        #expect(try await world.member(ReferralWorld.owner)?.credits == 9)
        _ = try await Self.reply(world, to: newer, "2 WON $1,200")
        #expect(try await Self.state(world, 1) == .won)
        #expect(try await world.referral(1)?.wonAmount == Money(amountMinor: 120_000, currency: "USD"))
    }

    @Test("Attack: an item whose referral closed since the mail is refused as moved on")
    func closedSince() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        _ = try await world.send(from: ReferralWorld.owner, subject: "REJECT R-1", authenticated: true)
        #expect(try await Self.state(world, 1) == .rejected)
        let mails = try await Self.reply(world, to: dashboard, "1 ACCEPT")
        #expect(try await Self.state(world, 1) == .rejected)
        #expect(mails.first?.textBody.contains("Not done: R-1 has moved on since that mail") == true)
        #expect(try await world.member(ReferralWorld.owner)?.credits == 10)
    }

    @Test("Attack: 200 lines in one reply: 30 are read, the rest are counted in the answer, and only one action happens per item")
    func twoHundredLines() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let body = (1...200).map { _ in "1 ACCEPT" }.joined(separator: "\n")
        let mails = try await Self.reply(world, to: dashboard, body)
        #expect(mails.count == 2)
        #expect(mails.filter { $0.event == "referral.accepted" }.count == 1)
        #expect(try await world.member(ReferralWorld.owner)?.credits == 9)
        let text = try #require(mails.first { $0.event == "command.done" }?.textBody)
        #expect(text.contains("We read the first 30 numbered lines; the other 170 were not carried out."))
    }

    @Test("The digest numbers its items too: a numbered reply to it acts, and STOP to it still unsubscribes")
    func digest() async throws {
        let world = try await Self.world(configure: { $0.network.digestDays = 7 })
        world.clock.advance(by: 7 * 86_400 + 1)
        let before = world.submitter.accepted.count
        _ = try await world.daemon.runOnce()
        let sent = try world.submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
        let digest = try the("digest", to: ReferralWorld.owner, in: sent)
        #expect(digest.textBody.contains("1. R-1: Carol Diaz"))
        _ = try await Self.reply(world, to: digest, "1 ACCEPT\n2 REJECT")
        #expect(try await Self.state(world, 1) == .accepted)
        #expect(try await Self.state(world, 2) == .rejected)
        _ = try await Self.reply(world, to: digest, "STOP")
        #expect(try await world.member(ReferralWorld.owner)?.announcementsOff == true)
    }
    @Test("After what waits come a listing near its end (CLOSE), a followed member's new listing (SHOW) and training (no word), in that order")
    func newsAfterWhatWaits() async throws {
        let world = try await Self.world()
        let now = world.clock.now
        let (listingId, otherId) = (world.listingId, world.secondListingId)
        try await world.daemon.store.write { db in
            let ledger = StoreLedger(db)
            let owner = try #require(try ledger.member(email: ReferralWorld.owner))
            let stranger = try #require(try ledger.member(email: ReferralWorld.stranger))
            _ = try ledger.follow(followerId: owner.id ?? 0, followedId: stranger.id ?? 0, now: now)
            var listing = try #require(try ledger.listing(id: listingId))
            listing.expiresAt = now + 3 * 86_400
            try ledger.save(&listing)
            try db.execute(
                sql: "INSERT INTO announcement (title, link, body, createdAt) VALUES ('Asking for referrals', NULL, 'x', ?)",
                arguments: [now])
        }
        let dashboard = try await Self.dashboard(world)
        let body = dashboard.textBody
        #expect(body.contains("3. L-\(listingId) \"Kitchen remodels\" ends on "))
        #expect(body.contains("Reply 3 CLOSE"))
        #expect(body.contains("4. L-\(otherId) \"Bathroom tiling\": new from Carl Stranger, whom you follow."))
        #expect(body.contains("Reply 4 SHOW"))
        #expect(body.contains("5. Training: Asking for referrals"))
        #expect(!body.contains("Reply 5"))
        let mails = try await Self.reply(world, to: dashboard, "4 SHOW\n5 ACCEPT")
        #expect(try the("listing", to: ReferralWorld.owner, in: mails).subject.contains("Bathroom tiling"))
        let text = try #require(mails.first { $0.event == "command.done" }?.textBody)
        #expect(text.contains("> 4 SHOW\nDone. We sent you the answer in its own mail."))
        #expect(text.contains("> 5 ACCEPT\nNot done: Item 5 is news and takes no word."))
        let help = try await world.send(from: ReferralWorld.owner, subject: "HELP", authenticated: false)
        #expect(try the("help", to: ReferralWorld.owner, in: help).textBody.contains("One reply to that\nmail can answer several items"))
    }
    @Test("Each item's own mailto: address and one-click link name that item alone, like a single notification's")
    func itemLinks() async throws {
        let world = try await Self.world()
        let lines = try await Self.dashboard(world).textBody.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let links = lines.filter { $0.hasPrefix("REJECT on the web: ") }.compactMap { $0.components(separatedBy: "/a/").last }
        #expect(links.count == 2)
        let described = try await world.daemon.links.describe(token: try #require(links.last))
        #expect(described.word == "REJECT")
        #expect(described.ref == "R-2")
        #expect(described.memberEmail == ReferralWorld.owner)
        let mailto = try #require(lines.last { $0.hasPrefix("ACCEPT by mail: mailto:") })
        let address = try #require(mailto.dropFirst("ACCEPT by mail: mailto:".count).split(separator: "?").first)
        _ = try await world.send(from: ReferralWorld.owner, to: String(address), subject: "Re: ACCEPT", body: "ACCEPT", authenticated: false)
        #expect(try await Self.state(world, 2) == .accepted)
        #expect(try await Self.state(world, 1) == .pending)
    }
    @Test("A numbered reply to a dashboard whose own address no longer proves the owner is held; the owner's CONFIRM runs every line")
    func heldThenConfirmed() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let address = try #require(dashboard.replyAddress)
        let token = String(try #require(address.split(separator: "@").first?.split(separator: "+").last))
        try await world.daemon.store.write { db in
            try StoreLedger(db).revokeReplyTag(hash: ReplyTag.hash(token), at: world.clock.now)
        }
        let held = try await Self.reply(world, to: dashboard, "1 ACCEPT\n2 REJECT")
        #expect(held.map(\.event) == ["command.confirm"])
        #expect(held.first?.textBody.contains("> 1 ACCEPT\n> 2 REJECT") == true, "the confirmation shows every line")
        #expect(try await Self.state(world, 1) == .pending)
        let confirmed = try await world.send(
            from: ReferralWorld.owner, to: try #require(held.first?.replyAddress), subject: "Re", body: "CONFIRM",
            authenticated: false)
        #expect(try await Self.state(world, 1) == .accepted)
        #expect(try await Self.state(world, 2) == .rejected)
        #expect(confirmed.filter { $0.event == "command.done" }.count == 1)
    }

    @Test("A line that names another object than its item's is refused: the number decides, not a reference typed after it")
    func otherObjectNamed() async throws {
        let world = try await Self.world()
        let dashboard = try await Self.dashboard(world)
        let mails = try await Self.reply(world, to: dashboard, "1 ACCEPT R-2\n2 REJECT R-2 not my area")
        #expect(try await Self.state(world, 1) == .pending)
        #expect(try await Self.state(world, 2) == .rejected)
        #expect(try await world.referral(2)?.rejectReason == "not my area")
        #expect(mails.first { $0.event == "command.done" }?.textBody.contains("Not done: Item 1 is R-1, not R-2.") == true)
    }
}
