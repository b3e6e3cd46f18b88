import Foundation
#if canImport(Glibc)
import Glibc
#endif
import RefbotMail
import RefbotTestSupport
import RefbotTransport
import Testing
import GRDB
import RefbotCore
import RefbotStore

/// A mail stack plus a refbot configuration pointing at it, in a temporary folder.
struct BotFixture {
    let stack: MailStack
    let directory: String
    let configPath: String
    /// Where the daemon's HTTP server listens and its one-click links point: a free loopback port.
    let webBase: String
    var databasePath: String { directory + "/refbot.sqlite" }

    /// Environment for the refbot process: the passwords.
    let environment = ["REFBOT_IMAP_PASSWORD": "botpass", "REFBOT_SMTP_PASSWORD": "botpass"]

    /// `recognitionTop` is `network.recognition_top`: 0 (the monthly recognition mail off) unless a
    /// suite tests it, so suites that seed last month's referrals count only their own mail.
    static func start(extraSMTP: String = "", imapTLS: String = "imaps", recognitionTop: Int = 0) async throws -> BotFixture {
        try TestEnvironment.requireServers()
        let stack = try await MailStack.start()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let httpPort = try freeLoopbackPort()
        let imapURL = imapTLS == "imaps"
            ? "imaps://127.0.0.1:\(stack.imapsPort)/INBOX" : "imap://127.0.0.1:\(stack.imapPort)/INBOX"
        let toml = """
            [bot]
            address = "bot@example.test"
            name = "Test Referral Network"
            admins = ["admin@example.test"]
            database = "\(directory)/refbot.sqlite"
            templates = "\(RefbotProcess.packageRoot)/mail-templates"
            secret_file = "\(directory)/secret"
            base_url = "http://127.0.0.1:\(httpPort)"
            [http]
            listen = "127.0.0.1:\(httpPort)"
            metrics_listen = "127.0.0.1:0"
            [imap]
            url = "\(imapURL)"
            username = "bot@example.test"
            poll_seconds = 1
            ca_file = "\(stack.caFile)"
            [smtp]
            url = "smtps://127.0.0.1:\(stack.smtpsPort)"
            username = "bot@example.test"
            ca_file = "\(stack.caFile)"
            \(BotFixture.withRecognitionTop(recognitionTop, extraSMTP))
            """
        let configPath = directory + "/refbot.toml"
        try toml.write(toFile: configPath, atomically: true, encoding: .utf8)
        return BotFixture(
            stack: stack, directory: directory, configPath: configPath, webBase: "http://127.0.0.1:\(httpPort)")
    }

