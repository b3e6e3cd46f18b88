import Foundation
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTemplates

/// Turns a ``Notification`` into an outbox row: renders its template and builds the message
/// with the headers of spec §4.
public struct MailComposer: Sendable {
    let configuration: Configuration
    let templates: TemplateSet
    let botAddress: EmailAddress
    /// Keys that sign one-click links (newest first); none: mail carries mailto: links only.
    let linkKeys: [LinkKey]
    /// The key of the envelope senders' macs (``VERPKey``).
    public let verpKey: VERPKey

    /// `verpKey` defaults to one derived from the first link key, else a random one (mail whose
    /// bounces can then never count: a composer for tests or for mail no bounce should reach).
    public init(configuration: Configuration, templates: TemplateSet, linkKeys: [LinkKey] = [], verpKey: VERPKey? = nil) throws {
        guard let address = EmailAddress(configuration.bot.address) else {
            throw ConfigError(problems: [
                .init(key: "bot.address", problem: "is not an email address", remedy: "write it as name@example.org")
            ])
        }
        self.configuration = configuration
        self.templates = templates
        self.botAddress = address
        self.linkKeys = linkKeys
        self.verpKey = verpKey ?? linkKeys.first.map { VERPKey(linkKey: $0) } ?? VERPKey.random()
    }

    /// The values every template may use.
    func commonValues(for notification: Notification) -> [String: TemplateValue] {
        var values = notification.values
        values["botName"] = .text(configuration.bot.name)
        values["botAddress"] = .text(botAddress.address)
        values["baseURL"] = .text(configuration.bot.baseURL)
        values["quoted"] = .list(notification.quoted.map { .text(MailComposer.shortened($0)) })
        values["hasQuoted"] = .flag(!notification.quoted.isEmpty)
        if let tag = notification.replyTag {
            values["replyAddress"] = .text(TaggedAddress.make(base: botAddress, tag: tag))
        }
        if let ref = notification.ref { values["ref"] = .text(ref) }
        return values
    }

    /// The longest line of the sender's own text quoted back in an answer, in characters.
    public static let maxQuotedLine = 500

    /// A line of the sender's text, cut to ``maxQuotedLine`` characters with an ellipsis, so a
    /// forged command with a line of megabytes cannot make refbot mail those megabytes to its victim.
    public static func shortened(_ line: String, limit: Int = maxQuotedLine) -> String {
        line.count > limit ? line.prefix(limit) + "…" : line
    }

    /// Renders and builds the mail; `unique` makes its Message-ID (stable for the row's life).
    public func compose(_ notification: Notification, unique: String, now: Int64, inboundId: Int64?) throws -> OutboxMessage {
        let values = itemLinkValues(
            commonValues(for: notification).merging(actionLinkValues(for: notification, now: now)) { _, link in link }, now: now)
        let rendered = try templates.render(notification.event, values: values)
        var subject = rendered.subject
        if let ref = notification.ref, !subject.hasPrefix("[\(ref)]") { subject = "[\(ref)] \(subject)" }

        let messageID = MessageID.make(unique: unique, domain: botAddress.domain)
        let recipients = notification.to.compactMap { EmailAddress($0) }
        var builder = MessageBuilder(
            from: EmailAddress(localPart: botAddress.localPart, domain: botAddress.domain, displayName: configuration.bot.name),
            to: recipients, subject: SafeHeaderValue(subject), messageID: messageID,
            date: Date(timeIntervalSince1970: TimeInterval(now)), text: rendered.text)
        builder.html = rendered.html
        if let tag = notification.replyTag {
            builder.replyTo = EmailAddress(TaggedAddress.make(base: botAddress, tag: tag))
        }
        if let parent = notification.thread.last {
            builder.inReplyTo = "<\(parent)>"
            builder.references = notification.thread.map { "<\($0)>" }
        }
        builder.extraHeaders.append((name: "X-Refbot-Event", value: SafeHeaderValue(notification.event.rawValue)))
        if let ref = notification.ref {
            builder.extraHeaders.append((name: "X-Refbot-Ref", value: SafeHeaderValue(ref)))
        }
        builder.extraHeaders.append(
            (name: "Auto-Submitted", value: SafeHeaderValue(notification.event.isReply ? "auto-replied" : "auto-generated")))
        if notification.event == .trainingAnnouncement || notification.event == .digest
            || notification.event == .recognitionMonthly, let tag = notification.replyTag
        {
            // RFC 2369: a STOP to the member's own tag unsubscribes them. RFC 8058's
            // List-Unsubscribe-Post needs an https URI in this header too, so it comes with the web link.
            let address = TaggedAddress.make(base: botAddress, tag: tag)
            if let url = linkURL(tag: tag, word: "STOP", now: now), url.hasPrefix("https://") {
                builder.extraHeaders.append(
                    (name: "List-Unsubscribe", value: SafeHeaderValue("<\(url)>, <mailto:\(address)?subject=STOP>")))
                builder.extraHeaders.append((name: "List-Unsubscribe-Post", value: SafeHeaderValue("List-Unsubscribe=One-Click")))
            } else {
                builder.extraHeaders.append(
                    (name: "List-Unsubscribe", value: SafeHeaderValue("<mailto:\(address)?subject=STOP>")))
            }
        }
        builder.attachments = notification.attachments.map {
            MailAttachment(filename: $0.filename, contentType: $0.contentType, data: $0.data)
        }
        let bareID = String(messageID.dropFirst().dropLast())
        return OutboxMessage(
            event: notification.event.rawValue, ref: notification.ref, recipients: recipients.map(\.address),
            messageId: bareID, raw: Data(builder.build()), queuedAt: now, inboundId: inboundId)
    }

    /// The VERP envelope sender for an outbox row to `recipients`: `bot+bounce-<id>-<mac>@domain`
    /// (``VERPKey``: the mac covers the row and its recipient).
    public func envelopeFrom(outboxId: Int64, recipients: [String]) -> String {
        VERPAddress.make(
            base: botAddress, id: outboxId,
            mac: verpKey.mac(outboxId: outboxId, recipient: VERPKey.macRecipient(recipients)))
    }

    /// Whether `mac` is refbot's for this row to `recipients`.
    public func verifies(outboxId: Int64, recipients: [String], mac: String) -> Bool {
        verpKey.verifies(outboxId: outboxId, recipient: VERPKey.macRecipient(recipients), mac: mac)
    }
}
