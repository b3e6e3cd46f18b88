import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// Reply tags are scoped capabilities (spec §2 path 1), tried over real SMTP and IMAP with the
/// built `refbot` binary by a member who has nothing but a mail client and the mail refbot sent
/// them: a tag proves its member only for the words its mail offered on that mail's object, is
/// never shown to anyone else, is stored hashed, never rides in a link, and dies when it is used
/// up, when its member leaves and when its object closes.
@Suite("Reply tags are scoped capabilities", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct ReplyTagEndToEndTests {
    static let alice = "alice@example.test"
    static let bob = "bob@example.test"
    static let carol = "carol@example.test"
    static let admin = "admin@example.test"
    static let settings = "[auth]\ntrusted_authserv_id = \"\(SenderProof.authservID)\"\n[mail]\nannouncement_rate_per_minute = 600"

    static let referForm = """
        Customer: Carol Diaz
        Email: carol.diaz@example.com
        Need: A new kitchen before summer
        Consent: yes
        """
    static let secondReferForm = """
        Customer: Dan Ortiz
        Email: dan.ortiz@example.com
        Need: A bathroom refit
        Consent: yes
        """

    /// Alice and Bob are members and connected; Bob has a live listing paying $500 per sale.
    func seed(_ bot: BotFixture) async throws -> Store {
        try await bot.seedConnectedPair(referrer: Self.alice, owner: Self.bob)
    }

    /// Runs `refbot run --once` after the bot's inbox has mail.
    func pass(_ bot: BotFixture) async throws { try await bot.pass() }

    /// The mails with `event` in `user`'s INBOX, waiting until there are `count` of them.
    func mails(_ bot: BotFixture, _ user: String, _ event: String, count: Int = 1) async throws -> [ParsedMessage] {
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let found = try await bot.mailbox(user, atLeast: 0, timeout: .seconds(5))
                .filter { $0.header("X-Refbot-Event") == event }
            if found.count >= count { return found }
            if ContinuousClock.now > deadline {
                throw MailStackError("\(user) has \(found.count) \(event) mail, \(count) awaited")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Whether `user` has (or gets within a few seconds) at least `count` mails with `event`.
    func has(_ bot: BotFixture, _ user: String, _ event: String, count: Int) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(8)
        while true {
            if try await self.count(bot, user, event) >= count { return true }
            if ContinuousClock.now > deadline { return false }
            try await Task.sleep(for: .milliseconds(200))
        }
    }

    func latest(_ bot: BotFixture, _ user: String, _ event: String, count: Int = 1) async throws -> ParsedMessage {
        try #require(try await mails(bot, user, event, count: count).last)
    }

    /// How many mails with `event` `user` has now.
    func count(_ bot: BotFixture, _ user: String, _ event: String) async throws -> Int {
        try await bot.mailbox(user, atLeast: 0, timeout: .seconds(5)).filter { $0.header("X-Refbot-Event") == event }.count
    }

    /// A mail from `from` (the real owner or a forger) to `address`, as a mail client sends it.
    func mail(_ bot: BotFixture, from: String, to address: String, subject: String = "Re: your mail", body: String)
        async throws
    {
        let lines = [
            "From: <\(from)>", "To: \(address)", "Subject: \(subject)", "Message-ID: <\(UUID().uuidString)@example.test>",
            "Date: Mon, 23 Nov 2026 10:05:00 +0000", "",
        ] + body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        try await bot.stack.deliver(Array((lines.joined(separator: "\r\n") + "\r\n").utf8), from: from, to: [address])
    }

    /// A reply to `original`'s Reply-To.
    func reply(_ bot: BotFixture, from: String, to original: ParsedMessage, body: String) async throws {
        let replyTo = try #require(original.header("Reply-To"))
        try await mail(bot, from: from, to: replyTo, subject: "Re: \(original.subject)", body: body)
    }

    func referral(_ store: Store, _ id: Int64) async throws -> Referral {
        try #require(try await store.read { db in try StoreLedger(db).referral(id: id) })
    }

    func member(_ store: Store, _ email: String) async throws -> Member {
        try #require(try await store.read { db in try StoreLedger(db).member(email: email) })
    }

    /// Alice refers Carol Diaz to L-1 (proven), agrees to its terms by reply; Bob gets R-1.
    func referAndAgree(_ bot: BotFixture) async throws -> ParsedMessage {
        try await bot.send(from: Self.alice, subject: "REFER L-1", body: Self.referForm, extraHeaders: [SenderProof.header()])
        try await pass(bot)
        let request = try await latest(bot, Self.alice, "agreement.request")
        try await reply(bot, from: Self.alice, to: request, body: "AGREE")
        try await pass(bot)
        return try await latest(bot, Self.bob, "referral.received")
    }

    // MARK: 1. The agreement copy

    @Test("The owner takes the referrer's tag from his agreement.copy and sends RECEIVED and PROFILE as her: nothing changes")
    func ownerCannotActAsReferrerFromAgreementCopy() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            let store = try await seed(bot)
            let received = try await referAndAgree(bot)
            for word in ["ACCEPT", "WON 5000", "PAID"] {
                try await reply(bot, from: Self.bob, to: received, body: word)
                try await pass(bot)
            }
            #expect(try await referral(store, 1).state == .paid)

            // Every tag Alice was given, and the copy Bob got.
            let aliceTags = Set(try await bot.mailbox(Self.alice, atLeast: 1).flatMap { TagAudit.replyToTags($0) })
            #expect(!aliceTags.isEmpty)
            let copy = try await latest(bot, Self.bob, "agreement.copy")
            let leaked = aliceTags.filter { TagAudit.text(of: copy).contains($0) }
            #expect(leaked.isEmpty, "Bob's agreement.copy shows Alice's tag \(leaked)")
            #expect(copy.textBody.contains("Evidence id"))

            // Bob writes as Alice, to her tag if his copy gave him one, else to the bot.
            let target = leaked.first.map { "bot+\($0)@example.test" } ?? "bot@example.test"
            let confirmsBefore = try await count(bot, Self.alice, "command.confirm")
            try await mail(bot, from: Self.alice, to: target, body: "RECEIVED R-1")
            try await pass(bot)
            try await mail(bot, from: Self.alice, to: target, body: "PROFILE\nBusiness: Forged by Bob")
            try await pass(bot)

            #expect(try await referral(store, 1).state == .paid)
            #expect(try await member(store, Self.alice).business == nil)
            // Both were held: Alice herself is asked whether she sent them.
            #expect(try await has(bot, Self.alice, "command.confirm", count: confirmsBefore + 2))
        }
    }

    // MARK: 2. Scope

    @Test("A referral.received tag proves its owner for that R-n's moves only; PROFILE, LEAVE, ACCEPT R-2 and an admin's GRANT to a review tag are held")
    func tagOutsideItsScopeIsHeld() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            let store = try await seed(bot)
            let first = try await referAndAgree(bot)
            try await bot.send(
                from: Self.alice, subject: "REFER L-1", body: Self.secondReferForm, extraHeaders: [SenderProof.header()])
            try await pass(bot)
            _ = try await mails(bot, Self.bob, "referral.received", count: 2)
            #expect(first.subject.hasPrefix("[R-1]"))

            // The admin's listing.review tag proves APPROVE/DECLINE/FEATURE of that listing, not GRANT.
            try await bot.send(
                from: Self.bob, subject: "LISTING Bathroom refits",
                body: "Category: Home improvement\nCustomer: Homeowners with an old bathroom\nReward: $50 per lead",
                extraHeaders: [SenderProof.header()])
            try await pass(bot)
            let review = try await latest(bot, Self.admin, "listing.review")
            try await reply(bot, from: Self.admin, to: review, body: "GRANT bob@example.test 25")
            try await pass(bot)
            #expect(try await member(store, Self.bob).credits == 10)
            #expect(try await has(bot, Self.admin, "command.confirm", count: 1))

            for body in ["PROFILE\nBusiness: Changed through a referral mail", "ACCEPT R-2", "LEAVE"] {
                try await reply(bot, from: Self.bob, to: first, body: body)
                try await pass(bot)
            }
            let bob = try await member(store, Self.bob)
            #expect(bob.business == "Roe Kitchens")
            #expect(bob.state == .active)
            #expect(try await referral(store, 2).state == .pending)
            #expect(try await has(bot, Self.bob, "command.confirm", count: 3))

            // Inside its scope the same tag still works: a bare ACCEPT moves R-1, and R-1 only.
            try await reply(bot, from: Self.bob, to: first, body: "ACCEPT")
            try await pass(bot)
            #expect(try await referral(store, 1).state == .accepted)
            #expect(try await referral(store, 2).state == .pending)
            try await reply(bot, from: Self.admin, to: review, body: "APPROVE")
            try await pass(bot)
            let listing = try await store.read { db in try StoreLedger(db).listing(id: 2) }
            #expect(listing?.state == .live)
        }
    }

    // MARK: 3. Tags that die

    @Test("A CONFIRM tag works once; a member's tag dies when she leaves; a referral's tags die when it closes")
    func tagsDie() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            let store = try await seed(bot)

            // One-shot: the second CONFIRM to the same command.confirm does nothing.
            try await bot.send(from: Self.bob, subject: "PROFILE", body: "Business: Held Change")
            try await pass(bot)
            let confirm = try await latest(bot, Self.bob, "command.confirm")
            try await reply(bot, from: Self.bob, to: confirm, body: "CONFIRM")
            try await pass(bot)
            #expect(try await member(store, Self.bob).business == "Held Change")
            try await bot.send(
                from: Self.bob, subject: "PROFILE", body: "Business: Roe Kitchens", extraHeaders: [SenderProof.header()])
            try await pass(bot)
            try await reply(bot, from: Self.bob, to: confirm, body: "CONFIRM")
            try await pass(bot)
            #expect(try await member(store, Self.bob).business == "Roe Kitchens")

            // R-1 goes to PAID; R-2 is rejected (closed).
            let first = try await referAndAgree(bot)
            try await bot.send(
                from: Self.alice, subject: "REFER L-1", body: Self.secondReferForm, extraHeaders: [SenderProof.header()])
            try await pass(bot)
            let second = try await latest(bot, Self.bob, "referral.received", count: 2)
            #expect(second.subject.hasPrefix("[R-2]"))
            for word in ["ACCEPT", "WON 5000", "PAID"] {
                try await reply(bot, from: Self.bob, to: first, body: word)
                try await pass(bot)
            }
            try await reply(bot, from: Self.bob, to: second, body: "REJECT not my area")
            try await pass(bot)
            #expect(try await referral(store, 1).state == .paid)
            #expect(try await referral(store, 2).state == .rejected)

            // The closed R-2's tag proves nothing any more: the owner's ACCEPT to it is held.
            let bobConfirms = try await count(bot, Self.bob, "command.confirm")
            try await reply(bot, from: Self.bob, to: second, body: "ACCEPT")
            try await pass(bot)
            #expect(try await has(bot, Self.bob, "command.confirm", count: bobConfirms + 1))
            #expect(try await referral(store, 2).state == .rejected)

            // Alice leaves; her R-1 tag no longer proves her RECEIVED.
            let paidNote = try await latest(bot, Self.alice, "referral.updated", count: 2)
            #expect(paidNote.textBody.contains("$500.00"))
            try await bot.send(from: Self.alice, subject: "LEAVE", body: "", extraHeaders: [SenderProof.header()])
            try await pass(bot)
            #expect(try await member(store, Self.alice).state == .left)
            let aliceConfirms = try await count(bot, Self.alice, "command.confirm")
            try await reply(bot, from: Self.alice, to: paidNote, body: "RECEIVED")
            try await pass(bot)
            #expect(try await has(bot, Self.alice, "command.confirm", count: aliceConfirms + 1))
            #expect(try await referral(store, 1).state == .paid)
        }
    }

    // MARK: 4. Where tags go

    @Test("No tag of one person reaches another, the database keeps no clear tag, and no link carries one")
    func tagsStayWithTheirOwner() async throws {
        try await BotFixture.with(extraSMTP: Self.settings) { bot in
            let store = try await seed(bot)
            // Carol joins and confirms; Bob posts a listing the admin approves by reply; Alice
            // refers a customer, Bob takes it to PAID, Alice confirms; the admin announces; Bob asks STATUS.
            try await bot.send(from: Self.carol, subject: "JOIN", body: "Name: Carol Diaz")
            try await pass(bot)
            try await reply(bot, from: Self.carol, to: try await latest(bot, Self.carol, "member.confirm"), body: "CONFIRM")
            try await pass(bot)
            try await bot.send(
                from: Self.bob, subject: "LISTING Bathroom refits",
                body: "Category: Home improvement\nCustomer: Homeowners with an old bathroom\nReward: $50 per lead",
                extraHeaders: [SenderProof.header()])
            try await pass(bot)
            try await reply(bot, from: Self.admin, to: try await latest(bot, Self.admin, "listing.review"), body: "APPROVE")
            try await pass(bot)
            let received = try await referAndAgree(bot)
            for word in ["ACCEPT", "WON 5000", "PAID"] {
                try await reply(bot, from: Self.bob, to: received, body: word)
                try await pass(bot)
            }
            try await reply(bot, from: Self.alice, to: try await latest(bot, Self.alice, "referral.updated", count: 2), body: "RECEIVED")
            try await pass(bot)
            try await bot.send(
                from: Self.admin, subject: "ANNOUNCE", body: "Title: Asking for referrals\n\nThree ways to ask.",
                extraHeaders: [SenderProof.header()])
            try await pass(bot)
            _ = try await latest(bot, Self.carol, "training.announcement")
            try await bot.send(
                from: Self.alice, subject: "REFER L-1", body: Self.secondReferForm, extraHeaders: [SenderProof.header()])
            try await pass(bot)
            _ = try await latest(bot, Self.bob, "referral.received", count: 2)
            try await bot.send(from: Self.bob, subject: "STATUS", body: "")
            try await pass(bot)
            _ = try await latest(bot, Self.bob, "dashboard")
            #expect(try await referral(store, 1).state == .closed)

            // Whose is each tag: the recipient of the mail whose Reply-To carries it.
            var all: [(to: String, mail: ParsedMessage)] = []
            for user in [Self.alice, Self.bob, Self.carol, Self.admin] {
                for mail in try await bot.mailbox(user, atLeast: 1) { all.append((user, mail)) }
            }
            var owner: [String: String] = [:]
            for (to, mail) in all {
                for tag in TagAudit.replyToTags(mail) { owner[tag] = to }
            }
            #expect(owner.count >= 10, "tags seen: \(owner.count)")
            #expect(Set(owner.values) == [Self.alice, Self.bob, Self.carol, Self.admin])

            // No tag of X in a mail to anyone else.
            for (to, mail) in all {
                let text = TagAudit.text(of: mail)
                for (tag, tagOwner) in owner where tagOwner != to && text.contains(tag) {
                    Issue.record("\(mail.header("X-Refbot-Event") ?? "?") to \(to) shows \(tagOwner)'s tag")
                }
            }

            // One-click links (and the https List-Unsubscribe) carry no tag: decode each token.
            var tokens: [String] = []
            for (_, mail) in all { tokens += TagAudit.linkTokens(in: TagAudit.text(of: mail), base: bot.webBase) }
            #expect(tokens.count >= 5, "links seen: \(tokens.count)")
            for token in tokens {
                let bytes = try #require(Base64URL.decode(token))
                let decoded = String(decoding: bytes, as: UTF8.self)
                for tag in owner.keys where decoded.contains(tag) {
                    Issue.record("a link token carries \(owner[tag] ?? "?")'s tag in clear")
                }
            }

            // The database file keeps no clear tag: tags are stored hashed, and the copies of mail
            // sent and acted on have theirs blanked. (Everything is sent: no pending mail remains.)
            #expect(try await store.read { db in try Outbox.depth(in: db) } == 0)
            let queue = try DatabaseQueue(path: bot.databasePath)
            try await queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            try await queue.close()
            let copy = bot.databasePath
            let file = try Data(contentsOf: URL(fileURLWithPath: copy))
            for (tag, tagOwner) in owner where file.range(of: Data(tag.utf8)) != nil {
                Issue.record("the database keeps \(tagOwner)'s tag \(tag) in clear")
            }
        }
    }
}