    /// Runs `body` with a fresh fixture and always stops the servers afterwards.
    static func with(
        extraSMTP: String = "", imapTLS: String = "imaps", recognitionTop: Int = 0, _ body: (BotFixture) async throws -> Void
    ) async throws {
        let fixture = try await start(extraSMTP: extraSMTP, imapTLS: imapTLS, recognitionTop: recognitionTop)
        do {
            try await body(fixture)
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }

    func stop() async {
        await stack.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `refbot run --once` against the stack.
    func runOnce() async throws -> RefbotProcess.Result {
        try await RefbotProcess.run(["run", "--once", "--config", configPath], environment: environment)
    }

    /// Alice (or another user) mails the bot through the stack's port 25, as her provider would.
    func send(from: String = "alice@example.test", name: String = "Alice Example", subject: String, body: String,
              messageID: String = UUID().uuidString + "@example.test", extraHeaders: [String] = []) async throws {
        let lines = ["From: \(name) <\(from)>", "To: bot@example.test", "Subject: \(subject)",
                     "Message-ID: <\(messageID)>", "Date: Mon, 23 Nov 2026 10:00:00 +0000"] + extraHeaders
        let raw = lines.joined(separator: "\r\n") + "\r\n\r\n" + body.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n"
        try await stack.deliver(Array(raw.utf8), from: from, to: ["bot@example.test"])
    }

    /// Delivers raw bytes to the bot as they are.
    func sendRaw(_ raw: [UInt8], from: String = "alice@example.test") async throws {
        try await stack.deliver(raw, from: from, to: ["bot@example.test"])
    }

    /// The messages in a folder of a user's mailbox, parsed, waiting for at least `count`.
    func mailbox(_ user: String, folder: String = "INBOX", atLeast count: Int, timeout: Duration = .seconds(30)) async throws -> [ParsedMessage] {
        let password = MailStack.standardUsers[user] ?? ""
        return try await stack.messages(user: user, password: password, folder: folder, atLeast: count, timeout: timeout)
            .map { try MessageParser.parse($0.raw) }
    }

    /// Puts raw bytes straight into a user's Maildir, as no SMTP server would pass them on
    /// (NUL bytes: Postfix rewrites them). The Maildir must exist (after a first delivery).
    func dropIntoMaildir(user: String, _ raw: [UInt8], name: String) throws {
        let parts = user.split(separator: "@")
        let maildir = "\(stack.directory)/mail/\(parts[1])/\(parts[0])/Maildir"
        let path = "\(maildir)/new/\(Int(Date().timeIntervalSince1970)).\(name).refbot-test"
        guard FileManager.default.createFile(atPath: path, contents: Data(raw)) else {
            throw MailStackError("cannot write \(path)")
        }
        // Dovecot reads mail as the system user "mail".
        if let mail = getpwnam("mail") {
            _ = chown(path, mail.pointee.pw_uid, mail.pointee.pw_gid)
        }
    }

    /// The raw messages in a folder, for mail that may not parse.
    func rawMailbox(_ user: String, folder: String = "INBOX", atLeast count: Int, timeout: Duration = .seconds(30)) async throws -> [[UInt8]] {
        let password = MailStack.standardUsers[user] ?? ""
        return try await stack.messages(user: user, password: password, folder: folder, atLeast: count, timeout: timeout).map(\.raw)
    }

    /// How many messages a user's folder holds now.
    func count(_ user: String, folder: String = "INBOX") async throws -> Int {
        let password = MailStack.standardUsers[user] ?? ""
        return try await stack.messages(user: user, password: password, folder: folder, atLeast: 0, timeout: .seconds(5)).count
    }
}

extension BotFixture {
    /// `extra` with `network.recognition_top = top` under its `[network]` table, or in a new one.
    static func withRecognitionTop(_ top: Int, _ extra: String) -> String {
        let line = "recognition_top = \(top)"
        if extra.contains("[network]") { return extra.replacingOccurrences(of: "[network]", with: "[network]\n\(line)") }
        return extra + "\n[network]\n\(line)"
    }
}

extension BotFixture {
    /// `extraSMTP` for suites that send one address many HELPs to test delivery, not the caps on
    /// answers to unproven addresses (`mail.replies_per_address_per_hour`, default 5).
    static let uncappedReplies = "[mail]\nreplies_per_address_per_hour = 100000\nunproven_replies_per_hour = 100000"
}

extension BotFixture {
    /// One `refbot run --once` over the mail that has reached the bot's inbox.
    func pass() async throws {
        _ = try await mailbox("bot@example.test", atLeast: 1)
        let result = try await runOnce()
        #expect(result.status == 0, "stderr: \(result.stderr)")
    }

    /// A reply from `from`'s client to `original`'s Reply-To: the new text on top, a Gmail-style
    /// quote of `original` below.
    func reply(from: String, to original: ParsedMessage, body: String) async throws {
        let replyTo = try #require(original.header("Reply-To"))
        let quoted = original.textBody.split(separator: "\n", omittingEmptySubsequences: false).map { "> \($0)" }
        let lines = [
            "From: <\(from)>", "To: \(replyTo)", "Subject: Re: \(original.subject)",
            "Message-ID: <\(UUID().uuidString)@example.test>", "In-Reply-To: <\(original.messageID ?? "")>",
            "Date: Mon, 23 Nov 2026 10:05:00 +0000", "",
        ] + body.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) + [
            "", "On Mon, 23 Nov 2026 at 10:01, Test Referral Network <bot@example.test> wrote:",
        ] + quoted
        try await stack.deliver(Array((lines.joined(separator: "\r\n") + "\r\n").utf8), from: from, to: [replyTo])
    }

    /// `referrer` and `owner` as connected members, and the owner's live listing L-1 "Kitchen
    /// remodels" paying $500 per sale.
    func seedConnectedPair(referrer: String, owner: String) async throws -> Store {
        let store = try Store(path: databasePath)
        try await store.write { db in
            let ledger = StoreLedger(db)
            let now: Int64 = 1_790_000_000
            var alice = Member(email: referrer, name: "Alice Example", state: .active, credits: 10, joinedAt: now)
            var bob = Member(
                email: owner, name: "Bob Roe", business: "Roe Kitchens", state: .active, credits: 10, joinedAt: now)
            try ledger.save(&alice)
            try ledger.save(&bob)
            var listing = Listing(
                ownerId: bob.id ?? 0, title: "Kitchen remodels", category: "Home improvement",
                customer: "Homeowners planning a new kitchen", reward: .perSale(Money(amountMinor: 50_000, currency: "USD")),
                state: .live, createdAt: now)
            try ledger.save(&listing)
            var connection = Connection(
                requesterId: alice.id ?? 0, addresseeId: bob.id ?? 0, state: .accepted, createdAt: now, decidedAt: now)
            try ledger.save(&connection)
        }
        return store
    }
}
