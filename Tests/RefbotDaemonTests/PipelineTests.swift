import Foundation
import GRDB
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Synchronization
import RefbotTestSupport
import Testing

/// The pipeline over real SQLite with in-memory IMAP and SMTP.
@Suite("Pipeline with fake transports")
struct PipelineTests {
    let directory: TemporaryDirectory
    let mailbox = FakeMailbox()
    let submitter = FakeSubmitter()
    let clock = ManualClock()
    let logs = LogCapture()
    let daemon: Daemon

    init() async throws {
        directory = try TemporaryDirectory()
        daemon = try await buildDaemon(
            testConfiguration(in: directory), environment: [:], logger: logs.logger, clock: clock.daemonClock,
            mailbox: mailbox, submitter: submitter)
    }

    private func parsed(_ mail: OutgoingMail) throws -> ParsedMessage {
        try MessageParser.parse(mail.data)
    }

    @Test("HELP is answered once, with the headers of spec §4, and the original is filed")
    func helpRoundTrip() async throws {
        mailbox.deliver(mail(subject: "help", body: "", messageID: "m1@example.com"))
        let summary = try await daemon.runOnce()
        #expect(summary.fetched == 1)
        #expect(summary.processed == 1)
        #expect(summary.sent == 1)
        #expect(mailbox.count("INBOX") == 0)
        #expect(mailbox.count("Processed") == 1)

        let sent = submitter.accepted
        try #require(sent.count == 1)
        #expect(sent[0].recipients == ["alice@example.com"])
        #expect(sent[0].envelopeFrom.hasPrefix("referrals+bounce-"))
        #expect(sent[0].envelopeFrom.hasSuffix("@example.org"))
        let answer = try parsed(sent[0])
        #expect(answer.header("X-Refbot-Event") == "help")
        #expect(answer.header("Auto-Submitted") == "auto-replied")
        #expect(answer.from?.address == "referrals@example.org")
        #expect(answer.from?.displayName == "Example Referral Network")
        #expect(answer.messageID?.hasSuffix("@example.org") == true)
        #expect(answer.inReplyTo == ["m1@example.com"])
        #expect(answer.header("Date") != nil)
        #expect(answer.textBody.contains("HELP"))
        #expect(answer.textBody.contains("> help"))

        // A second pass does nothing more.
        let again = try await daemon.runOnce()
        #expect(again.fetched == 0)
        #expect(submitter.accepted.count == 1)
    }

    @Test("Actionable mail offers the reply word and a mailto: link to the tagged reply address, unescaped")
    func actionLinks() async throws {
        mailbox.deliver(mail(subject: "JOIN", body: "Name: Ann Lee"))
        _ = try await daemon.runOnce()
        let sent = submitter.accepted
        try #require(sent.count == 1)
        let answer = try parsed(sent[0])
        #expect(answer.header("X-Refbot-Event") == "member.confirm")
        let replyTo = try #require(answer.replyTo.first?.address)
        #expect(replyTo.hasPrefix("referrals+"))
        #expect(answer.textBody.contains("CONFIRM"))
        #expect(answer.textBody.contains("mailto:\(replyTo)?subject=CONFIRM&body=CONFIRM"))
        #expect(!answer.textBody.contains("&amp;"))
        #expect(answer.textBody.contains("http://127.0.0.1:8080/a/"))
    }

    @Test("An unknown word gets command.error quoting the line and naming what works")
    func unknownCommand() async throws {
        mailbox.deliver(mail(subject: "Question", body: "Hellp me please\n\nThanks, Alice"))
        _ = try await daemon.runOnce()
        let sent = submitter.accepted
        try #require(sent.count == 1)
        let answer = try parsed(sent[0])
        #expect(answer.header("X-Refbot-Event") == "command.error")
        #expect(answer.header("Auto-Submitted") == "auto-replied")
        #expect(answer.textBody.contains("> Hellp me please"))
        #expect(answer.textBody.contains("Did you mean HELP?"))
        let row = try await daemon.store.read { db in try InboundMessage.fetchOne(db) }
        #expect(row?.state == .done)
        #expect(row?.disposition == "command.error")
    }

    @Test("Auto-replies, bounces of unknown mail, null senders and our own mail are never answered",
          arguments: [
            ("Auto-Submitted: auto-replied", "auto-submitted"),
            ("Precedence: bulk", "precedence"),
            ("List-Id: <news.example.com>", "list-id"),
            ("Return-Path: <>", "null-sender"),
          ])
    func robotsAreIgnored(header: String, rule: String) async throws {
        mailbox.deliver(mail(subject: "HELP", body: "HELP", extraHeaders: [header]))
        _ = try await daemon.runOnce()
        #expect(submitter.accepted.isEmpty)
        let row = try await daemon.store.read { db in try InboundMessage.fetchOne(db) }
        #expect(row?.state == .ignored)
        #expect(row?.disposition == rule)
        #expect(mailbox.count("Processed") == 1)
    }

