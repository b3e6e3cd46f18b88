import Foundation

/// A parsed `Authentication-Results` header (RFC 8601).
///
/// ```swift
/// let results = AuthenticationResults.parse("mx.example.org; dkim=pass header.d=example.com; dmarc=pass")
/// AuthenticationResults.verdict(in: message, trustedAuthservID: "mx.example.org", from: sender)  // .dmarcPass
/// ```
public struct AuthenticationResults: Sendable {
    /// The authserv-id: which host added the header.
    public var authservID: String
    /// Each method's result with its properties (`header.d`, `header.from`, `smtp.mailfrom`, …).
    public var results: [(method: String, result: String, properties: [String: String])]

    /// Creates results.
    public init(authservID: String, results: [(method: String, result: String, properties: [String: String])]) {
        self.authservID = authservID
        self.results = results
    }

    /// Parses a header value; nil when it has no authserv-id.
    public static func parse(_ headerValue: String) -> AuthenticationResults? {
        let cleaned = removingComments(headerValue)
        let statements = splitOutsideQuotes(cleaned, separator: ";")
        guard let first = statements.first else { return nil }
        let idTokens = first.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
        guard let id = idTokens.first, !id.contains("=") else { return nil }
        var results: [(method: String, result: String, properties: [String: String])] = []
        for statement in statements.dropFirst() {
            let tokens = splitOutsideQuotes(statement, separator: " ")
                .flatMap { splitOutsideQuotes($0, separator: "\t") }
                .map { trimmed(Substring($0)) }
                .filter { !$0.isEmpty }
            guard let head = tokens.first, let equals = head.firstIndex(of: "=") else { continue }
            var method = String(head[..<equals]).lowercased()
            if let slash = method.firstIndex(of: "/") { method = String(method[..<slash]) }
            let result = unquote(String(head[head.index(after: equals)...])).lowercased()
            var properties: [String: String] = [:]
            for token in tokens.dropFirst() {
                guard let equals = token.firstIndex(of: "=") else { continue }
                let key = String(token[..<equals]).lowercased()
                if properties[key] == nil { properties[key] = unquote(String(token[token.index(after: equals)...])) }
            }
            if method == "none" { continue }
            results.append((method: method, result: result, properties: properties))
        }
        return AuthenticationResults(authservID: String(id), results: results)
    }

    /// The verdict from the headers added by `trustedAuthservID` for the `from` address
    /// (``assess(_:trustedAuthservID:)`` without the reasons).
    public static func verdict(in message: ParsedMessage, trustedAuthservID: String, from: EmailAddress)
        -> AuthenticationVerdict
    {
        assess(message, trustedAuthservID: trustedAuthservID).verdict
    }

    /// What the receiving MTA's own `Authentication-Results` fields say of the `From:` address, and why.
    ///
    /// Only the fields that the MTA itself added count (RFC 8601 §5): those with the trusted
    /// authserv-id that stand above the MTA's own SMTP `Received:` field, the first `Received:` from
    /// the top that records an SMTP reception (`with SMTP`, `ESMTP`, `ESMTPS`, `ESMTPSA`, …). Postfix
    /// puts a milter's field there (OpenDKIM, OpenDMARC, rspamd), above its `Received:`; only local
    /// delivery (Dovecot's `with LMTP` `Received:`, `Return-Path:`, `Delivered-To:`) is added above it
    /// afterwards. Everything below that `Received:` was written by the sender or by servers before
    /// ours, so a field with the trusted authserv-id there is a forgery sign: the whole message then
    /// gets no verdict.
    ///
    /// A pass counts only when aligned with the single `From:` mailbox: `dmarc=pass` with
    /// `header.from` equal to its domain, or `dkim=pass` with `header.d` equal to it (and no trusted
    /// DMARC result other than pass). Mail with more than one `From:` field or mailbox gets no verdict.
    public static func assess(_ message: ParsedMessage, trustedAuthservID: String) -> AuthenticationAssessment {
        let trusted = EmailAddress.asciiLowercased(trustedAuthservID.trimmingCharacters(in: .whitespaces))
        guard !trusted.isEmpty else { return AuthenticationAssessment(verdict: .none, reason: "auth.trusted_authserv_id is not set") }
        let fromFields = message.headers.all(named: "From")
        let mailboxes = fromFields.flatMap { EmailAddress.parseList($0.value) }
        guard fromFields.count == 1, mailboxes.count == 1, let from = mailboxes.first else {
            return AuthenticationAssessment(
                verdict: .none,
                reason: "the mail has \(fromFields.count) From: fields and \(mailboxes.count) From: mailboxes; only one can be proven")
        }
        let boundary = message.headers.firstIndex { field in
            TextLines.equalsIgnoringASCIICase(field.name, "Received") && isSMTPReception(field.rawValue)
        }
        var own: [AuthenticationResults] = []
        var forged = 0
        for (index, field) in message.headers.enumerated() where TextLines.equalsIgnoringASCIICase(field.name, "Authentication-Results") {
            guard let parsed = parse(field.rawValue), EmailAddress.asciiLowercased(parsed.authservID) == trusted else { continue }
            if let boundary, index < boundary { own.append(parsed) } else { forged += 1 }
        }
        if forged > 0 {
            return AuthenticationAssessment(
                verdict: .none, forgerySign: true,
                reason: boundary == nil
                    ? "an Authentication-Results field with authserv-id \(trusted) is in a mail without the MTA's SMTP Received: field"
                    : "\(forged) Authentication-Results field(s) with authserv-id \(trusted) stand below the MTA's Received: field, where the sender writes")
        }
        guard boundary != nil else {
            return AuthenticationAssessment(verdict: .none, reason: "the mail has no SMTP Received: field, so no field is the MTA's own")
        }
        guard !own.isEmpty else {
            return AuthenticationAssessment(verdict: .none, reason: "the MTA added no Authentication-Results field with authserv-id \(trusted)")
        }
        let domain = from.domain
        var dmarcFailed = false
        var dkimAligned = false
        for entry in own.flatMap(\.results) {
            switch entry.method {
            case "dmarc":
                let named = entry.properties["header.from"].map(domainOf)
                if entry.result == "pass", named == domain {
                    return AuthenticationAssessment(verdict: .dmarcPass, reason: "dmarc=pass header.from=\(domain) from \(trusted)")
                }
                if named == nil || named == domain, entry.result != "none" { dmarcFailed = true }
            case "dkim":
                if entry.result == "pass", entry.properties["header.d"].map(EmailAddress.asciiLowercased) == domain { dkimAligned = true }
            default:
                break
            }
        }
        if dkimAligned, !dmarcFailed {
            return AuthenticationAssessment(verdict: .dkimPassAligned, reason: "dkim=pass header.d=\(domain) from \(trusted)")
        }
        return AuthenticationAssessment(
            verdict: .none,
            reason: dmarcFailed ? "\(trusted) says DMARC did not pass for \(domain)" : "\(trusted) has no aligned pass for \(domain)")
    }

