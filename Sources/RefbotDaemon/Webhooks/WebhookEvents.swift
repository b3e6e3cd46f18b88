import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotMail
import RefbotStore

/// The events refbot can post to a webhook: the `X-Refbot-Event` names of mail that reports a
/// state change, each with the type of object it changes. Answers that change nothing (`help`,
/// `dashboard`, `search.results`, …) and admin notices about refbot itself are not posted; neither
/// is a second mail about a change already posted (`member.address.welcome` is
/// `member.address.changed`, `listing.new` is `listing.approved` or `listing.submitted`).
public enum WebhookCatalog {
    /// The object types of the payload's `object.type`.
    public static let objectTypes = ["referral", "listing", "connection", "member"]

    /// Every event a webhook may take, in the order the README lists them.
    public static let events: [MailEvent] = [
        .referralSent, .referralReceived, .customerConsent, .referralAccepted, .referralRejected, .referralUpdated,
        .referralDisputed,
        .listingSubmitted, .listingRefused, .listingApproved, .listingDeclined, .listingExpired, .agreementCopy,
        .connectionRequest, .connectionAccepted, .connectionRejected,
        .memberConfirm, .memberWelcome, .memberSuspended, .memberResumed, .memberAddressChanged, .memberBouncing,
        .memberComplaint, .creditsGranted,
    ]

    /// The type of object `event` changes, or nil when the event is not posted.
    public static func objectType(of event: MailEvent) -> String? {
        switch event {
        case .referralSent, .referralReceived, .customerConsent, .referralAccepted, .referralRejected, .referralUpdated,
            .referralDisputed:
            "referral"
        case .listingSubmitted, .listingRefused, .listingApproved, .listingDeclined, .listingExpired, .agreementCopy:
            "listing"
        case .connectionRequest, .connectionAccepted, .connectionRejected: "connection"
        case .memberConfirm, .memberWelcome, .memberSuspended, .memberResumed, .memberAddressChanged, .memberBouncing,
            .memberComplaint, .creditsGranted:
            "member"
        default: nil
        }
    }
}

/// A JSON value, written with sorted keys so the same payload is the same bytes.
public indirect enum WebhookJSON: Sendable, Equatable, Encodable {
    case string(String)
    case int(Int64)
    case bool(Bool)
    case null
    case object([String: WebhookJSON])

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let s): try container.encode(s)
        case .int(let n): try container.encode(n)
        case .bool(let b): try container.encode(b)
        case .null: try container.encodeNil()
        case .object(let o): try container.encode(o)
        }
    }

    /// The compact JSON text.
    public var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static func optional(_ value: String?) -> WebhookJSON { value.map { .string($0) } ?? .null }
    static func optional(_ value: Int64?) -> WebhookJSON { value.map { .int($0) } ?? .null }
    static func time(_ seconds: Int64?) -> WebhookJSON {
        seconds.map { .string(Date(timeIntervalSince1970: TimeInterval($0)).formatted(.iso8601)) } ?? .null
    }
    static func money(_ money: Money?) -> WebhookJSON {
        money.map { .object(["amount_minor": .int($0.amountMinor), "currency": .string($0.currency)]) } ?? .null
    }
}

/// Writes the webhook rows a notification's state change causes, in the caller's transaction
/// (the one ``Processor/enqueue(_:composer:configuration:unique:inboundId:now:sendAt:logger:in:)``
/// queues its mail in).
///
/// One state change is one row per subscribed url, however many people it mails: the rows of one
/// change share a dedupe key (event, object, the inbound mail or command that caused it, and the
/// time), and the queue keeps the first (``WebhookQueue/enqueue(_:in:)``). The payload is built
/// from the ledger, not from the mail: it carries no reply tag, link or secret, and the customer's
/// name, email and phone only when the customer's consent lets the owner see them.
public enum WebhookEvents {
    /// Who caused a change: a member, an admin, or refbot itself (the scheduler, a bounce).
    public enum Actor: Sendable, Equatable {
        case member(String)
        case admin(String?)
        case system

