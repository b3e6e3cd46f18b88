import Foundation
import GRDB
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Testing

/// Providers' replies as they word them: which say "too many" and what a refusal means.
@Suite("Provider replies")
struct ProviderReplyTests {
    @Test(
        "Quota and rate-limit replies are recognised, in the providers' own words",
        arguments: [
            (550, "550 5.4.5 Daily user sending quota exceeded. d2sm1234567qkb.12 - gsmtp"),
            (550, "550-5.4.5 Daily sending quota exceeded. Learn more at https://support.google.com/mail/?p=SendingLimits"),
            (421, "421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating from your IP address."),
            (421, "421 4.7.0 Temporary System Problem. Try again later (rate limited)."),
            (452, "452 4.5.3 Your message has too many recipients."),
            (554, "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed to process message due to a permanent exception"),
            (432, "432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded"),
            (451, "451 4.7.1 Rate limit exceeded, try again later"),
            (550, "550 5.7.1 Sending rate limit exceeded for this account"),
            (421, "421 Too many messages from this client, slow down"),
        ])
    func quota(code: Int, text: String) {
        #expect(ProviderReply.isQuota(code: code, text: text))
    }

    @Test(
        "Replies about one mail or one recipient are not quota replies",
        arguments: [
            (552, "552-5.2.2 The email account that you tried to reach is over quota."),
            (452, "452 4.2.2 The email account that you tried to reach is over quota."),
            (550, "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown"),
            (421, "421 4.3.2 Service shutting down"),
            (554, "554 5.7.1 <client.example.net>: Client host rejected: Access denied"),
            (451, "451 4.3.0 Temporary lookup failure"),
            (550, "550 5.7.26 This mail is unauthenticated, which poses a security risk to the sender"),
        ])
    func notQuota(code: Int, text: String) {
        #expect(!ProviderReply.isQuota(code: code, text: text))
    }

    @Test("A daily quota is told from a per-minute rate")
    func daily() {
        #expect(ProviderReply.isDailyQuota(text: "550 5.4.5 Daily user sending quota exceeded."))
        #expect(ProviderReply.isDailyQuota(text: "554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"))
        #expect(!ProviderReply.isDailyQuota(text: "421 4.7.0 Try again later (rate limited)"))
    }

    @Test("The enhanced status code is read from a reply line, with or without a continuation dash")
    func enhancedStatus() {
        #expect(ProviderReply.enhancedStatus(in: "535 5.7.139 Authentication unsuccessful") == "5.7.139")
        #expect(ProviderReply.enhancedStatus(in: "534-5.7.9 Application-specific password required.") == "5.7.9")
        #expect(ProviderReply.enhancedStatus(in: "550 5.4.5. Daily limit") == "5.4.5")
        #expect(ProviderReply.enhancedStatus(in: "SMTP server 10.0.0.1:587 refused it") == nil)
        #expect(ProviderReply.enhancedStatus(in: "421 Service not available") == nil)
    }

    @Test(
        "check-config's table explains each refusal the way the provider words it",
        arguments: [
            (535, "535 5.7.139 Authentication unsuccessful, basic authentication is disabled.", "Exchange Online", "authenticated SMTP"),
            (535, "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant.", "Exchange Online", "OAuth2"),
            (550, "550 5.7.30 Basic authentication is not supported for Client Submission.", "Exchange Online", "OAuth2"),
            (535, "535 5.7.3 Authentication unsuccessful", "Exchange Online", "smtp.username"),
            (534, "534-5.7.9 Application-specific password required. Learn more at https://support.google.com/mail/?p=InvalidSecondFactor", "Google", "app password"),
            (535, "535-5.7.8 Username and Password not accepted. Learn more at https://support.google.com/mail/?p=BadCredentials", "Google", "app password"),
            (534, "534-5.7.14 <https://accounts.google.com/signin/continue?...> Please log in via your web browser and then try again.", "Google", "browser"),
            (0, "IMAP server imap.gmail.com:993 refused the login: [ALERT] Application-specific password required: https://support.google.com/accounts/answer/185833 (Failure)", "Google", "app password"),
            (0, "IMAP server outlook.office365.com:993 refused the login: A1 NO AUTHENTICATE failed.", "Exchange Online", "OAuth2"),
            (550, "550 5.4.5 Daily user sending quota exceeded.", "Google", "smtp.max_per_day"),
        ])
    func explanations(code: Int, text: String, provider: String, remedy: String) throws {
        let explanation = try #require(ProviderReply.explain(code: code, text: text))
        #expect(explanation.provider == provider)
        #expect(explanation.remedy.contains(remedy), "\(explanation.remedy)")
    }

