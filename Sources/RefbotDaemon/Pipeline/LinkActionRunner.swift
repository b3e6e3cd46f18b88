import Foundation
import GRDB
import RefbotCore
import RefbotHTTP
import RefbotMail
import RefbotStore

/// The daemon's side of the one-click links: verifies tokens against the store, and acts on a
/// click by replaying it as a reply by mail.
///
/// A valid `POST` records the link's nonce as used, with the hash of the tag it names, and stores a
/// small inbound mail — From the tag's owner, To refbot's address, the word as its first line,
/// `X-Refbot-Via: link` — in one write transaction. The Processor then handles it exactly as a
/// tagged reply from the tag's owner (it finds the tag by the link's use of it; the clear tag is
/// known to no one but its owner) and queues its answer with `inboundId` set; the page shows that
/// answer's subject.
public struct LinkActionRunner: LinkActions {
    let store: Store
    let configuration: Configuration
    let keys: [LinkKey]
    let bot: EmailAddress
    let clock: DaemonClock
    let health: HealthState
    let startedAt: Int64
    /// How long a click waits for the Processor before answering "we are working on it".
    let wait: Duration
    /// Called after the synthetic mail is stored: nudges the Processor (tests run it directly).
    let afterStore: @Sendable () async -> Void
    /// What `/metrics` shows.
    let metrics: DaemonMetrics

    public init(
        store: Store, configuration: Configuration, keys: [LinkKey], clock: DaemonClock, health: HealthState,
        wait: Duration = .seconds(5), afterStore: @escaping @Sendable () async -> Void,
        metrics: DaemonMetrics = DaemonMetrics()
    ) throws {
        self.metrics = metrics
        guard let bot = EmailAddress(configuration.bot.address) else {
            throw ConfigError(problems: [.init(key: "bot.address", problem: "is not an email address", remedy: "fix it")])
        }
        self.store = store
        self.configuration = configuration
        self.keys = keys
        self.bot = bot
        self.clock = clock
        self.health = health
        self.startedAt = clock.now()
        self.wait = wait
        self.afterStore = afterStore
    }

    /// The `uidValidity` of inbound rows made by links: no IMAP mailbox has it, so the Fetcher
    /// never tries to file them.
    public static let linkUIDValidity: Int64 = 0

    public func describe(token text: String) async throws -> LinkDescription {
        let token = try verify(text)
        let now = clock.now()
        let (tag, about): (ReplyTag, String?) = try await guarded {
            try await store.read { db in
                let ledger = StoreLedger(db)
                guard let tag = try ledger.replyTag(hash: token.tagHash) else { throw LinkPageError.notFound }
                if let used = try Row.fetchOne(db, sql: "SELECT * FROM linkUse WHERE nonce = ?", arguments: [token.nonceHex]) {
                    throw LinkPageError.used(word: used["word"], ref: used["ref"], at: used["usedAt"])
                }
                // A suspended member's links do not work until an admin resumes them.
                if let suspendedAt = try ledger.member(email: tag.memberEmail)?.suspendedAt {
                    throw LinkPageError.expired(at: suspendedAt)
                }
                return (tag, try? LinkActionRunner.about(tag, ledger: ledger))
            }
        }
        // A tag used up, of a closed object or of a member who left: the link is over too.
        if let revokedAt = tag.revokedAt { throw LinkPageError.expired(at: revokedAt) }
        guard now < tag.expiresAt else { throw LinkPageError.expired(at: tag.expiresAt) }
        return LinkDescription(
            word: token.word, ref: tag.ref, memberEmail: tag.memberEmail,
            summary: LinkActionRunner.summary(
                word: token.word, ref: tag.ref, about: about, email: tag.memberEmail, botName: configuration.bot.name),
            asksForReason: token.word == "REJECT", expiresAt: min(token.expiresAt, tag.expiresAt))
    }

