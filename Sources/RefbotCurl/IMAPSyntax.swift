/// How refbot writes IMAP arguments (RFC 3501 §4 and §5.1.3) and URL paths (RFC 5092).
enum IMAPSyntax {
    /// `name` as an IMAP astring: bare when it is an atom, else a quoted string.
    /// The caller keeps CR, LF and NUL out; they cannot be quoted.
    static func astring(_ name: String) -> String {
        let isAtom = !name.isEmpty && name.unicodeScalars.allSatisfy(isAtomChar)
        if isAtom { return name }
        var out = "\""
        for scalar in name.unicodeScalars {
            if scalar == "\"" || scalar == "\\" { out.append("\\") }
            out.unicodeScalars.append(scalar)
        }
        out.append("\"")
        return out
    }

    private static func isAtomChar(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.value > 0x20, scalar.value < 0x7f else { return false }
        return !"(){ %*\"\\]".unicodeScalars.contains(scalar)
    }

    /// A folder name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): `Entwürfe` → `Entw&APw-rfe`.
    static func modifiedUTF7(_ name: String) -> String {
        var out = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes.append(UInt8(unit >> 8)); bytes.append(UInt8(unit & 0xff)) }
            out.append("&" + modifiedBase64(bytes) + "-")
            pending.removeAll()
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7e {
                flush()
                out.append(scalar == "&" ? "&-" : String(scalar))
            } else {
                pending.append(contentsOf: String(scalar).utf16)
            }
        }
        flush()
        return out
    }

    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")

    /// Base64 with `,` for `/` and no padding.
    private static func modifiedBase64(_ bytes: [UInt8]) -> String {
        var out = ""
        var index = 0
        while index < bytes.count {
            let b0 = Int(bytes[index])
            let b1 = index + 1 < bytes.count ? Int(bytes[index + 1]) : 0
            let b2 = index + 2 < bytes.count ? Int(bytes[index + 2]) : 0
            let n = (b0 << 16) | (b1 << 8) | b2
            let available = min(3, bytes.count - index)
            out.append(base64Alphabet[(n >> 18) & 63])
            out.append(base64Alphabet[(n >> 12) & 63])
            if available > 1 { out.append(base64Alphabet[(n >> 6) & 63]) }
            if available > 2 { out.append(base64Alphabet[n & 63]) }
            index += 3
        }
        return out
    }

    /// Percent-encodes everything but RFC 3986's unreserved characters, for a URL path segment.
    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF")
                out.append("%")
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            }
        }
        return out
    }

    /// Decodes `%XX` escapes; invalid escapes stay as they are.
    static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
                let high = hexValue(utf8[index + 1]), let low = hexValue(utf8[index + 2])
            {
                bytes.append(high << 4 | low)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// UIDs as a compact IMAP sequence set, ascending: `[7, 3, 4, 5]` → `3:5,7`.
    static func sequenceSet(_ uids: [UInt32]) -> String {
        let sorted = Array(Set(uids)).sorted()
        var parts: [String] = []
        var index = 0
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count, sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : "\(sorted[index]):\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }
}