    @Test("Mail from refbot's own address is never answered")
    func ownMailIgnored() async throws {
        mailbox.deliver(mail(from: "Example Referral Network <referrals@example.org>", subject: "HELP", body: "HELP"))
        _ = try await daemon.runOnce()
        #expect(submitter.accepted.isEmpty)
        let row = try await daemon.store.read { db in try InboundMessage.fetchOne(db) }
        #expect(row?.disposition == "own-address")
    }

    @Test("Past mail.error_replies_per_hour, error replies stop for that sender")
    func errorRepliesAreRateLimited() async throws {
        // The per-address cap on answers to unproven addresses is set above the error cap here.
        var configuration = testConfiguration(in: directory)
        configuration.mail.repliesPerAddressPerHour = 20
        configuration.bot.database = directory.path + "/errors.sqlite"
        let daemon = try await buildDaemon(
            configuration, environment: [:], logger: logs.logger, clock: clock.daemonClock, mailbox: mailbox,
            submitter: submitter)
        for i in 0..<7 { mailbox.deliver(mail(subject: "nonsense \(i)", body: "nonsense")) }
        _ = try await daemon.runOnce()
        #expect(submitter.accepted.count == 5)
        let limited = try await daemon.store.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM inboundMessage WHERE disposition = 'rate-limit'")
        }
        #expect(limited == 2)
        // An hour later the sender is answered again.
        clock.advance(by: 3601)
        mailbox.deliver(mail(subject: "nonsense again", body: "nonsense"))
        _ = try await daemon.runOnce()
        #expect(submitter.accepted.count == 6)
    }

    @Test("A mail past the size limit is quarantined, filed in Quarantine, and the admins are told")
    func oversizeIsQuarantined() async throws {
        var configuration = testConfiguration(in: directory)
        configuration.mail.maxMessageBytes = 4096
        configuration.bot.database = directory.path + "/small.sqlite"
        let small = try await buildDaemon(
            configuration, environment: [:], logger: logs.logger, clock: clock.daemonClock, mailbox: mailbox,
            submitter: submitter)
        mailbox.deliver(mail(subject: "HELP", body: String(repeating: "x", count: 8000), messageID: "big@example.com"))
        mailbox.deliver(mail(subject: "HELP", body: "HELP"))
        _ = try await small.runOnce()
        let rows = try await small.store.read { db in try InboundMessage.order(Column("id")).fetchAll(db) }
        #expect(rows.map(\.state) == [.quarantined, .done])
        #expect(rows[0].quarantineFiled)
        #expect(mailbox.count("Quarantine") == 1)
        #expect(mailbox.count("Processed") == 1)
        let events = try submitter.accepted.map { try parsed($0).header("X-Refbot-Event") ?? "" }
        #expect(events.sorted() == ["help", "message.quarantined"])
        #expect(logs.all.contains { $0.contains("Inbound message quarantined") && $0.contains("inbound.id=1") })
    }

    @Test("A mail too large for the transport to fetch is filed in Quarantine unread; the rest flows")
    func unfetchable() async throws {
        mailbox.state.withLock { $0.maxFetchBytes = 10_000 }
        mailbox.deliver(mail(subject: "HELP", body: ""))
        mailbox.deliver(mail(subject: "HELP", body: String(repeating: "y", count: 20_000)))
        mailbox.deliver(mail(subject: "HELP", body: ""))
        let summary = try await daemon.runOnce()
        #expect(summary.fetched == 2)
        #expect(submitter.accepted.count == 2)
        #expect(mailbox.count("INBOX") == 0)
        #expect(mailbox.count("Quarantine") == 1)
        #expect(mailbox.count("Processed") == 2)
        let states = try await daemon.store.read { db in try InboundMessage.order(Column("uid")).fetchAll(db).map(\.state) }
        #expect(states == [.done, .quarantined, .done])
        // The next poll neither fetches it again nor fails.
        #expect(try await daemon.runOnce().fetched == 0)
    }

    @Test("A mail that cannot be parsed is quarantined at once")
    func malformedIsQuarantined() async throws {
        mailbox.deliver("From: a@example.com\r\nSubject: HELP\r\nContent-Type: multipart/mixed\r\n\r\nno boundary\r\n")
        mailbox.deliver("From: a@example.com\r\nSub\0ject: HELP\r\n\r\nHELP\r\n")
        _ = try await daemon.runOnce()
        let states = try await daemon.store.read { db in try InboundMessage.fetchAll(db).map(\.state) }
        #expect(states == [.quarantined, .quarantined])
        #expect(mailbox.count("Quarantine") == 2)
    }

    @Test("Stored but unmoved mail (a crash after the commit) is moved, not stored or answered again")
    func crashAfterCommitOnlyMoves() async throws {
        let raw = mail(subject: "HELP", body: "")
        let uid = mailbox.deliver(raw)
        // The first run stored the row, then died before moving it.
        try await daemon.store.write { db in
            _ = try InboundQueue.insertIfNew(
                InboundMessage(uidValidity: 7, uid: Int64(uid), messageId: nil, raw: Data(raw.utf8), receivedAt: 1), in: db)
        }
        let summary = try await daemon.runOnce()
        #expect(summary.fetched == 0)
        #expect(submitter.accepted.count == 1, "answered once, from the stored row")
        let count = try await daemon.store.read { db in try InboundMessage.fetchCount(db) }
        #expect(count == 1)
        #expect(mailbox.count("INBOX") == 0)
        #expect(mailbox.count("Processed") == 1)
    }

    @Test("A new UIDVALIDITY with the same message does not store it twice")
    func uidValidityChange() async throws {
        let raw = mail(subject: "HELP", body: "", messageID: "same@example.com")
        mailbox.deliver(raw)
        _ = try await daemon.runOnce()
        // The server renumbers: the same message comes back in the inbox under a new UIDVALIDITY.
        mailbox.state.withLock { $0.uidValidity = 99 }
        mailbox.deliver(raw)
        _ = try await daemon.runOnce()
        let count = try await daemon.store.read { db in try InboundMessage.fetchCount(db) }
        #expect(count == 1)
        #expect(submitter.accepted.count == 1)
        #expect(mailbox.count("INBOX") == 0)
    }

    @Test("While SMTP defers, answers wait with backoff; when it is back they go out once")
    func smtpOutageDefers() async throws {
        submitter.refuse(with: .temporary(.connection, "connection refused"))
        mailbox.deliver(mail(subject: "HELP", body: ""))
        mailbox.deliver(mail(subject: "HELP", body: ""))
        _ = try await daemon.runOnce()
        let pending = try await daemon.store.read { db in try Outbox.list(state: .pending, in: db) }
        #expect(pending.count == 2)
        #expect(pending.allSatisfy { $0.attempts == 1 && $0.nextAttemptAt == clock.now + 300 })
        #expect(logs.all.filter { $0.contains("SMTP unreachable") }.count == 1)

        submitter.refuse(with: nil)
        _ = try await daemon.runOnce()
        #expect(submitter.accepted.isEmpty, "not due yet")
        clock.advance(by: 301)
        _ = try await daemon.runOnce()
        #expect(submitter.accepted.count == 2)
        #expect(logs.all.filter { $0.contains("SMTP reachable again") }.count == 1)
        clock.advance(by: 3600)
        _ = try await daemon.runOnce()
        #expect(submitter.accepted.count == 2)
    }

    @Test("After smtp.give_up_hours a deferred mail fails and the admins are told")
    func giveUp() async throws {
        submitter.refuse(with: .temporary(.rejected, "451 try later", serverCode: 451))
        mailbox.deliver(mail(subject: "HELP", body: ""))
        _ = try await daemon.runOnce()
        for _ in 0..<60 {
            clock.advance(by: 3600)
            _ = try await daemon.sender.runOnce()
        }
        let failed = try await daemon.store.read { db in try Outbox.list(state: .failed, in: db) }
        #expect(failed.map(\.event) == ["help"])
        #expect(failed.first?.lastError?.contains("give_up_hours") == true)
        let notices = try await daemon.store.read { db in try Outbox.list(state: .pending, in: db) }
        #expect(notices.map(\.event) == ["delivery.failed"])
        #expect(notices.first?.recipientList == ["admin@example.org"])
    }

    @Test("A permanent refusal fails at once and tells the admins, but a failed notice is not reported again")
    func permanentRefusal() async throws {
        submitter.refuse(with: .permanent(.rejected, "550 no such user", serverCode: 550))
        mailbox.deliver(mail(subject: "HELP", body: ""))
        _ = try await daemon.runOnce()
        let failed = try await daemon.store.read { db in try Outbox.list(state: .failed, in: db) }
        #expect(Set(failed.map(\.event)) == ["help", "delivery.failed"])
        let pending = try await daemon.store.read { db in try Outbox.depth(in: db) }
        #expect(pending == 0)
    }

    @Test("An IMAP outage is logged once, the poll recovers, and health follows")
    func imapOutage() async throws {
        mailbox.fail(with: .temporary(.connection, "connection refused"))
        #expect(await daemon.fetcher.runOnce() == nil)
        #expect(await daemon.fetcher.runOnce() == nil)
        #expect(daemon.health.snapshot.pollFailingSince != nil)
        mailbox.fail(with: nil)
        mailbox.deliver(mail(subject: "HELP", body: ""))
        #expect(await daemon.fetcher.runOnce() == 1)
        #expect(daemon.health.snapshot.pollFailingSince == nil)
        #expect(daemon.health.snapshot.lastGoodPoll == clock.now)
        #expect(logs.all.filter { $0.contains("IMAP unreachable") }.count == 1)
        #expect(logs.all.filter { $0.contains("IMAP reachable again") }.count == 1)
    }
}
