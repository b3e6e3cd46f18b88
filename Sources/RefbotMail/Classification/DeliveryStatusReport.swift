import Foundation

/// What a bounce says: which recipients failed, why, and which mail it is about.
///
/// Reads RFC 3464 reports (`multipart/report; report-type=delivery-status`, as Postfix, Exim, Gmail and
/// Exchange send them) and, best effort, plain-text bounces from qmail and older Exim.
///
/// ```swift
/// if let report = DeliveryStatusReport.parse(message),
///    let id = report.verpID(base: bot, reportRecipients: message.to) { /* count a bounce for mail id */ }
/// ```
public struct DeliveryStatusReport: Sendable {
    /// One recipient's outcome.
    public struct Recipient: Sendable, Equatable {
        /// The recipient's address (`Final-Recipient`, else `Original-Recipient`).
        public var address: String
        /// `failed`, `delayed`, `delivered`, `relayed` or `expanded`, lowercased.
        public var action: String
        /// The enhanced status code, e.g. `5.1.1`.
        public var status: String
        /// The remote server's words, when given.
        public var diagnostic: String?
        /// `Original-Recipient`, when the report gives it beside `Final-Recipient` (the address the
        /// mail was sent to before a forward).
        public var originalAddress: String?

        /// Creates a recipient outcome.
        public init(address: String, action: String, status: String, diagnostic: String? = nil, originalAddress: String? = nil) {
            self.address = address
            self.action = action
            self.status = status
            self.diagnostic = diagnostic
            self.originalAddress = originalAddress
        }

        /// Every address the report names for this recipient: `Final-Recipient`, then `Original-Recipient`.
        public var addresses: [String] { [address] + (originalAddress.map { [$0] } ?? []) }
    }

    /// Each recipient the report names.
    public var recipients: [Recipient]
    /// The envelope sender of the mail that bounced, from the returned headers (or the report's own
    /// `Return-Path`/`X-Original-To`/`Delivered-To`/`To` when the returned headers have none).
    public var originalEnvelopeFrom: String?
    /// Every address the bounce was delivered to, for VERP matching (`Delivered-To`, `X-Original-To`, `To`).
    public var reportAddresses: [String]

    /// Creates a report.
    public init(recipients: [Recipient], originalEnvelopeFrom: String?, reportAddresses: [String] = []) {
        self.recipients = recipients
        self.originalEnvelopeFrom = originalEnvelopeFrom
        self.reportAddresses = reportAddresses
    }

    /// Recipients that failed: action `failed` or a 5.x.x status.
    public var failed: [Recipient] {
        recipients.filter { $0.action == "failed" || $0.status.hasPrefix("5") }
    }

    /// Reads a bounce; nil when `message` is not one.
    public static func parse(_ message: ParsedMessage) -> DeliveryStatusReport? {
        let reportAddresses = (message.headers(named: "Delivered-To") + message.headers(named: "X-Original-To"))
            .compactMap { EmailAddress($0)?.address } + message.to.map(\.address)
        if let statusPart = message.parts.first(where: {
            $0.contentType == "message/delivery-status" || $0.contentType == "message/global-delivery-status"
        }) {
            let recipients = standardRecipients(statusPart.body)
            let returned = returnedHeaders(in: message)
            let envelope = envelopeFrom(returned) ?? fallbackEnvelope(message)
            return DeliveryStatusReport(
                recipients: recipients, originalEnvelopeFrom: envelope, reportAddresses: reportAddresses)
        }
        guard looksLikeBounce(message) else { return nil }
        let text = message.textBody
        var recipients = TextBounce.recipients(in: text)
        if recipients.isEmpty, message.contentType == "multipart/report" {
            recipients = []
        }
        let returned = returnedHeaders(in: message) ?? TextBounce.returnedHeaders(in: text)
        let envelope = envelopeFrom(returned) ?? fallbackEnvelope(message)
        guard !recipients.isEmpty || envelope != nil else { return nil }
        return DeliveryStatusReport(recipients: recipients, originalEnvelopeFrom: envelope, reportAddresses: reportAddresses)
    }

    /// The VERP addresses (row id and mac) the report was delivered to: `reportRecipients` (the
    /// DSN's `To:` and `Delivered-To:`) and ``reportAddresses``, never the returned copy's headers,
    /// which the sender of the report wrote. The daemon checks each mac before a bounce counts.
    public func verpAddresses(base: EmailAddress, reportRecipients: [EmailAddress]) -> [(id: Int64, mac: String)] {
        (reportRecipients.map(\.address) + reportAddresses).compactMap { VERPAddress.parse($0, base: base) }
    }

    /// The VERP id of the bounced mail: from the addresses the report was delivered to, else from the
    /// original envelope sender. Informational only (`refbot parse`): no mac is checked.
    public func verpID(base: EmailAddress, reportRecipients: [EmailAddress]) -> Int64? {
        for address in reportRecipients {
            if let id = VERPAddress.id(in: address.address, base: base) { return id }
        }
        for address in reportAddresses {
            if let id = VERPAddress.id(in: address, base: base) { return id }
        }
        if let envelope = originalEnvelopeFrom, let id = VERPAddress.id(in: envelope, base: base) { return id }
        return nil
    }