    public func perform(token text: String, reason: String?) async throws -> LinkOutcome {
        let token = try verify(text)
        let now = clock.now()
        let bot = self.bot
        let reasonText = reason.map { String($0.replacingOccurrences(of: "\r", with: "").prefix(1000)) }
        let (inboundId, ref): (Int64, String?) = try await guarded {
            try await store.write { db in
                let ledger = StoreLedger(db)
                guard let tag = try ledger.replyTag(hash: token.tagHash) else { throw LinkPageError.notFound }
                if let used = try Row.fetchOne(db, sql: "SELECT * FROM linkUse WHERE nonce = ?", arguments: [token.nonceHex]) {
                    throw LinkPageError.used(word: used["word"], ref: used["ref"], at: used["usedAt"])
                }
                if let revokedAt = tag.revokedAt { throw LinkPageError.expired(at: revokedAt) }
                guard now < tag.expiresAt else { throw LinkPageError.expired(at: tag.expiresAt) }
                if let suspendedAt = try ledger.member(email: tag.memberEmail)?.suspendedAt {
                    throw LinkPageError.expired(at: suspendedAt)
                }
                try db.execute(
                    sql: "INSERT INTO linkUse (nonce, usedAt, word, tagHash, ref) VALUES (?, ?, ?, ?, ?)",
                    arguments: [token.nonceHex, now, token.word, tag.hash, tag.ref])
                let useId = db.lastInsertedRowID
                let memberName = try ledger.member(email: tag.memberEmail)?.name
                let raw = LinkActionRunner.replyMail(
                    from: tag.memberEmail, name: memberName, bot: bot, word: token.word, reason: reasonText,
                    nonce: token.nonceHex, now: now)
                let messageId = "link.\(token.nonceHex)@\(bot.domain)"
                var row = InboundMessage(
                    uidValidity: LinkActionRunner.linkUIDValidity, uid: useId, messageId: messageId, raw: Data(raw),
                    receivedAt: now)
                try row.insert(db)
                try db.execute(sql: "UPDATE linkUse SET inboundId = ? WHERE id = ?", arguments: [row.id, useId])
                return (row.id ?? 0, tag.ref)
            }
        }
        await afterStore()
        let deadline = ContinuousClock.now + wait
        while true {
            if let answer = try? await processed(inboundId) {
                return LinkOutcome(
                    word: token.word, ref: ref, finished: true, answerSubject: answer.value?.subject,
                    refused: answer.value?.event == MailEvent.commandError.rawValue)
            }
            if ContinuousClock.now >= deadline || Task.isCancelled { break }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return LinkOutcome(word: token.word, ref: ref, finished: false, answerSubject: nil)
    }

    /// The first answer a processed row queued, if any.
    struct Answer: Sendable {
        var value: (event: String, subject: String)?
    }

    /// When the row is processed: the event and subject of the first answer it queued, if any.
    /// Throws while it is still waiting.
    func processed(_ inboundId: Int64) async throws -> Answer {
        try await store.read { db in
            let state = try String.fetchOne(db, sql: "SELECT state FROM inboundMessage WHERE id = ?", arguments: [inboundId])
            guard let state, state != "received" else { throw LinkPageError.unavailable }
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT event, raw FROM outboxMessage WHERE inboundId = ? ORDER BY id LIMIT 1",
                    arguments: [inboundId])
            else { return Answer(value: nil) }
            let raw: Data = row["raw"]
            return Answer(value: (row["event"], (try? MessageParser.parse([UInt8](raw)))?.subject ?? ""))
        }
    }

    public func health() async -> HealthReport {
        let now = clock.now()
        let snapshot = health.snapshot
        let maxAge = Int64(configuration.health.maxPollAgeSeconds)
        let depth = (try? await store.read { db in try Outbox.depth(in: db) }) ?? snapshot.outboxDepth
        // Before the first poll the daemon is starting, not failing, for one max age.
        let healthy = snapshot.lastGoodPoll.map { now - $0 <= maxAge } ?? (now - startedAt <= maxAge)
        return HealthReport(healthy: healthy, lastGoodPoll: snapshot.lastGoodPoll, outboxDepth: depth, now: now)
    }

    /// The database-backed figures (queues, sent and failed mail, links used) are read at each
    /// scrape; the rest is what ``DaemonMetrics`` recorded since the daemon started.
    public func metrics() async -> String {
        let now = clock.now()
        let lastGoodPoll = health.snapshot.lastGoodPoll
        let counts = (try? await store.read { db in try DaemonMetrics.QueueCounts.read(in: db) }) ?? DaemonMetrics.QueueCounts()
        return metrics.exposition(counts, pollAge: lastGoodPoll.map { now - $0 })
    }

