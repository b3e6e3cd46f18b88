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
                .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
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

    /// The verdict from the headers added by `trustedAuthservID` for the `from` address.
    ///
    /// DMARC counts when it passed (and names the `From:` domain, if it names one); DKIM counts when it
    /// passed with `header.d` (or the domain of `header.i`) equal to the `From:` domain.
    public static func verdict(in message: ParsedMessage, trustedAuthservID: String, from: EmailAddress)
        -> AuthenticationVerdict
    {
        let trusted = trustedAuthservID.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trusted.isEmpty else { return .none }
        let domain = from.domain.lowercased()
        var verdict = AuthenticationVerdict.none
        for field in message.headers.all(named: "Authentication-Results") {
            guard let parsed = parse(field.rawValue), parsed.authservID.lowercased() == trusted else { continue }
            for entry in parsed.results where entry.result == "pass" {
                switch entry.method {
                case "dmarc":
                    let named = entry.properties["header.from"].map(domainOf)
                    if named == nil || named == domain { return .dmarcPass }
                case "dkim":
                    let signer = entry.properties["header.d"]?.lowercased() ?? entry.properties["header.i"].map(domainOf)
                    if signer == domain { verdict = .dkimPassAligned }
                default:
                    break
                }
            }
        }
        return verdict
    }

    private static func domainOf(_ value: String) -> String {
        let lower = value.lowercased()
        if let at = lower.lastIndex(of: "@") { return String(lower[lower.index(after: at)...]) }
        return lower
    }

    private static func unquote(_ text: String) -> String {
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { return String(text.dropFirst().dropLast()) }
        return text
    }

    private static func removingComments(_ text: String) -> String {
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
        var parts: [String] = []
        var current = ""
        var inQuotes = false
        for character in text {
            if character == "\"" { inQuotes.toggle() }
            if character == separator, !inQuotes {
                parts.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            } else {
                current.append(character)
            }
        }
        parts.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
        return parts
    }
}