        var json: WebhookJSON {
            switch self {
            case .member(let email): .object(["type": .string("member"), "email": .string(email)])
            case .admin(let email): .object(["type": .string("admin"), "email": WebhookJSON.optional(email)])
            case .system: .object(["type": .string("system"), "email": .null])
            }
        }
    }

    /// Queues the webhook rows for `notification`; returns how many were written.
    @discardableResult
    public static func record(
        _ notification: Notification, configuration: Configuration, inboundId: Int64?, unique: String, actor: Actor? = nil,
        now: Int64, logger: Logger, in db: Database
    ) throws -> Int {
        let hooks = configuration.webhooks.filter { $0.subscribes(to: notification.event) }
        guard !hooks.isEmpty, let type = WebhookCatalog.objectType(of: notification.event) else { return 0 }
        guard let (objectID, data) = try object(of: notification, type: type, in: db) else {
            logger.warning(
                "Webhook event without its object",
                metadata: ["event": "\(notification.event.rawValue)", "ref": "\(notification.ref ?? "-")"])
            return 0
        }
        let who = try actor ?? derivedActor(notification.event, inboundId: inboundId, unique: unique, configuration: configuration, in: db)
        let eventId = "evt_" + UUID().uuidString.lowercased()
        let payload = WebhookJSON.object([
            "id": .string(eventId),
            "event": .string(notification.event.rawValue),
            "occurred_at": WebhookJSON.time(now),
            "object": .object(["type": .string(type), "id": .string(objectID)]),
            "actor": who.json,
            "data": .object(data),
        ])
        let body = payload.text
        let objectKey = "\(type):\(objectID)"
        let dedupeKey = "\(notification.event.rawValue)|\(objectKey)|\(inboundId.map(String.init) ?? "-")|\(now)"
        var written = 0
        for hook in hooks {
            let delivery = WebhookDelivery(
                deliveryId: "whd_" + UUID().uuidString.lowercased(), eventId: eventId, url: hook.url,
                event: notification.event.rawValue, objectKey: objectKey, dedupeKey: dedupeKey, body: body, createdAt: now)
            if try WebhookQueue.enqueue(delivery, in: db) { written += 1 }
        }
        if written > 0 {
            logger.debug(
                "Webhook event queued",
                metadata: ["event": "\(notification.event.rawValue)", "object": "\(objectKey)", "webhook.count": "\(written)"])
        }
        return written
    }

    /// The object's public id and the fields the payload carries about it.
    static func object(
        of notification: Notification, type: String, in db: Database
    ) throws -> (String, [String: WebhookJSON])? {
        let ledger = StoreLedger(db)
        switch type {
        case "referral":
            guard case .referral(let id)? = notification.ref.flatMap({ ObjectRef(parsing: $0) }),
                let referral = try ledger.referral(id: id.rawValue)
            else { return nil }
            return (id.description, try referralData(referral, ledger: ledger))
        case "listing":
            guard case .listing(let id)? = notification.ref.flatMap({ ObjectRef(parsing: $0) }),
                let listing = try ledger.listing(id: id.rawValue)
            else { return nil }
            var data = try listingData(listing, ledger: ledger)
            if notification.event == .agreementCopy, let referrer = text(notification.values["referrerEmail"]) {
                // Both copies (referrer's, owner's) name the referrer who agreed.
                data["referrer"] = .string(Member.normalizedEmail(referrer))
            }
            return (id.description, data)
        case "connection":
            guard case .connection(let id)? = notification.ref.flatMap({ ObjectRef(parsing: $0) }),
                let connection = try ledger.connection(id: id.rawValue)
            else { return nil }
            return (
                id.description,
                [
                    "state": .string(connection.state.rawValue),
                    "requester": WebhookJSON.optional(try ledger.member(id: connection.requesterId)?.email),
                    "addressee": WebhookJSON.optional(try ledger.member(id: connection.addresseeId)?.email),
                ]
            )
        case "member":
            let email: String?
            switch notification.event {
            case .memberBouncing, .memberComplaint: email = text(notification.values["email"])
            case .memberAddressChanged: email = text(notification.values["newAddress"])
            // The member the mail is to (an admin copied on it is not the object).
            default: email = try notification.to.first { try ledger.member(email: $0) != nil }
            }
            guard let email, let member = try ledger.member(email: email) else { return nil }
            var data: [String: WebhookJSON] = [
                "state": .string(member.state.rawValue), "name": .string(member.name),
                "business": WebhookJSON.optional(member.business), "category": WebhookJSON.optional(member.category),
                "city": WebhookJSON.optional(member.city), "suspended": .bool(member.isSuspended),
                "credits": .int(Int64(member.credits)),
            ]
            switch notification.event {
            case .memberAddressChanged:
                data["previous_email"] = WebhookJSON.optional(text(notification.values["oldAddress"]))
            case .creditsGranted:
                if case .number(let amount)? = notification.values["amount"] {
                    let added = notification.values["added"] != .flag(false)
                    data["credits_change"] = .int(added ? amount : -amount)
                }
            case .memberBouncing:
                data["bounce_count"] = .int(Int64(member.bounceCount))
            default: break
            }
            return (member.email, data)
        default:
            return nil
        }
    }

