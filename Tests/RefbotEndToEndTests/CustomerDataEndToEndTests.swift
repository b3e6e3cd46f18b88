import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

/// Customers' data and consent over real SMTP and IMAP with the built `refbot` binary: what the
/// owner is shown before and after the customer's answer, LEAVE, FORGET, `refbot admin erase`, and
/// the purge of raw mail after `mail.retention_days`.
@Suite("Customers' data against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct CustomerDataEndToEndTests {
    static let referrer = "alice@example.test"
    static let owner = "bob@example.test"
    static let customer = "carol@example.test"
    static let proven = "[auth]\ntrusted_authserv_id = \"\(SenderProof.authservID)\""

    /// Alice and Bob are members and connected; Bob has two live listings.
    func seed(_ bot: BotFixture) async throws -> Store {
        let store = try Store(path: bot.databasePath)
        try await store.write { db in
            let ledger = StoreLedger(db)
            let now = Int64(Date().timeIntervalSince1970)
            var alice = Member(email: Self.referrer, name: "Alice Example", state: .active, credits: 10, joinedAt: now)
            var bob = Member(
                email: Self.owner, name: "Bob Roe", business: "Roe Kitchens", city: "Springfield",
                website: "https://roe-kitchens.example", phone: "555-0199", about: "Kitchens since 1990",
                state: .active, credits: 10, joinedAt: now)
            try ledger.save(&alice)
            try ledger.save(&bob)
            for title in ["Kitchen remodels", "Bathroom tiling"] {
                var listing = Listing(
                    ownerId: bob.id ?? 0, title: title, category: "Home improvement",
                    customer: "Homeowners", reward: .perLead(Money(amountMinor: 5_000, currency: "USD")),
                    state: .live, createdAt: now)
                try ledger.save(&listing)
            }
            var connection = Connection(
                requesterId: alice.id ?? 0, addresseeId: bob.id ?? 0, state: .accepted, createdAt: now, decidedAt: now)
            try ledger.save(&connection)
        }
        return store
    }

    /// A reply to `original`'s Reply-To, as a mail client sends it, with the original quoted.
    func reply(_ bot: BotFixture, from: String, to original: ParsedMessage, body: String) async throws {
        try await bot.reply(from: from, to: original, body: body)
    }

    /// One pass of the daemon over mail that has arrived.
    func pass(_ bot: BotFixture) async throws { try await bot.pass() }

    /// The newest mail of `event` in `user`'s inbox, waiting for their inbox to hold `count`.
    func latest(_ bot: BotFixture, _ user: String, _ event: String, count: Int) async throws -> ParsedMessage {
        let mails = try await bot.mailbox(user, atLeast: count)
        return try #require(mails.last { $0.header("X-Refbot-Event") == event }, "no \(event) for \(user)")
    }

    /// Bob's EXPORT (CSV text) and STATUS (dashboard text), read from his inbox.
    func exportAndStatus(_ bot: BotFixture, inboxBefore: Int) async throws -> (csv: String, status: String) {
        // Proven, so the answers do not count against the cap on answers to unproven addresses.
        try await bot.send(from: Self.owner, name: "Bob Roe", subject: "EXPORT", body: "", extraHeaders: [SenderProof.header()])
        try await bot.send(from: Self.owner, name: "Bob Roe", subject: "STATUS", body: "", extraHeaders: [SenderProof.header()])
        try await pass(bot)
        let mails = try await bot.mailbox(Self.owner, atLeast: inboxBefore + 2)
        let export = try #require(mails.last { $0.header("X-Refbot-Event") == "export" })
        let file = try #require(export.parts.first { $0.filename?.hasSuffix(".csv") == true })
        let dashboard = try #require(mails.last { $0.header("X-Refbot-Event") == "dashboard" })
        return (String(decoding: file.body, as: UTF8.self), dashboard.textBody)
    }

    /// Alice refers Carol to `listing` with a proven mail and agrees to its terms by reply.
    func referAndAgree(_ bot: BotFixture, listing: String, aliceInbox: Int) async throws {
        try await bot.send(
            from: Self.referrer, subject: "REFER \(listing)",
            body: """
                Customer: Carol Diaz
                Email: \(Self.customer)
                Phone: 555-0100
                Need: A new kitchen before summer
                Consent: yes
                """, extraHeaders: [SenderProof.header()])
        try await pass(bot)
        let request = try await latest(bot, Self.referrer, "agreement.request", count: aliceInbox + 2)
        try await reply(bot, from: Self.referrer, to: request, body: "AGREE")
        try await pass(bot)
    }

    @Test("customer_consent = ask: before delivery and after NO the owner's EXPORT and STATUS name no customer; after YES exactly what referral.received gave")
    func consentGatesContactDetails() async throws {
        try await BotFixture.with(extraSMTP: Self.proven + "\n[network]\ncustomer_consent = \"ask\"") { bot in
            _ = try await seed(bot)

            // R-1 waits for Alice's AGREE: Bob is shown nothing about Carol.
            try await bot.send(
                from: Self.referrer, subject: "REFER L-1",
                body: """
                    Customer: Carol Diaz
                    Email: \(Self.customer)
                    Phone: 555-0100
                    Need: A new kitchen before summer
                    Consent: yes
                    """, extraHeaders: [SenderProof.header()])
            try await pass(bot)
            var (csv, status) = try await exportAndStatus(bot, inboxBefore: 0)
            for secret in ["Carol", Self.customer, "555-0100", "A new kitchen"] {
                #expect(!csv.contains(secret), "EXPORT before AGREE shows \(secret):\n\(csv)")
                #expect(!status.contains(secret), "STATUS before AGREE shows \(secret):\n\(status)")
            }

            // Alice agrees: Carol is asked; Bob still sees nothing.
            let request = try await latest(bot, Self.referrer, "agreement.request", count: 2)
            try await reply(bot, from: Self.referrer, to: request, body: "AGREE")
            try await pass(bot)
            let question = try await latest(bot, Self.customer, "customer.consent", count: 1)
            (csv, status) = try await exportAndStatus(bot, inboxBefore: 3)
            for secret in ["Carol", Self.customer, "555-0100"] {
                #expect(!csv.contains(secret), "EXPORT before consent shows \(secret):\n\(csv)")
                #expect(!status.contains(secret), "STATUS before consent shows \(secret):\n\(status)")
            }

            // Carol says NO: Bob never gets her details, not even by EXPORT.
            try await reply(bot, from: Self.customer, to: question, body: "NO")
            try await pass(bot)
            (csv, status) = try await exportAndStatus(bot, inboxBefore: 5)
            for secret in [Self.customer, "555-0100"] {
                #expect(!csv.contains(secret), "EXPORT after NO shows \(secret):\n\(csv)")
                #expect(!status.contains(secret), "STATUS after NO shows \(secret):\n\(status)")
            }
            let bobEvents = try await bot.mailbox(Self.owner, atLeast: 7).compactMap { $0.header("X-Refbot-Event") }
            #expect(!bobEvents.contains("referral.received"))

            // R-2 to L-2: Carol says YES; referral.received gives her details, and EXPORT shows exactly those.
            try await referAndAgree(bot, listing: "L-2", aliceInbox: 4)
            let second = try await latest(bot, Self.customer, "customer.consent", count: 3)
            try await reply(bot, from: Self.customer, to: second, body: "YES")
            try await pass(bot)
            let received = try await latest(bot, Self.owner, "referral.received", count: 9)
            #expect(received.textBody.contains(Self.customer))
            #expect(received.textBody.contains("555-0100"))
            (csv, status) = try await exportAndStatus(bot, inboxBefore: 9)
            let rows = csv.split(separator: "\r\n").filter { $0.hasPrefix("referral received") }
            #expect(rows.count == 1, "\(csv)")
            #expect(rows.first?.hasPrefix("referral received,R-2,") == true)
            #expect(rows.first?.contains("Carol Diaz") == true)
            #expect(rows.first?.contains(Self.customer) == true)
            #expect(rows.first?.contains("555-0100") == true)
            #expect(!csv.contains("R-1"), "R-1 never reached Bob:\n\(csv)")
            #expect(status.contains("R-2: Carol Diaz"))
        }
    }

    @Test("LEAVE takes the member's listings out of SEARCH and SHOW at once")
    func leaveHidesListings() async throws {
        try await BotFixture.with(extraSMTP: Self.proven) { bot in
            _ = try await seed(bot)
            try await bot.send(from: "carol@example.test", name: "Carol", subject: "SEARCH kitchen", body: "")
            try await pass(bot)
            let before = try await latest(bot, "carol@example.test", "search.results", count: 1)
            #expect(before.textBody.contains("Kitchen remodels"))

            try await bot.send(from: Self.owner, name: "Bob Roe", subject: "LEAVE", body: "", extraHeaders: [SenderProof.header()])
            try await pass(bot)
            #expect(try await latest(bot, Self.owner, "command.done", count: 1).textBody.contains("left"))

            try await bot.send(from: "carol@example.test", name: "Carol", subject: "SEARCH kitchen", body: "")
            try await bot.send(from: "carol@example.test", name: "Carol", subject: "SHOW L-1", body: "")
            try await pass(bot)
            let mails = try await bot.mailbox("carol@example.test", atLeast: 3)
            let results = mails.filter { $0.header("X-Refbot-Event") == "search.results" }
            #expect(results.count == 2)
            let after = try #require(results.last)
            #expect(!after.textBody.contains("Kitchen remodels"), "\(after.textBody)")
            #expect(!mails.contains { $0.header("X-Refbot-Event") == "listing" })
            #expect(mails.contains { $0.header("X-Refbot-Event") == "command.error" && $0.textBody.contains("SHOW L-1") })
        }
    }

    /// Every text and blob value in every table, to look for a person's data.
    static func allValues(_ db: Database) throws -> [(table: String, text: String)] {
        let tables = try String.fetchAll(
            db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'listingSearch%'")
        var values: [(String, String)] = []
        for table in tables {
            for row in try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"") {
                for (_, value) in row {
                    switch value.storage {
                    case .string(let text): values.append((table, text))
                    case .blob(let data): values.append((table, String(decoding: data, as: UTF8.self)))
                    default: break
                    }
                }
            }
        }
        return values
    }

    @Test("refbot admin erase removes a customer everywhere, FORGET (confirmed) erases a member's profile; ledger rows stay")
    func eraseCustomerAndForgetMember() async throws {
        try await BotFixture.with(extraSMTP: Self.proven) { bot in
            let store = try await seed(bot)
            // R-1: Carol reaches Bob (referrer consent), Bob accepts.
            try await referAndAgree(bot, listing: "L-1", aliceInbox: 0)
            let received = try await latest(bot, Self.owner, "referral.received", count: 2)
            try await reply(bot, from: Self.owner, to: received, body: "ACCEPT")
            try await pass(bot)
            _ = try await latest(bot, Self.referrer, "referral.accepted", count: 4)

            let countsSQL = "SELECT (SELECT COUNT(*) FROM referral), (SELECT COUNT(*) FROM agreement), (SELECT COUNT(*) FROM listing), (SELECT COUNT(*) FROM member), (SELECT COUNT(*) FROM connection), (SELECT COUNT(*) FROM inboundMessage), (SELECT COUNT(*) FROM outboxMessage)"
            let countsBefore = try await store.read { db in try Row.fetchOne(db, sql: countsSQL).map { Array($0.databaseValues) } }
            let holdsCarol = try await store.read { db in
                try Self.allValues(db).filter { $0.text.lowercased().contains(Self.customer) || $0.text.contains("Carol Diaz") }.map(\.table)
            }
            #expect(Set(holdsCarol).isSuperset(of: ["referral", "inboundMessage", "outboxMessage"]))

            let erase = try await RefbotProcess.run(
                ["admin", "erase", "--config", bot.configPath, "Carol@Example.test"], environment: bot.environment)
            #expect(erase.status == 0, "\(erase.stderr)")
            #expect(erase.stdout.contains("R-1"), "\(erase.stdout)")
            let leftovers = try await store.read { db in
                try Self.allValues(db).filter { $0.text.lowercased().contains(Self.customer) || $0.text.contains("Carol Diaz") || $0.text.contains("555-0100") }
                    .map(\.table)
            }
            #expect(leftovers.isEmpty, "Carol is still in \(leftovers)")
            let fileBytes = try [bot.databasePath, bot.databasePath + "-wal"].filter { FileManager.default.fileExists(atPath: $0) }
                .map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
            for bytes in fileBytes {
                #expect(bytes.range(of: Data(Self.customer.utf8)) == nil, "the database file still holds Carol's address")
            }
            let nobody = try await RefbotProcess.run(
                ["admin", "erase", "--config", bot.configPath, "nobody@example.test"], environment: bot.environment)
            #expect(nobody.status == 1)
            #expect(nobody.stderr.contains("nobody@example.test"), "\(nobody.stderr)")

            // Bob sends FORGET without proof: held, then confirmed by reply.
            try await bot.send(from: Self.owner, name: "Bob Roe", subject: "FORGET", body: "")
            try await pass(bot)
            let confirm = try await latest(bot, Self.owner, "command.confirm", count: 4)
            try await reply(bot, from: Self.owner, to: confirm, body: "CONFIRM")
            try await pass(bot)
            let done = try await latest(bot, Self.owner, "command.done", count: 5)
            #expect(done.textBody.contains("erased"), "\(done.textBody)")
            let columns = ["state", "email", "name", "business", "city", "website", "phone", "about"]
            let bob = try await store.read { db in
                try Row.fetchOne(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM member WHERE id = 2")
                    .map { row in columns.map { row[$0] as String? } }
            }
            let row = try #require(bob)
            #expect(row[0] == "left")
            #expect(row[1]?.contains("bob") == false)
            #expect(row[2]?.contains("Bob") == false)
            for (index, column) in columns.enumerated().dropFirst(3) {
                #expect(row[index] == nil, "\(column) kept")
            }
            let bobLeft = try await store.read { db in
                try Self.allValues(db).filter { $0.table != "inboundMessage" && $0.table != "outboxMessage" }
                    .filter { $0.text.contains("555-0199") || $0.text.contains("Roe Kitchens") || $0.text.contains("Kitchens since") }
                    .map(\.table)
            }
            #expect(bobLeft.isEmpty, "Bob's profile is still in \(bobLeft)")
            let countsAfter = try await store.read { db in try Row.fetchOne(db, sql: countsSQL).map { Array($0.databaseValues) } }
            // Ledger rows stay (the two last counts are the mail queues, which grew by the FORGET round trip).
            #expect(countsBefore.map { Array($0.prefix(5)) } == countsAfter.map { Array($0.prefix(5)) })
            let referral = try await store.read { db in
                try Row.fetchOne(db, sql: "SELECT state, ownerId FROM referral WHERE id = 1").map { ($0[0] as String, $0[1] as Int64) }
            }
            #expect(referral?.0 == "accepted")
            #expect(referral?.1 == 2)
        }
    }

    @Test("mail.retention_days: done and sent raw mail older than that is purged; waiting rows are not; ledger rows stay")
    func retentionPurgesRawMail() async throws {
        try await BotFixture.with(extraSMTP: Self.proven + "\n[mail]\nretention_days = 30") { bot in
            let store = try await seed(bot)
            // A HELP (answered) and a PROFILE change that waits for CONFIRM.
            try await bot.send(from: Self.referrer, subject: "HELP", body: "", messageID: "help-1@example.test")
            try await bot.send(
                from: Self.owner, name: "Bob Roe", subject: "PROFILE", body: "City: Shelbyville",
                messageID: "profile-1@example.test")
            try await pass(bot)
            _ = try await bot.mailbox(Self.referrer, atLeast: 1)
            let confirm = try await latest(bot, Self.owner, "command.confirm", count: 1)
            // A mail that waits for a retry, and time moves on 31 days for everything so far.
            let day: Int64 = 86_400
            let now = Int64(Date().timeIntervalSince1970)
            try await store.write { db in
                try db.execute(sql: """
                    INSERT INTO outboxMessage (event, ref, recipients, envelopeFrom, messageId, raw, state, attempts, firstQueuedAt, nextAttemptAt)
                    SELECT event, ref, recipients, envelopeFrom, 'retry-' || messageId, raw, 'pending', 1, ?, ?
                    FROM outboxMessage WHERE event = 'help'
                    """, arguments: [now - 40 * day, now + 365 * day])
                try db.execute(sql: "UPDATE inboundMessage SET receivedAt = receivedAt - ?, processedAt = processedAt - ?", arguments: [31 * day, 31 * day])
                try db.execute(sql: "UPDATE outboxMessage SET firstQueuedAt = firstQueuedAt - ?, sentAt = sentAt - ? WHERE state = 'sent'", arguments: [31 * day, 31 * day])
                try db.execute(sql: "UPDATE heldCommand SET createdAt = createdAt - ?", arguments: [31 * day])
            }
            let membersBefore = try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM member") }

            // A fresh STATUS in the same pass as the purge.
            try await bot.send(from: Self.referrer, subject: "STATUS", body: "", messageID: "status-1@example.test")
            try await pass(bot)
            _ = try await latest(bot, Self.referrer, "dashboard", count: 2)

            let inbound = try await store.read { db in
                try Row.fetchAll(db, sql: "SELECT messageId, length(raw) FROM inboundMessage")
                    .reduce(into: [String: Int]()) { sizes, row in sizes[row[0] as String? ?? ""] = row[1] as Int }
            }
            #expect(inbound.count == 3)
            #expect(inbound["help-1@example.test"] == 0, "the old HELP mail is kept: \(inbound)")
            #expect(inbound["profile-1@example.test"] ?? 0 > 0, "the PROFILE mail waiting for CONFIRM was purged: \(inbound)")
            #expect(inbound["status-1@example.test"] ?? 0 > 0, "the fresh STATUS mail was purged: \(inbound)")
            let purgedAt = try await store.read { db in
                try Int64.fetchOne(db, sql: "SELECT purgedAt FROM inboundMessage WHERE messageId = 'help-1@example.test'")
            }
            #expect(purgedAt != nil)
            let outbox = try await store.read { db in
                try Row.fetchAll(db, sql: "SELECT event, state, length(raw) FROM outboxMessage ORDER BY id")
                    .map { ($0[0] as String, $0[1] as String, $0[2] as Int) }
            }
            for (event, state, size) in outbox {
                if state == "pending" || event == "dashboard" {
                    #expect(size > 0, "\(event) \(state) purged")
                } else {
                    #expect(size == 0, "\(event) \(state) kept: \(outbox)")
                }
            }
            #expect(try await store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM member") } == membersBefore)

            // The held PROFILE change still runs on CONFIRM.
            try await reply(bot, from: Self.owner, to: confirm, body: "CONFIRM")
            try await pass(bot)
            let city = try await store.read { db in try String.fetchOne(db, sql: "SELECT city FROM member WHERE id = 2") }
            #expect(city == "Shelbyville")
        }
    }
}