    @Test("A reply the table does not know gets no made-up explanation")
    func unknown() {
        #expect(ProviderReply.explain(code: 550, text: "550 5.1.1 User unknown") == nil)
        #expect(ProviderReply.explain(code: 535, text: "535 Authentication failed") == nil)
    }
}

/// smtp.max_per_minute / smtp.max_per_day, answers before bulk mail, quota replies and the
/// hourly delivery.failed summary, over real SQLite with a fake SMTP server and clock.
@Suite("Sending limits")
struct SendingLimitsTests {
    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let clock = ManualClock()
    let logs = LogCapture()

    init() throws {
        directory = try TemporaryDirectory()
    }

    private func daemon(_ configure: (inout RefbotDaemon.Configuration) -> Void = { _ in }) async throws -> Daemon {
        var configuration = testConfiguration(in: directory)
        configure(&configuration)
        return try await buildDaemon(
            configuration, environment: [:], logger: logs.logger, clock: clock.daemonClock, mailbox: mailbox,
            submitter: submitter)
    }

    /// Queues one mail of `event` to `recipients`, due now.
    @discardableResult
    private func queue(_ daemon: Daemon, event: String, to recipients: [String] = ["m@example.com"]) async throws -> Int64 {
        let now = clock.now
        return try await daemon.store.write { db in
            try Outbox.enqueue(
                OutboxMessage(
                    event: event, ref: nil, recipients: recipients, messageId: UUID().uuidString + "@example.org",
                    raw: Data("Subject: \(event)\r\n\r\nbody\r\n".utf8), queuedAt: now),
                envelopeFrom: { "referrals+bounce-\($0)@example.org" }, in: db)
        }
    }

    private func sentEvents() -> [String] {
        submitter.accepted.map { String(decoding: $0.data, as: UTF8.self).split(separator: "\r\n").first.map(String.init) ?? "" }
    }

    @Test("Provider limits: Exchange Online 30 a minute and 10 000 a day, Google 2 000 a day, own server none")
    func presets() {
        #expect(SendingLimits.forProvider("microsoft365") == SendingLimits(perMinute: 30, perDay: 10_000))
        #expect(SendingLimits.forProvider("google") == SendingLimits(perMinute: 0, perDay: 2_000))
        #expect(SendingLimits.forProvider("own").isUnlimited)
        #expect(RefbotDaemon.Configuration().sendingLimits.isUnlimited)
        #expect(SendingLimits(perMinute: 30, perDay: 100).allowance(sentLastMinute: 10, sentLastDay: 95) == 5)
        #expect(SendingLimits(perMinute: 30, perDay: 0).allowance(sentLastMinute: 31, sentLastDay: 0) == 0)
        #expect(SendingLimits.unlimited.allowance(sentLastMinute: 1000, sentLastDay: 1000) == nil)
    }

    @Test("smtp.max_per_minute: no more than that many recipients in any 60 seconds, counted from the outbox across a restart")
    func perMinute() async throws {
        let first = try await daemon { $0.smtp.maxPerMinute = 2 }
        for _ in 0..<5 { try await queue(first, event: "help") }
        #expect(try await first.sender.runOnce() == 2)
        clock.advance(by: 30)
        #expect(try await first.sender.runOnce() == 0)
        #expect(logs.all.filter { $0.contains("Sending limit reached") }.count == 1)

        // A new process counts what the old one sent.
        let second = try await daemon { $0.smtp.maxPerMinute = 2 }
        #expect(try await second.sender.runOnce() == 0)
        clock.advance(by: 31)
        #expect(try await second.sender.runOnce() == 2)
        clock.advance(by: 61)
        #expect(try await second.sender.runOnce() == 1)
        #expect(submitter.accepted.count == 5)
    }