    static func referralData(_ referral: Referral, ledger: StoreLedger) throws -> [String: WebhookJSON] {
        let customer: WebhookJSON =
            referral.ownerSeesContactDetails
            ? .object([
                "name": .string(referral.customerName), "email": WebhookJSON.optional(referral.customerEmail),
                "phone": WebhookJSON.optional(referral.customerPhone),
            ]) : .null
        return [
            "state": .string(referral.state.rawValue),
            "listing": .string(ListingID(referral.listingId).description),
            "referrer": WebhookJSON.optional(try ledger.member(id: referral.referrerId)?.email),
            "owner": WebhookJSON.optional(try ledger.member(id: referral.ownerId)?.email),
            "need": .string(referral.need),
            "consent": .string(referral.consent.rawValue),
            "customer": customer,
            "created_at": WebhookJSON.time(referral.createdAt),
            "reward_owed": WebhookJSON.money(referral.rewardOwed),
            "reward_paid": WebhookJSON.money(referral.rewardPaid),
            "won_amount": WebhookJSON.money(referral.wonAmount),
            "in_kind_owed": WebhookJSON.optional(referral.inKindOwed),
            "reason": WebhookJSON.optional(referral.disputeReason ?? referral.lostReason ?? referral.rejectReason),
        ]
    }

    static func listingData(_ listing: Listing, ledger: StoreLedger) throws -> [String: WebhookJSON] {
        [
            "state": .string(listing.state.rawValue),
            "title": .string(listing.title),
            "category": .string(listing.category),
            "owner": WebhookJSON.optional(try ledger.member(id: listing.ownerId)?.email),
            "reward": .string(listing.reward.description),
            "expires_at": WebhookJSON.time(listing.expiresAt),
            "reason": WebhookJSON.optional(listing.declineReason),
        ]
    }

    static func text(_ value: TemplateValue?) -> String? {
        if case .text(let s)? = value { return s }
        return nil
    }

    /// Who caused the change when the caller did not say: the sender of the mail (or one-click
    /// link) that caused it, an admin for the admin CLI, else refbot itself.
    static func derivedActor(
        _ event: MailEvent, inboundId: Int64?, unique: String, configuration: Configuration, in db: Database
    ) throws -> Actor {
        // A bounce or a provider's complaint report: nobody in the network did it.
        if event == .memberBouncing || event == .memberComplaint { return .system }
        if let inboundId, let raw = try Data.fetchOne(db, sql: "SELECT raw FROM inboundMessage WHERE id = ?", arguments: [inboundId]),
            let from = HeaderPeek(raw).value("From"), let address = EmailAddress.parseList(from).first?.address
        {
            let email = Member.normalizedEmail(address)
            return configuration.bot.admins.contains { Member.sameEmail($0, email) } ? .admin(email) : .member(email)
        }
        if unique.hasPrefix("cli.") || unique.hasPrefix("admin.") { return .admin(nil) }
        return .system
    }
}