/// Finding reply tags and link tokens in the mail refbot sent.
enum TagAudit {
    /// The tags in a mail's Reply-To (`bot+TAG@example.test`).
    static func replyToTags(_ mail: ParsedMessage) -> [String] {
        tags(in: mail.header("Reply-To") ?? "")
    }

    /// Every tag-shaped token after `bot+` in `text`.
    static func tags(in text: String) -> [String] {
        var found: [String] = []
        var rest = Substring(text)
        while let range = rest.range(of: "bot+") {
            let tail = rest[range.upperBound...]
            let token = tail.prefix { $0.isLetter || $0.isNumber }
            if token.count >= 16, tail.dropFirst(token.count).first == "@" { found.append(String(token).lowercased()) }
            rest = tail
        }
        return found
    }

    /// All a reader of the mail sees: the header fields, the text and HTML, every attachment.
    static func text(of mail: ParsedMessage) -> String {
        var text = mail.headers.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
        text += "\n" + mail.textBody + "\n" + (mail.htmlBody ?? "")
        for part in mail.parts { text += "\n" + (part.text ?? String(decoding: part.body, as: UTF8.self)) }
        return text
    }

    /// The tokens of `<base>/a/<token>` and `<base>/u/<token>` links in mail text.
    static func linkTokens(in text: String, base: String) -> [String] {
        var found: [String] = []
        for path in ["/a/", "/u/"] {
            var rest = Substring(text)
            while let range = rest.range(of: base + path) {
                let tail = rest[range.upperBound...]
                let token = tail.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
                if !token.isEmpty { found.append(String(token)) }
                rest = tail
            }
        }
        return found
    }
}
