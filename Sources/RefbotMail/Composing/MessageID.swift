import Foundation

/// Message-ID values (RFC 5322 §3.6.4).
public enum MessageID {
    /// `<unique@domain>`; characters that may not appear in a msg-id are replaced with `-`.
    public static func make(unique: String, domain: String) -> String {
        // Letters, digits and RFC 5322 atext symbols stay; anything else (each whole character) is "-".
        func clean(_ text: String) -> String {
            if text.isEmpty { return "-" }
            if text.utf8.allSatisfy(isAllowed) { return text }
            return String(text.map { $0.utf8.count == 1 && isAllowed($0.utf8.first!) ? $0 : "-" })
        }
        return "<" + clean(unique) + "@" + clean(domain.lowercased()) + ">"
    }

    private static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
            UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: "?"),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "{"), UInt8(ascii: "|"), UInt8(ascii: "}"),
            UInt8(ascii: "~"), UInt8(ascii: "."):
            true
        default: false
        }
    }
}