    // MARK: - RFC 3464

    /// Per-recipient blocks of a `message/delivery-status` body.
    static func standardRecipients(_ body: [UInt8]) -> [Recipient] {
        var recipients: [Recipient] = []
        // blocks are separated by empty lines; the first is per-message
        var normalized = body.filter { $0 != 13 }[...]
        var blocks: [[HeaderField]] = []
        while !normalized.isEmpty {
            let (header, rest) = HeaderSection.split(normalized)
            let fields = HeaderSection.fields(header)
            if !fields.isEmpty { blocks.append(fields) }
            if rest.count == normalized.count { break }
            normalized = rest
        }
        for block in blocks {
            let final = block.first(named: "Final-Recipient")?.value ?? block.first(named: "Original-Recipient")?.value
            guard let final else { continue }
            let address = addressValue(final)
            let action = block.first(named: "Action")?.value.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            var status = block.first(named: "Status")?.value.trimmingCharacters(in: .whitespaces) ?? ""
            if let space = status.firstIndex(where: { $0 == " " || $0 == "(" }) { status = String(status[..<space]) }
            let diagnostic = block.first(named: "Diagnostic-Code").map { addressValue($0.value) }
            if status.isEmpty { status = action == "failed" ? "5.0.0" : (action == "delayed" ? "4.0.0" : "2.0.0") }
            let original = block.first(named: "Original-Recipient").map { addressValue($0.value) }
            recipients.append(
                Recipient(
                    address: address, action: action, status: status, diagnostic: diagnostic,
                    originalAddress: original == address ? nil : original))
        }
        return recipients
    }

    /// `rfc822; user@example.com` → `user@example.com`.
    private static func addressValue(_ value: String) -> String {
        var text = value
        if let semicolon = text.firstIndex(of: ";") { text = String(text[text.index(after: semicolon)...]) }
        text = text.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("<"), text.hasSuffix(">") { text = String(text.dropFirst().dropLast()) }
        return text
    }

    /// Header fields of the returned message (`text/rfc822-headers` or `message/rfc822`).
    private static func returnedHeaders(in message: ParsedMessage) -> [HeaderField]? {
        guard
            let part = message.parts.first(where: {
                $0.contentType == "text/rfc822-headers" || $0.contentType == "message/rfc822"
                    || $0.contentType == "message/global-headers" || $0.contentType == "message/global"
            })
        else { return nil }
        let (header, _) = HeaderSection.split(part.body[...])
        let fields = HeaderSection.fields(header)
        return fields.isEmpty ? nil : fields
    }

    /// `Return-Path` of the returned headers.
    private static func envelopeFrom(_ fields: [HeaderField]?) -> String? {
        guard let fields, let path = fields.first(named: "Return-Path")?.value else { return nil }
        let value = addressValue(path)
        return value.isEmpty ? nil : value
    }

    /// The report's own VERP-looking addressing, when the returned headers carry no Return-Path.
    private static func fallbackEnvelope(_ message: ParsedMessage) -> String? {
        let candidates = message.headers(named: "X-Original-To") + message.headers(named: "Delivered-To")
            + message.to.map(\.address)
        return candidates.lazy.compactMap { EmailAddress($0)?.address }.first { $0.contains("+") }
            ?? candidates.lazy.compactMap { EmailAddress($0)?.address }.first
    }

    /// Subjects of bounces that carry no machine-readable report.
    private static let bounceSubjects: [String] = [
        // failure notice (qmail)
        "failure notice",
        // Mail delivery failed: returning message to sender (Exim)
        "mail delivery failed",
        // Undelivered Mail Returned to Sender (Postfix)
        "undelivered mail",
        // Delivery Status Notification (Failure) (Gmail)
        "delivery status notification",
        // Undeliverable: New referral (Exchange)
        "undeliverable", "undeliverable:",
        // Returned mail: see transcript for details (Sendmail)
        "returned mail",
        // Mail System Error - Returned Mail
        "mail system error",
        // Delivery failure / Delivery has failed
        "delivery failure", "delivery has failed", "message delivery failure",
        // Nicht zustellbar: … (Exchange, German)
        "nicht zustellbar", "unzustellbar",
        // Non remis : … (Exchange, French)
        "non remis", "non distribuable",
        // No se puede entregar: … (Exchange, Spanish)
        "no se puede entregar",
    ]

    private static func looksLikeBounce(_ message: ParsedMessage) -> Bool {
        if message.contentType == "multipart/report" { return true }
        let local = message.from?.localPart.lowercased() ?? ""
        if local == "mailer-daemon" || local == "postmaster" { return true }
        let subject = message.subject.lowercased()
        return bounceSubjects.contains { subject.hasPrefix($0) }
    }
}
