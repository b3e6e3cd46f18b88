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
        // Most names hold neither a backslash nor a quote: they go as they are.
        guard name.utf8.contains(where: { $0 == 0x5c || $0 == 0x22 }) else { return "\"" + name + "\" <" + address + ">" }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"" + escaped + "\" <" + address + ">"
    }

    // MARK: - Parsing

    /// Characters that may not appear unquoted in a local part.
    private static let specials: Set<Unicode.Scalar> = ["(", ")", "<", ">", "[", "]", ":", ";", "@", "\\", ",", "\"", " ", "\t"]

    /// Splits and validates `local@domain`.
    private static func split(_ text: String) -> (String, String)? {
        var text = text
        if let ascii: (String, String)? = text.withUTF8({ bytes in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            return .some(splitASCII(bytes))
        }) {
            return ascii
        }
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

    /// ``split(_:)`` for an ASCII addr-spec, on its bytes.
    private static func splitASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> (String, String)? {
        var inQuotes = false
        var at: Int?
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte < 32 || byte == 127 { return nil }
            if inQuotes {
                if byte == UInt8(ascii: "\\") {
                    index += 1
                } else if byte == UInt8(ascii: "\"") {
                    inQuotes = false
                }
            } else if byte == UInt8(ascii: "\"") {
                inQuotes = true
            } else if byte == UInt8(ascii: "@") {
                at = index
            }
            index += 1
        }
        guard !inQuotes, let at, at > 0, at < bytes.count - 1 else { return nil }
        var local = bytes[..<at]
        var domain = bytes[(at + 1)...]
        if domain.last == UInt8(ascii: ".") { domain = domain.dropLast() }
        guard let first = domain.first, first != UInt8(ascii: ".") else { return nil }
        func hasDoubleDot(_ part: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
            zip(part, part.dropFirst()).contains { $0 == UInt8(ascii: ".") && $1 == UInt8(ascii: ".") }
        }
        func isSpecial(_ byte: UInt8) -> Bool { specialBytes.contains(byte) }
        if first == UInt8(ascii: "[") {
            guard domain.count >= 2, domain.last == UInt8(ascii: "]"),
                !domain.dropFirst().dropLast().contains(where: { $0 == 91 || $0 == 93 || $0 == 92 || $0 == 32 })
            else { return nil }
        } else {
            for byte in domain {
                let ok = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
                if !ok { return nil }
            }
            if hasDoubleDot(domain) { return nil }
        }
        if local.first == UInt8(ascii: "\"") {
            guard local.count >= 2, local.last == UInt8(ascii: "\"") else { return nil }
            // a quoted local part that needs no quotes is written bare
            let inner = local.dropFirst().dropLast()
            if !inner.isEmpty, !inner.contains(where: isSpecial), inner.first != UInt8(ascii: "."),
                inner.last != UInt8(ascii: "."), !hasDoubleDot(inner)
            {
                local = inner
            }
        } else {
            if local.contains(where: isSpecial) { return nil }
            if local.first == UInt8(ascii: ".") || local.last == UInt8(ascii: ".") || hasDoubleDot(local) { return nil }
        }
        return (String(decoding: local, as: UTF8.self), String(decoding: domain, as: UTF8.self))
    }

    private static let specialBytes: Set<UInt8> = Set("()<>[]:;@\\,\" \t".utf8)

    /// Splits an address-list into mailbox entries at top-level commas, group colons and semicolons.
    ///
    /// Works on UTF-8 bytes: every character that steers the state machine is ASCII, and the bytes of other
    /// scalars go wherever the scalar would.
    private static func splitEntries(_ value: String) -> [String] {
        var value = value
        return value.withUTF8 { bytes in
            var entries: [String] = []
            var current: [UInt8] = []
            current.reserveCapacity(bytes.count)
            var inQuotes = false
            var commentDepth = 0
            var inAngle = false
            var escaped = false
            for byte in bytes {
                if escaped {
                    current.append(byte)
                    // the rest of an escaped multi-byte scalar is appended by the branches below
                    escaped = false
                    continue
                }
                if byte == UInt8(ascii: "\\"), inQuotes || commentDepth > 0 {
                    current.append(byte)
                    escaped = true
                    continue
                }
                if inQuotes {
                    if byte == UInt8(ascii: "\"") { inQuotes = false }
                    current.append(byte)
                    continue
                }
                if commentDepth > 0 {
                    if byte == UInt8(ascii: "(") { commentDepth += 1 }
                    if byte == UInt8(ascii: ")") { commentDepth -= 1 }
                    current.append(byte)
                    continue
                }
                switch byte {
                case UInt8(ascii: "\""): inQuotes = true
                case UInt8(ascii: "("): commentDepth = 1
                case UInt8(ascii: "<"): inAngle = true
                case UInt8(ascii: ">"): inAngle = false
                case UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"):
                    if inAngle { break }
                    // "group: a@b, c@d;" — the text before ":" is the group's name, not a mailbox
                    if byte != UInt8(ascii: ":") { entries.append(String(decoding: current, as: UTF8.self)) }
                    current.removeAll(keepingCapacity: true)
                    continue
                default: break
                }
                current.append(byte)
            }
            entries.append(String(decoding: current, as: UTF8.self))
            return entries
        }
    }

    /// Reads one mailbox entry: `name <addr>`, `addr (comment)` or a bare addr-spec (on UTF-8 bytes, as
    /// ``splitEntries(_:)``).
    private static func mailbox(_ entry: String) -> EmailAddress? {
        var entry = entry
        let parts: (phrase: [UInt8], angle: [UInt8], comments: [String], outside: [UInt8], angleState: Int) = entry.withUTF8 { bytes in
            var phrase: [UInt8] = []
            var angle: [UInt8] = []
            var comments: [String] = []
            var comment: [UInt8] = []
            var outside: [UInt8] = []  // the entry without comments, for bare addr-specs
            outside.reserveCapacity(bytes.count)
            var inQuotes = false
            var commentDepth = 0
            var angleState = 0  // 0 before, 1 inside, 2 after
            var escaped = false
            for byte in bytes {
                if commentDepth > 0 {
                    if escaped {
                        comment.append(byte)
                        escaped = false
                    } else if byte == UInt8(ascii: "\\") {
                        escaped = true
                    } else if byte == UInt8(ascii: "(") {
                        commentDepth += 1
                        comment.append(byte)
                    } else if byte == UInt8(ascii: ")") {
                        commentDepth -= 1
                        if commentDepth == 0 {
                            comments.append(String(decoding: comment, as: UTF8.self))
                            comment = []
                        } else {
                            comment.append(byte)
                        }
                    } else {
                        comment.append(byte)
                    }
                    continue
                }
                if inQuotes {
                    if escaped {
                        escaped = false
                        if angleState == 1 { angle.append(byte) } else { phrase.append(byte) }
                        outside.append(byte)
                        continue
                    }
                    if byte == UInt8(ascii: "\\") {
                        escaped = true
                        if angleState == 1 { angle.append(byte) }
                        outside.append(byte)
                        continue
                    }
                    if byte == UInt8(ascii: "\"") { inQuotes = false }
                    if angleState == 1 { angle.append(byte) } else if byte != UInt8(ascii: "\"") { phrase.append(byte) }
                    outside.append(byte)
                    continue
                }
                switch byte {
                case UInt8(ascii: "("):
                    commentDepth = 1
                    continue
                case UInt8(ascii: "\""):
                    inQuotes = true
                    if angleState == 1 { angle.append(byte) }
                    outside.append(byte)
                    continue
                case UInt8(ascii: "<") where angleState == 0:
                    angleState = 1
                    continue
                case UInt8(ascii: ">") where angleState == 1:
                    angleState = 2
                    continue
                default:
                    break
                }
                if angleState == 1 {
                    angle.append(byte)
                } else if angleState == 0 {
                    phrase.append(byte)
                }
                outside.append(byte)
            }
            return (phrase, angle, comments, outside, angleState)
        }
        if parts.angleState >= 1 {
            var spec = TextLines.trim(String(decoding: parts.angle, as: UTF8.self), TextLines.whitespaceAndNewlines)
            // obsolete source route: <@relay1,@relay2:user@example.org>
            if spec.hasPrefix("@"), let colon = spec.firstIndex(of: ":") {
                spec = String(spec[spec.index(after: colon)...])
            }
            guard var address = EmailAddress(spec) else { return nil }
            address.displayName = displayName(String(decoding: parts.phrase, as: UTF8.self))
                ?? parts.comments.lazy.compactMap(displayName).first
            return address
        }
        guard var address = EmailAddress(String(decoding: parts.outside, as: UTF8.self)) else { return nil }
        address.displayName = parts.comments.lazy.compactMap(displayName).first
        return address
    }

    /// A cleaned display name: encoded words decoded, whitespace collapsed; nil when empty.
    private static func displayName(_ raw: String) -> String? {
        var decoded = EncodedWord.decode(raw)
        // ASCII: `Character.isWhitespace` is tab, LF, VT, FF, CR and space
        if let ascii: String? = decoded.withUTF8({ bytes in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count)
            var pendingSpace = false
            for byte in bytes {
                if byte == 32 || (byte >= 9 && byte <= 13) {
                    if !output.isEmpty { pendingSpace = true }
                } else {
                    if pendingSpace { output.append(32) }
                    pendingSpace = false
                    output.append(byte)
                }
            }
            return .some(output.isEmpty ? nil : String(decoding: output, as: UTF8.self))
        }) {
            return ascii
        }
        let collapsed = decoded.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        return collapsed.isEmpty ? nil : collapsed
    }
}
