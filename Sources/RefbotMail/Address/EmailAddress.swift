import Foundation

/// A mailbox: an optional display name and an addr-spec `local@domain` (domain ASCII-lowercased).
///
/// ```swift
/// let list = EmailAddress.parseList("\"Diaz, Carol\" <carol@Example.COM>, bob@example.org (Bob)")
/// list[0].displayName   // "Diaz, Carol"
/// list[0].address       // "carol@example.com"
/// ```
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The display name, unquoted and RFC 2047-decoded.
    public var displayName: String?
    /// The local part as written (a quoted local part keeps its quotes).
    public var localPart: String
    /// The domain, lowercased.
    public var domain: String

    /// `local@domain`.
    public var address: String { localPart + "@" + domain }

    /// Reads a bare addr-spec, tolerating surrounding whitespace and angle brackets; nil when it is not one.
    public init?(_ addrSpec: String) {
        var text = TextLines.trim(addrSpec, TextLines.whitespaceAndNewlines)
        if text.hasPrefix("<"), text.hasSuffix(">"), text.count >= 2 {
            text = TextLines.trim(String(text.dropFirst().dropLast()))
        }
        guard let (local, domain) = EmailAddress.split(text) else { return nil }
        self.init(localPart: local, domain: domain)
    }

    /// Creates an address from its parts; the domain is lowercased (`A`–`Z` only: Unicode case
    /// mapping would turn a KELVIN SIGN into `k` and make another domain look like a member's).
    public init(localPart: String, domain: String, displayName: String? = nil) {
        self.localPart = localPart
        self.domain = EmailAddress.asciiLowercased(domain)
        self.displayName = displayName
    }

    /// `text` with `A`–`Z` lower-cased and every other character as it is.
    static func asciiLowercased(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x41, scalar.value <= 0x5A, let lower = Unicode.Scalar(scalar.value + 0x20) {
                scalars.append(lower)
            } else {
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// Reads an RFC 5322 address-list (groups, comments, quoted local parts, display names, encoded words).
    ///
    /// Never fails: entries that hold no usable addr-spec are skipped.
    public static func parseList(_ headerValue: String) -> [EmailAddress] {
        var result: [EmailAddress] = []
        for entry in splitEntries(headerValue) {
            if let address = mailbox(entry) { result.append(address) }
        }
        return result
    }

    /// `"Name" <local@domain>`, or `local@domain` without a name; a non-ASCII name is RFC 2047-encoded.
    public var description: String {
        guard let name = displayName.map({ SafeHeaderValue($0).value }), !name.isEmpty else { return address }
        if EncodedWord.needsEncoding(name) {
            return EncodedWord.encode(name).joined(separator: " ") + " <" + address + ">"
        }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + escaped + "\" <" + address + ">"
    }

    // MARK: - Parsing

    /// Characters that may not appear unquoted in a local part.
    private static let specials: Set<Unicode.Scalar> = ["(", ")", "<", ">", "[", "]", ":", ";", "@", "\\", ",", "\"", " ", "\t"]

    /// Splits and validates `local@domain`.
    private static func split(_ text: String) -> (String, String)? {
        let scalars = Array(text.unicodeScalars)
        var inQuotes = false
        var at: Int?
        var index = 0
        while index < scalars.count {
            let scalar = scalars[index]
            if scalar.value < 32 || scalar.value == 127 { return nil }
            if inQuotes {
                if scalar == "\\" {
                    index += 1
                } else if scalar == "\"" {
                    inQuotes = false
                }
            } else if scalar == "\"" {
                inQuotes = true
            } else if scalar == "@" {
                at = index
            }
            index += 1
        }
        guard !inQuotes, let at, at > 0, at < scalars.count - 1 else { return nil }
        var local = String(String.UnicodeScalarView(scalars[..<at]))
        var domain = String(String.UnicodeScalarView(scalars[(at + 1)...]))
        if domain.hasSuffix(".") { domain.removeLast() }
        guard !domain.isEmpty, !domain.hasPrefix(".") else { return nil }
        if domain.hasPrefix("[") {
            guard domain.hasSuffix("]"), !domain.dropFirst().dropLast().contains(where: { "[]\\ ".contains($0) }) else {
                return nil
            }
        } else {
            for scalar in domain.unicodeScalars where scalar.isASCII {
                let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                    || (scalar >= "0" && scalar <= "9") || scalar == "-" || scalar == "." || scalar == "_"
                if !ok { return nil }
            }
            if domain.contains("..") { return nil }
        }
        if local.hasPrefix("\"") {
            guard local.hasSuffix("\""), local.count >= 2 else { return nil }
            // a quoted local part that needs no quotes is written bare
            let inner = String(local.dropFirst().dropLast())
            if !inner.isEmpty, !inner.unicodeScalars.contains(where: { specials.contains($0) }), !inner.hasPrefix("."),
                !inner.hasSuffix("."), !inner.contains("..")
            {
                local = inner
            }
        } else {
            if local.unicodeScalars.contains(where: { specials.contains($0) }) { return nil }
            if local.hasPrefix(".") || local.hasSuffix(".") || local.contains("..") { return nil }
        }
        return (local, domain)
    }

    /// Splits an address-list into mailbox entries at top-level commas, group colons and semicolons.
    private static func splitEntries(_ value: String) -> [String] {
        var entries: [String] = []
        var current = String.UnicodeScalarView()
        var inQuotes = false
        var commentDepth = 0
        var inAngle = false
        var escaped = false
        for scalar in value.unicodeScalars {
            if escaped {
                current.append(scalar)
                escaped = false
                continue
            }
            if scalar == "\\", inQuotes || commentDepth > 0 {
                current.append(scalar)
                escaped = true
                continue
            }
            if inQuotes {
                if scalar == "\"" { inQuotes = false }
                current.append(scalar)
                continue
            }
            if commentDepth > 0 {
                if scalar == "(" { commentDepth += 1 }
                if scalar == ")" { commentDepth -= 1 }
                current.append(scalar)
                continue
            }
            switch scalar {
            case "\"": inQuotes = true
            case "(": commentDepth = 1
            case "<": inAngle = true
            case ">": inAngle = false
            case ",", ";", ":":
                if inAngle { break }
                // "group: a@b, c@d;" — the text before ":" is the group's name, not a mailbox
                if scalar != ":" { entries.append(String(current)) }
                current = String.UnicodeScalarView()
                continue
            default: break
            }
            current.append(scalar)
        }
        entries.append(String(current))
        return entries
    }

    /// Reads one mailbox entry: `name <addr>`, `addr (comment)` or a bare addr-spec.
    private static func mailbox(_ entry: String) -> EmailAddress? {
        var phrase = String.UnicodeScalarView()
        var angle = String.UnicodeScalarView()
        var comments: [String] = []
        var comment = String.UnicodeScalarView()
        var outside = String.UnicodeScalarView()  // the entry without comments, for bare addr-specs
        var inQuotes = false
        var commentDepth = 0
        var angleState = 0  // 0 before, 1 inside, 2 after
        var escaped = false
        for scalar in entry.unicodeScalars {
            if commentDepth > 0 {
                if escaped {
                    comment.append(scalar)
                    escaped = false
                } else if scalar == "\\" {
                    escaped = true
                } else if scalar == "(" {
                    commentDepth += 1
                    comment.append(scalar)
                } else if scalar == ")" {
                    commentDepth -= 1
                    if commentDepth == 0 {
                        comments.append(String(comment))
                        comment = String.UnicodeScalarView()
                    } else {
                        comment.append(scalar)
                    }
                } else {
                    comment.append(scalar)
                }
                continue
            }
            if inQuotes {
                if escaped {
                    escaped = false
                    if angleState == 1 { angle.append(scalar) } else { phrase.append(scalar) }
                    outside.append(scalar)
                    continue
                }
                if scalar == "\\" {
                    escaped = true
                    if angleState == 1 { angle.append(scalar) }
                    outside.append(scalar)
                    continue
                }
                if scalar == "\"" { inQuotes = false }
                if angleState == 1 { angle.append(scalar) } else if scalar != "\"" { phrase.append(scalar) }
                outside.append(scalar)
                continue
            }
            switch scalar {
            case "(":
                commentDepth = 1
                continue
            case "\"":
                inQuotes = true
                if angleState == 1 { angle.append(scalar) }
                outside.append(scalar)
                continue
            case "<" where angleState == 0:
                angleState = 1
                continue
            case ">" where angleState == 1:
                angleState = 2
                continue
            default:
                break
            }
            if angleState == 1 {
                angle.append(scalar)
            } else if angleState == 0 {
                phrase.append(scalar)
            }
            outside.append(scalar)
        }
        if angleState >= 1 {
            var spec = TextLines.trim(String(angle), TextLines.whitespaceAndNewlines)
            // obsolete source route: <@relay1,@relay2:user@example.org>
            if spec.hasPrefix("@"), let colon = spec.firstIndex(of: ":") {
                spec = String(spec[spec.index(after: colon)...])
            }
            guard var address = EmailAddress(spec) else { return nil }
            address.displayName = displayName(String(phrase)) ?? comments.lazy.compactMap(displayName).first
            return address
        }
        guard var address = EmailAddress(String(outside)) else { return nil }
        address.displayName = comments.lazy.compactMap(displayName).first
        return address
    }

    /// A cleaned display name: encoded words decoded, whitespace collapsed; nil when empty.
    private static func displayName(_ raw: String) -> String? {
        let decoded = EncodedWord.decode(raw)
        let collapsed = decoded.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return collapsed.isEmpty ? nil : collapsed
    }
}