    // MARK: Helpers

    func verify(_ text: String) throws -> LinkToken {
        do {
            return try LinkToken.verify(text, keys: keys, now: clock.now())
        } catch .malformed {
            throw LinkPageError.malformed
        } catch .badSignature {
            throw LinkPageError.notFound
        } catch .expired(let at) {
            throw LinkPageError.expired(at: at)
        }
    }

    /// Runs a store access; a ``LinkPageError`` passes through, any other error becomes `.unavailable`.
    func guarded<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as LinkPageError {
            throw error
        } catch {
            throw LinkPageError.unavailable
        }
    }

    /// The mail a click stands for.
    static func replyMail(
        from email: String, name: String?, bot: EmailAddress, word: String, reason: String?, nonce: String,
        now: Int64
    ) -> [UInt8] {
        let sender = EmailAddress(email).map { EmailAddress(localPart: $0.localPart, domain: $0.domain, displayName: name) }
        let to: EmailAddress? = bot
        var text = word + "\n"
        if let reason, !reason.isEmpty { text += reason + "\n" }
        var builder = MessageBuilder(
            from: sender ?? bot, to: [to].compactMap { $0 }, subject: SafeHeaderValue(word),
            messageID: "<link.\(nonce)@\(bot.domain)>", date: Date(timeIntervalSince1970: TimeInterval(now)), text: text)
        builder.extraHeaders.append((name: "X-Refbot-Via", value: SafeHeaderValue("link")))
        return builder.build()
    }

    /// What the tag's object is, in a few words: `Carol Diaz for “Kitchen remodels”`.
    static func about(_ tag: ReplyTag, ledger: StoreLedger) throws -> String? {
        guard let ref = tag.ref.flatMap({ ObjectRef(parsing: $0) }) else { return nil }
        switch ref {
        case .listing(let id):
            return try ledger.listing(id: id.rawValue).map { "“\($0.title)”" }
        case .referral(let id):
            guard let referral = try ledger.referral(id: id.rawValue) else { return nil }
            let title = try ledger.listing(id: referral.listingId)?.title
            // The owner learns who the customer is from referral.received, never before.
            if tag.action == ReplyAction.referralOwner, !referral.ownerSeesCustomer {
                return title.map { "a referral for “\($0)”" }
            }
            return referral.customerName + (title.map { " for “\($0)”" } ?? "")
        case .connection(let id):
            guard let connection = try ledger.connection(id: id.rawValue) else { return nil }
            let requester = try ledger.member(id: connection.requesterId)
            let addressee = try ledger.member(id: connection.addresseeId)
            let other = requester?.email == tag.memberEmail ? addressee : requester
            return other.map { "the connection with \($0.name)" }
        }
    }

    /// One sentence that says exactly what pressing the button does.
    static func summary(word: String, ref: String?, about: String? = nil, email: String, botName: String) -> String {
        let object = ref.map { " \($0)" } ?? ""
        let effect: String
        switch word {
        case "ACCEPT": effect = "You accept\(object)."
        case "REJECT": effect = "You turn down\(object); the reason you give below goes with your answer."
        case "CONFIRM": effect = "You confirm\(object.isEmpty ? " the request" : object)."
        case "AGREE": effect = "You agree to the terms of\(object.isEmpty ? " the agreement" : object)."
        case "YES": effect = "You answer yes\(object.isEmpty ? "" : " to" + object)."
        case "NO": effect = "You answer no\(object.isEmpty ? "" : " to" + object)."
        case "STOP":
            effect = "\(botName) stops sending you announcements and digests; mail about your own listings, "
                + "referrals and connections still comes."
        default: effect = "You send \(word)\(object.isEmpty ? "" : " for" + object)."
        }
        let target = object.isEmpty ? "" : " to" + object + (about.map { " (\($0))" } ?? "")
        return "Pressing the button replies \(word)\(target) for \(email), "
            + "exactly as replying \(word) to the mail would. \(effect)"
    }
}
