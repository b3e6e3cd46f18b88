import Foundation

/// An abuse complaint a provider's feedback loop forwards (ARF, RFC 5965): a `multipart/report;
/// report-type=feedback-report` with a `message/feedback-report` part and the original message
/// (whole, `message/rfc822`, or its header, `text/rfc822-headers`), as Microsoft's JMRP/SNDS and
/// Yahoo's CFL send them. Providers often redact the complaining recipient's address; what names
/// the mail is its envelope sender, refbot's VERP address with its mac, which the daemon checks
/// before anything counts.
///
/// ```swift
/// if let report = FeedbackReport.parse(message) {
///     for candidate in report.verpAddresses(base: bot) { … verify the mac, find the row … }
/// }
/// ```
public struct FeedbackReport: Sendable, Equatable {
    /// `Feedback-Type`: `abuse`, `fraud`, `virus`, `other`, `not-spam`, … (lower-cased).
    public var feedbackType: String
    /// `User-Agent` of the report (the feedback loop's name).
    public var userAgent: String?
    /// `Original-Mail-From`: the envelope sender of the reported mail.
    public var originalMailFrom: String?
    /// `Original-Rcpt-To`: the recipient (often redacted by the provider).
    public var originalRecipients: [String]
    /// The reported message's own header fields (`Return-Path`, `Message-ID`, `X-Refbot-Event`, …).
    public var originalHeaders: [HeaderField]

    /// `Return-Path` of the reported message.
    public var originalReturnPath: String? { originalHeaders.first(named: "Return-Path").map { Self.addressValue($0.value) } }
    /// `Message-ID` of the reported message, without angle brackets.
    public var originalMessageID: String? {
        originalHeaders.first(named: "Message-ID").map { Self.addressValue($0.value) }.flatMap { $0.isEmpty ? nil : $0 }
    }
    /// `X-Refbot-Event` of the reported message.
    public var originalEvent: String? {
        originalHeaders.first(named: "X-Refbot-Event").map { $0.value.trimmingCharacters(in: .whitespaces) }
    }

    /// Whether the report is a complaint (not a `not-spam` note).
    public var isComplaint: Bool { feedbackType != "not-spam" }

    /// Reads an ARF report; nil when `message` is not one.
    public static func parse(_ message: ParsedMessage) -> FeedbackReport? {
        guard let part = message.parts.first(where: { $0.contentType == "message/feedback-report" }) else { return nil }
        let (header, _) = HeaderSection.split(part.body.filter { $0 != 13 }[...])
        let fields = HeaderSection.fields(header)
        guard let type = fields.first(named: "Feedback-Type")?.value else { return nil }
        let original = message.parts.first(where: {
            $0.contentType == "message/rfc822" || $0.contentType == "text/rfc822-headers"
                || $0.contentType == "message/global" || $0.contentType == "message/global-headers"
        })
        let originalHeaders = original.map { HeaderSection.fields(HeaderSection.split($0.body.filter { $0 != 13 }[...]).0) } ?? []
        return FeedbackReport(
            feedbackType: type.trimmingCharacters(in: .whitespaces).lowercased(),
            userAgent: fields.first(named: "User-Agent")?.value.trimmingCharacters(in: .whitespaces),
            originalMailFrom: fields.first(named: "Original-Mail-From").map { addressValue($0.value) },
            originalRecipients: fields.filter { $0.name.lowercased() == "original-rcpt-to" }.map { addressValue($0.value) },
            originalHeaders: originalHeaders)
    }

    /// The VERP addresses (row id and mac) the reported mail was sent from: `Original-Mail-From`
    /// and the original's `Return-Path`. The daemon checks each mac before a complaint counts.
    public func verpAddresses(base: EmailAddress) -> [(id: Int64, mac: String)] {
        [originalMailFrom, originalReturnPath].compactMap { $0 }.compactMap { VERPAddress.parse($0, base: base) }
    }

    private static func addressValue(_ value: String) -> String {
        var text = value.trimmingCharacters(in: .whitespaces)
        if let open = text.firstIndex(of: "<"), let close = text[open...].firstIndex(of: ">") {
            text = String(text[text.index(after: open)..<close])
        }
        return text.trimmingCharacters(in: .whitespaces)
    }
}
