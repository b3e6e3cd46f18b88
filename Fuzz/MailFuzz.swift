import Foundation

/// libFuzzer entry point: parses the input as a message, runs everything that reads a parsed message and
/// reads the command from it, then trims the raw input as a reply body and reads its command too. Built
/// together with the RefbotMail sources and RefbotCore's command parser by `scripts/fuzz-mail`, so the
/// module's internal helpers are fuzzed too.
///
/// Setup that does not depend on the input (the bot's address, the limits) is made once. The readers of
/// single header values (address lists, Authentication-Results, header cleaning) get the first
/// ``headerValueLimit`` bytes, the longest line RFC 5322 allows, rather than the whole input.
@_cdecl("LLVMFuzzerTestOneInput")
public func mailFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let message = try? MessageParser.parse(bytes, limits: fuzzLimits) {
        let reply = ReplyTrimmer.trim(message.textBody)
        _ = CommandParser.parse(subject: message.subject, newText: reply.newText)
        _ = AutoReplySignals.reason(for: message)
        if let report = DeliveryStatusReport.parse(message) {
            _ = report.failed
            _ = report.verpID(base: fuzzBot, reportRecipients: message.to)
        }
        if let from = message.from {
            _ = AuthenticationResults.verdict(in: message, trustedAuthservID: "mx.example.org", from: from)
            _ = TaggedAddress.tag(of: from, base: fuzzBot)
            _ = from.description
        }
    }
    let text = String(decoding: bytes, as: UTF8.self)
    let reply = ReplyTrimmer.trim(text)
    _ = CommandParser.parse(subject: "", newText: reply.newText)
    let value = size <= headerValueLimit ? text : String(decoding: bytes[..<headerValueLimit], as: UTF8.self)
    _ = EmailAddress.parseList(value)
    _ = AuthenticationResults.parse(value)
    _ = SafeHeaderValue(value).value
    return 0
}

/// The bot's address, for VERP and tag checks.
private let fuzzBot = EmailAddress(localPart: "referrals", domain: "example.org")
/// Smaller than the daemon's limits, so one input cannot take the fuzzer's whole time budget.
private let fuzzLimits = ParseLimits(maxBytes: 1 << 20, maxDepth: 16, maxParts: 200)
/// Bytes given to the single-header-value readers.
private let headerValueLimit = 998