    @Test("smtp.max_per_day counts recipients, not mails, over a rolling 24 hours")
    func perDay() async throws {
        let daemon = try await daemon { $0.smtp.maxPerDay = 3 }
        try await queue(daemon, event: "help", to: ["a@example.com", "b@example.com"])
        try await queue(daemon, event: "help", to: ["c@example.com", "d@example.com"])
        try await queue(daemon, event: "help")
        #expect(try await daemon.sender.runOnce() == 1)
        clock.advance(by: 3600)
        #expect(try await daemon.sender.runOnce() == 0, "two more recipients would make 4 in a day")
        clock.advance(by: 86_400 - 3600)
        #expect(try await daemon.sender.runOnce() == 2)
        #expect(submitter.accepted.flatMap(\.recipients).count == 5)
    }

    @Test("Answers and notices go before announcements, new listings and digests while the limit holds mail back")
    func answersFirst() async throws {
        let daemon = try await daemon { $0.smtp.maxPerMinute = 2 }
        try await queue(daemon, event: "training.announcement")
        try await queue(daemon, event: "digest")
        try await queue(daemon, event: "listing.new")
        try await queue(daemon, event: "help")
        try await queue(daemon, event: "referral.received")
        #expect(try await daemon.sender.runOnce() == 2)
        #expect(sentEvents() == ["Subject: help", "Subject: referral.received"])
        clock.advance(by: 61)
        #expect(try await daemon.sender.runOnce() == 2)
        #expect(sentEvents().suffix(2) == ["Subject: training.announcement", "Subject: digest"])
    }

    @Test("A provider's quota reply defers the mail, tells no one, and holds the whole Sender back, longer each time")
    func quotaHoldsBack() async throws {
        let daemon = try await daemon()
        submitter.refuse(with: .temporary(.quota, "550 5.7.1 Sending rate limit exceeded", serverCode: 550))
        try await queue(daemon, event: "help")
        #expect(try await daemon.sender.runOnce() == 0)
        var rows: [OutboxMessage] = try await daemon.store.read { db in try Outbox.list(state: .pending, in: db) }
        #expect(rows.map(\.event) == ["help"], "deferred, not failed, and no delivery.failed")
        #expect(rows.first?.nextAttemptAt == clock.now + 60)

        // The server would take mail again, but the Sender waits out its hold.
        submitter.refuse(with: nil)
        try await queue(daemon, event: "referral.received")
        clock.advance(by: 30)
        #expect(try await daemon.sender.runOnce() == 0)
        #expect(submitter.accepted.isEmpty)

        // Refused again after the hold: the next hold is twice as long.
        submitter.refuse(with: .temporary(.quota, "421 4.7.0 Try again later (rate limited)", serverCode: 421))
        clock.advance(by: 31)
        #expect(try await daemon.sender.runOnce() == 0)
        rows = try await daemon.store.read { db in try Outbox.list(state: .pending, in: db) }
        #expect(rows.allSatisfy { $0.nextAttemptAt == clock.now + 120 })
        #expect(logs.all.filter { $0.contains("SMTP quota reached") }.count == 2)

        submitter.refuse(with: nil)
        clock.advance(by: 121)
        #expect(try await daemon.sender.runOnce() == 2)
        let failed = try await daemon.store.read { db in try Outbox.list(state: .failed, in: db) }
        #expect(failed.isEmpty)
    }

    @Test("A daily quota holds the Sender back for an hour at once")
    func dailyQuota() async throws {
        let daemon = try await daemon()
        submitter.refuse(with: .temporary(.quota, "550 5.4.5 Daily user sending quota exceeded.", serverCode: 550))
        try await queue(daemon, event: "help")
        _ = try await daemon.sender.runOnce()
        let row = try #require(try await daemon.store.read { db in try Outbox.list(state: .pending, in: db) }.first)
        #expect(row.nextAttemptAt == clock.now + 3600)
    }

