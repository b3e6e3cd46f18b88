import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotStore
import ServiceLifecycle

/// Acts on time: reminds owners of pending referrals at half of `network.referral_expiry_days`
/// and of accepted ones with no update for `network.stale_after_days`, and expires pending
/// referrals at the end, telling the referrer (architecture §3); mails the admins the summary of
/// notices kept back past `mail.admin_notices_per_hour`. Every decision is Core's
/// `Expiry.decide`; each referral's change and its mail commit in one transaction.
///
/// Failure modes: a referral that cannot be handled is logged and retried on the next pass; it
/// never stops the others.
public final class Scheduler: Service, Sendable {
    /// How often the scheduler looks when nothing nudges it.
    public static let interval: Duration = .seconds(900)

    let store: Store
    let composer: MailComposer
    let configuration: Configuration
    let settings: NetworkSettings
    let clock: DaemonClock
    let logger: Logger
    /// Wakes this service.
    public let waker: Waker
    let afterPass: @Sendable (Int) -> Void
    /// Builds the dashboard a digest carries.
    let status: StatusHandler

    public init(
        store: Store, composer: MailComposer, configuration: Configuration, clock: DaemonClock, logger: Logger,
        afterPass: @escaping @Sendable (Int) -> Void = { _ in }, waker: Waker = Waker(),
        options: ReferralOptions = ReferralOptions()
    ) {
        // The digest's own reply address takes STOP, and numbered lines for its items.
        self.status = StatusHandler(
            options: options, newsDays: Int64(max(configuration.network.digestDays, 1)),
            mailTagAction: MemberHandling.unsubscribeAction,
            mailTagSeconds: AnnounceHandler.unsubscribeDays * NetworkSettings.secondsPerDay, alwaysTagged: true)
        self.store = store
        self.composer = composer
        self.configuration = configuration
        self.settings = configuration.networkSettings
        self.clock = clock
        self.logger = logger
        self.afterPass = afterPass
        self.waker = waker
    }

    public func run() async throws {
        try await runLoop(waker: waker, interval: Self.interval, logger: logger) {
            _ = try await self.runOnce()
        }
    }

    /// Reminds and expires whatever is due now; returns how many referrals it acted on.
    @discardableResult
    public func runOnce() async throws -> Int {
        let now = clock.now()
        let settings = self.settings
        let due = try await store.read { db in
            try StoreLedger(db).referralsToWatch().filter { Expiry.decide($0, now: now, settings: settings) != .none }
                .compactMap(\.id)
        }
        var acted = 0
        for id in due {
            do {
                let queued = try await store.write { db in
                    let mark = try LedgerHistory.mark(in: db)
                    let queued = try self.act(onReferral: id, now: now, in: db)
                    try LedgerHistory.stamp(
                        actor: self.configuration.bot.address, method: .schedule, inboundId: nil, after: mark, in: db)
                    return queued
                }
                if queued > 0 { acted += 1 }
            } catch {
                logger.error("Scheduled referral change failed", metadata: ["referral.id": "\(id)", "error": "\(error)"])
            }
        }
        acted += try await expireListings(now: now)
        // Before the digests: a digest on the first pass of a month shows last month's rank.
        acted += await sendRecognition(now: now)
        acted += try await sendDigests(now: now)
        await purgeRawMail(now: now)
        await decayBounces(now: now)
        acted += await sendAdminSummary(now: now)
        acted += await sendPayoutsReminder(now: now)
        if acted > 0 { afterPass(acted) }
        return acted
    }

    /// Purges raw mail done with more than `mail.retention_days` ago (off at 0), in short
    /// transactions; returns how many rows it emptied. A failure is logged and tried next pass.
    @discardableResult
    func purgeRawMail(now: Int64) async -> Int {
        let days = Int64(configuration.mail.retentionDays)
        guard days > 0 else { return 0 }
        let cutoff = now - days * NetworkSettings.secondsPerDay
        var total = Retention.Purged()
        do {
            while true {
                let batch = 500
                let purged = try await store.write { db in
                    try Retention.purge(
                        olderThan: cutoff, now: now, linkUIDValidity: LinkActionRunner.linkUIDValidity, limit: batch,
                        in: db)
                }
                total.inbound += purged.inbound
                total.outbound += purged.outbound
                if purged.inbound < batch && purged.outbound < batch { break }
            }
        } catch {
            logger.error("Raw mail purge failed", metadata: ["error": "\(error)"])
        }
        if total.total > 0 {
            logger.info(
                "Raw mail purged",
                metadata: ["inbound": "\(total.inbound)", "outbound": "\(total.outbound)", "retention_days": "\(days)"])
        }
        return total.total
    }

    /// Mails the admins one summary of the notices kept back past `mail.admin_notices_per_hour`,
    /// at most once an hour (``AdminNotices``); returns 1 when it queued one.
    func sendAdminSummary(now: Int64) async -> Int {
        do {
            guard try await store.read({ db in try AdminNoticeLog.hasWaiting(in: db) }) else { return 0 }
            let listed = try await store.write { db in
                try AdminNotices(configuration: self.configuration, composer: self.composer, logger: self.logger)
                    .sendSummary(now: now, in: db)
            }
            return listed > 0 ? 1 : 0
        } catch {
            logger.error("Admin summary failed", metadata: ["error": "\(error)"])
            return 0
        }
    }