    /// Whether a `Received:` field records an SMTP reception (`with SMTP`, `ESMTP`, `ESMTPS`, `ESMTPA`,
    /// `ESMTPSA`, `UTF8SMTP…`, `LMTP` excluded; RFC 3848).
    public static func isSMTPReception(_ value: String) -> Bool {
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == ";" })
        guard let with = words.firstIndex(where: { $0.lowercased() == "with" }), with + 1 < words.count else { return false }
        let protocolName = words[with + 1].lowercased()
        return protocolName == "smtp" || protocolName.hasPrefix("esmtp") || protocolName.hasPrefix("utf8smtp")
    }

    private static func domainOf(_ value: String) -> String {
        let lower = EmailAddress.asciiLowercased(value)
        if let at = lower.lastIndex(of: "@") { return String(lower[lower.index(after: at)...]) }
        return lower
    }

    private static func unquote(_ text: String) -> String {
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { return String(text.dropFirst().dropLast()) }
        return text
    }

    private static func removingComments(_ text: String) -> String {
        var text = text
        // text whose every scalar is a character of its own is read as bytes (the delimiters are ASCII)
        if let fast: String = text.withUTF8({ bytes in
            guard UTF8Text.isStandaloneText(bytes, 0..<bytes.count) else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count)
            var depth = 0
            var inQuotes = false
            for byte in bytes {
                if depth == 0, byte == UInt8(ascii: "\"") { inQuotes.toggle() }
                if !inQuotes {
                    if byte == UInt8(ascii: "(") {
                        depth += 1
                        continue
                    }
                    if byte == UInt8(ascii: ")"), depth > 0 {
                        depth -= 1
                        if depth == 0 { output.append(32) }
                        continue
                    }
                }
                if depth == 0 { output.append(byte) }
            }
            return String(decoding: output, as: UTF8.self)
        }) {
            return fast
        }
        var output = ""
        var depth = 0
        var inQuotes = false
        for character in text {
            if depth == 0, character == "\"" { inQuotes.toggle() }
            if !inQuotes {
                if character == "(" {
                    depth += 1
                    continue
                }
                if character == ")", depth > 0 {
                    depth -= 1
                    if depth == 0 { output += " " }
                    continue
                }
            }
            if depth == 0 { output.append(character) }
        }
        return output
    }

    private static func splitOutsideQuotes(_ text: String, separator: Character) -> [String] {
        var text = text
        if let separatorByte = separator.asciiValue, let fast: [String] = text.withUTF8({ bytes in
            guard UTF8Text.isStandaloneText(bytes, 0..<bytes.count) else { return nil }
            var parts: [String] = []
            var start = 0
            var inQuotes = false
            for index in 0..<bytes.count {
                if bytes[index] == UInt8(ascii: "\"") { inQuotes.toggle() }
                if bytes[index] == separatorByte, !inQuotes {
                    parts.append(trimmedPart(bytes, start..<index))
                    start = index + 1
                }
            }
            parts.append(trimmedPart(bytes, start..<bytes.count))
            return parts
        }) {
            return fast
        }
        // other text by characters, slicing rather than copying each one
        var parts: [String] = []
        var inQuotes = false
        var start = text.startIndex
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "\"" { inQuotes.toggle() }
            if character == separator, !inQuotes {
                parts.append(trimmed(text[start..<index]))
                start = next
            }
            index = next
        }
        parts.append(trimmed(text[start...]))
        return parts
    }

    /// The part as a string without surrounding `.whitespacesAndNewlines`; Foundation trims only when an end
    /// is not a plain ASCII character.
    private static func trimmedPart(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        let part = UTF8Text.string(bytes, range)
        guard let first = range.first, let last = range.last else { return part }
        func isPlain(_ byte: UInt8) -> Bool { byte > 32 && byte < 0x80 }
        if isPlain(bytes[first]), isPlain(bytes[last]) { return part }
        return trimmed(Substring(part))
    }

    private static let whitespaceAndNewline = CharacterSet.whitespacesAndNewlines

    /// `trimmingCharacters(in: .whitespacesAndNewlines)` by Unicode scalars, without bridging to NSString
    /// (which trims by scalars too).
    private static func trimmed(_ text: Substring) -> String {
        let scalars = text.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, whitespaceAndNewline.contains(scalars[start]) { start = scalars.index(after: start) }
        while end > start {
            let before = scalars.index(before: end)
            guard whitespaceAndNewline.contains(scalars[before]) else { break }
            end = before
        }
        return String(scalars[start..<end])
    }
}