    @Test("Mail given up on is reported in one delivery.failed summary an hour, not one mail per failure")
    func hourlyFailureSummary() async throws {
        let daemon = try await daemon()
        submitter.refuse(with: .permanent(.rejected, "550 5.1.1 no such user", serverCode: 550))
        try await queue(daemon, event: "help", to: ["first@example.com"])
        _ = try await daemon.sender.runOnce()
        for index in 0..<3 {
            clock.advance(by: 600)
            try await queue(daemon, event: "help", to: ["later\(index)@example.com"])
            _ = try await daemon.sender.runOnce()
        }
        func reports() async throws -> [OutboxMessage] {
            try await daemon.store.read { db in
                try OutboxMessage.fetchAll(db, sql: "SELECT * FROM outboxMessage WHERE event = 'delivery.failed' ORDER BY id")
            }
        }
        var sent = try await reports()
        #expect(sent.count == 1, "the first failure is reported at once, the next three wait")
        #expect(sent.first?.recipientList == ["admin@example.org"])
        #expect(try MessageParser.parse([UInt8](sent[0].raw)).textBody.contains("first@example.com"))

        submitter.refuse(with: nil)
        clock.advance(by: 1200)
        _ = try await daemon.sender.runOnce()
        #expect(try await reports().count == 1, "less than an hour since the last summary")
        clock.advance(by: 601)
        _ = try await daemon.sender.runOnce()
        sent = try await reports()
        try #require(sent.count == 2)
        let summary = try MessageParser.parse(try #require(submitter.accepted.last).data)
        #expect(summary.header("X-Refbot-Event") == "delivery.failed")
        #expect(summary.subject.contains("3 mails could not be delivered"))
        for index in 0..<3 { #expect(summary.textBody.contains("later\(index)@example.com")) }
        #expect(!summary.textBody.contains("first@example.com"))
        // Four mails and the first summary itself (its own failure is never reported).
        #expect(logs.all.filter { $0.contains("SMTP gave up") }.count == 5)
    }
}

/// `smtp.max_per_minute`, `smtp.max_per_day` and `imap.also_poll` as the TOML file gives them.
@Suite("Provider configuration keys")
struct ProviderConfigurationTests {

    static func parse(imap: String = "", smtp: String = "") throws -> RefbotDaemon.Configuration {
        let text = ConfigurationTests.minimal
            .replacingOccurrences(of: "[smtp]", with: imap + "\n[smtp]") + "\n" + smtp + "\n"
        return try RefbotDaemon.Configuration.parse(text, environment: ["REFBOT_IMAP_PASSWORD": "x"])
    }

    static func problems(imap: String = "", smtp: String = "") -> [String: String] {
        do {
            _ = try parse(imap: imap, smtp: smtp)
            return [:]
        } catch let error as ConfigError {
            return Dictionary(error.problems.map { ($0.key, "\($0.problem); \($0.remedy)") }, uniquingKeysWith: { a, _ in a })
        } catch {
            return ["?": "\(error)"]
        }
    }

    @Test("Defaults: no sending limit, no extra folder, processed_folder not set")
    func defaults() throws {
        let c = try Self.parse()
        #expect(c.smtp.maxPerMinute == 0 && c.smtp.maxPerDay == 0)
        #expect(c.sendingLimits.isUnlimited)
        #expect(c.imap.alsoPoll.isEmpty)
        #expect(!c.imap.processedFolderIsSet)
        #expect(try Self.parse(imap: "processed_folder = \"Processed\"").imap.processedFolderIsSet)
    }

    @Test("The keys read as written")
    func set() throws {
        let c = try Self.parse(imap: "also_poll = [\"Junk\", \"\\\\Junk\"]", smtp: "max_per_minute = 30\nmax_per_day = 10000")
        #expect(c.sendingLimits == SendingLimits(perMinute: 30, perDay: 10_000))
        #expect(c.imap.alsoPoll == ["Junk", "\\Junk"])
    }

    @Test("Bad values name the key and what would work")
    func problems() {
        var found = Self.problems(smtp: "max_per_minute = -1\nmax_per_day = \"lots\"")
        #expect(found["smtp.max_per_minute"]?.contains("at least 0") == true, "\(found)")
        #expect(found["smtp.max_per_day"]?.contains("not a whole number") == true, "\(found)")
        found = Self.problems(smtp: "max_per_minute = 50\nmax_per_day = 20")
        #expect(found["smtp.max_per_minute"]?.contains("no larger than max_per_day") == true, "\(found)")
        found = Self.problems(imap: "also_poll = [\"Processed\"]")
        #expect(found["imap.also_poll"]?.contains("files mail into") == true, "\(found)")
        found = Self.problems(imap: "also_poll = \"Junk\"")
        #expect(found["imap.also_poll"]?.contains("not a list") == true, "\(found)")
    }
}
