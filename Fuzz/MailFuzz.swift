import Foundation

/// libFuzzer entry point: parses the input as a message and runs everything that reads a parsed message,
/// then trims the raw input as a reply body. Built together with the RefbotMail sources by
/// `scripts/fuzz-mail`, so the module's internal helpers are fuzzed too.
@_cdecl("LLVMFuzzerTestOneInput")
public func mailFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let bot = EmailAddress(localPart: "referrals", domain: "example.org")
    if let message = try? MessageParser.parse(bytes, limits: ParseLimits(maxBytes: 1 << 20, maxDepth: 16, maxParts: 200)) {
        _ = ReplyTrimmer.trim(message.textBody)
        _ = AutoReplySignals.reason(for: message)
        if let report = DeliveryStatusReport.parse(message) {
            _ = report.failed
            _ = report.verpID(base: bot, reportRecipients: message.to)
        }
        if let from = message.from {
            _ = AuthenticationResults.verdict(in: message, trustedAuthservID: "mx.example.org", from: from)
            _ = TaggedAddress.tag(of: from, base: bot)
            _ = from.description
        }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    _ = ReplyTrimmer.trim(text)
    _ = EmailAddress.parseList(text)
    _ = AuthenticationResults.parse(text)
    _ = SafeHeaderValue(text).value
    return 0
}