    /// Mails the dashboard to each member who has not sent STOP and had no digest for
    /// `network.digest_days` (off at 0), one transaction per member; returns how many went out.
    func sendDigests(now: Int64) async throws -> Int {
        // Numbered items outlive no tag: past the longest a tag lives, their mail can prove nothing.
        do {
            let cutoff = now - ReplyTag.maxLifetimeSeconds
            let stale = try await store.read { db in
                try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM digestItem WHERE createdAt < ?)", arguments: [cutoff]) ?? false
            }
            if stale {
                try await store.write { db in
                    try db.execute(sql: "DELETE FROM digestItem WHERE createdAt < ?", arguments: [cutoff])
                }
            }
        } catch {
            logger.error("Numbered item purge failed", metadata: ["error": "\(error)"])
        }
        let days = Int64(configuration.network.digestDays)
        guard days > 0 else { return 0 }
        let period = days * 86_400
        let due = try await store.read { db in
            try Int64.fetchAll(
                db,
                sql: """
                    SELECT m.id FROM member m LEFT JOIN digest d ON d.memberId = m.id
                    WHERE m.state = 'active' AND m.announcementsOff = 0 AND m.suspendedAt IS NULL
                      AND COALESCE(d.sentAt, m.confirmedAt, m.joinedAt) <= ?
                    ORDER BY m.id
                    """, arguments: [now - period])
        }
        var sent = 0
        for id in due {
            do {
                let queued = try await store.write { db -> Bool in
                    let ledger = StoreLedger(db)
                    guard let member = try ledger.member(id: id) else { return false }
                    let context = CommandContext(
                        sender: member.email, senderName: member.name, isAuthenticated: true, now: now,
                        settings: self.settings, botName: self.configuration.bot.name, admins: self.configuration.bot.admins)
                    let command = ParsedCommand(word: .status, arguments: "", line: "STATUS", followingLines: [], source: .body)
                    for dashboard in try self.status.handle(command, context: context, ledger: ledger) {
                        var values = dashboard.values
                        values["digestDays"] = .number(days)
                        let digest = Notification(
                            event: .digest, to: [member.email], replyTag: dashboard.replyTag, values: values, actions: ["STOP"])
                        try Processor.enqueue(
                            digest, composer: self.composer, configuration: self.configuration,
                            unique: "digest.m\(id)", inboundId: nil, now: now, logger: self.logger, in: db)
                    }
                    try db.execute(
                        sql: "INSERT INTO digest (memberId, sentAt) VALUES (?, ?) ON CONFLICT(memberId) DO UPDATE SET sentAt = excluded.sentAt",
                        arguments: [id, now])
                    return true
                }
                if queued { sent += 1 }
            } catch {
                logger.error("Digest failed", metadata: ["member.id": "\(id)", "error": "\(error)"])
            }
        }
        if sent > 0 { logger.info("Digests queued", metadata: ["count": "\(sent)"]) }
        return sent
    }

    /// Moves listings whose `Expires:` date has passed to `expired` and tells each owner, one
    /// transaction per listing; returns how many expired.
    func expireListings(now: Int64) async throws -> Int {
        let due = try await store.read { db in try StoreLedger(db).listingsToExpire(now: now).compactMap(\.id) }
        var expired = 0
        for id in due {
            do {
                let done = try await store.write { db -> Bool in
                    let ledger = StoreLedger(db)
                    guard var listing = try ledger.listing(id: id), let expiresAt = listing.expiresAt, expiresAt <= now,
                        let next = try? listing.state.after(.expire)
                    else { return false }
                    listing.state = next
                    listing.updatedAt = now
                    try ledger.save(&listing)
                    if let owner = try ledger.member(id: listing.ownerId) {
                        let notification = Notification(
                            event: .listingExpired, to: [owner.email], ref: "L-\(id)",
                            values: ["title": .text(listing.title), "ownerName": .text(owner.name)])
                        try Processor.enqueue(
                            notification, composer: self.composer, configuration: self.configuration,
                            unique: "sched.l\(id)", inboundId: nil, now: now, logger: self.logger, in: db)
                    }
                    return true
                }
                if done {
                    expired += 1
                    logger.info("Listing expired", metadata: ["listing.id": "\(id)"])
                }
            } catch {
                logger.error("Scheduled listing expiry failed", metadata: ["listing.id": "\(id)", "error": "\(error)"])
            }
        }
        return expired
    }

    /// Decides again inside the transaction (the referral may have moved since the read), acts,
    /// and queues the mail; returns how many mails it queued.
    func act(onReferral id: Int64, now: Int64, in db: Database) throws -> Int {
        let ledger = StoreLedger(db)
        guard var referral = try ledger.referral(id: id) else { return 0 }
        let decision = Expiry.decide(referral, now: now, settings: settings)
        let notifications = try ReferralSchedule.act(
            on: &referral, decision: decision, ledger: ledger, now: now, settings: settings)
        for (index, notification) in notifications.enumerated() {
            // Through the Processor's outbox door, so members whose mail bounces are left out.
            try Processor.enqueue(
                notification, composer: composer, configuration: configuration, unique: "sched.r\(id).\(index)",
                inboundId: nil, now: now, logger: logger, in: db)
        }
        if !notifications.isEmpty {
            logger.info(
                "Referral scheduled change",
                metadata: ["referral.id": "\(id)", "decision": "\(decision.rawValue)", "state": "\(referral.state)"])
        }
        return notifications.count
    }
}

extension Scheduler {
    /// Starts the bounce count again at 0 for members with no bounce in `mail.bounce_reset_days`
    /// (off at 0). A failure is logged and tried next pass.
    func decayBounces(now: Int64) async {
        let days = configuration.mail.bounceResetDays
        guard days > 0 else { return }
        do {
            let reset = try await store.write { db in try MemberAdmin.decayBounces(days: days, now: now, in: db) }
            for email in reset {
                logger.notice(
                    "Bounces reset", metadata: ["member.email": "\(email)", "reason": "no bounce for mail.bounce_reset_days (\(days))"])
            }
        } catch {
            logger.error("Bounce reset failed", metadata: ["error": "\(error)"])
        }
    }
}
