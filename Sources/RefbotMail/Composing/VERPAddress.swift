import Foundation

/// Variable envelope return paths: `local+bounce-<id>-<mac>@domain`, so a bounce names the mail it
/// is about, and only refbot can make one (the mac is ``RefbotCore/VERPKey``'s, checked by the daemon).
public enum VERPAddress {
    /// `base.local+bounce-<id>-<mac>@base.domain`.
    public static func make(base: EmailAddress, id: Int64, mac: String) -> String {
        base.localPart + "+bounce-" + String(id) + "-" + mac + "@" + base.domain
    }

    /// The row id and mac when `address` is a VERP address of `base` (case-insensitive), otherwise nil.
    /// The bare `+bounce-<id>` form (no mac) is not one: anyone could make it.
    public static func parse(_ address: String, base: EmailAddress) -> (id: Int64, mac: String)? {
        guard let parsed = EmailAddress(address) ?? EmailAddress.parseList(address).first,
            parsed.domain == base.domain.lowercased()
        else { return nil }
        let prefix = base.localPart.lowercased() + "+bounce-"
        let local = parsed.localPart.lowercased()
        guard local.hasPrefix(prefix) else { return nil }
        let rest = local.dropFirst(prefix.count)
        guard let dash = rest.firstIndex(of: "-") else { return nil }
        let digits = rest[..<dash]
        let mac = rest[rest.index(after: dash)...]
        guard !digits.isEmpty, digits.count <= 18, digits.allSatisfy({ $0.isASCII && $0.isNumber }), !mac.isEmpty,
            mac.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }), let id = Int64(digits)
        else { return nil }
        return (id, String(mac))
    }

    /// The id when `address` is a VERP address of `base`, whatever its mac (not a proof), otherwise nil.
    public static func id(in address: String, base: EmailAddress) -> Int64? {
        parse(address, base: base)?.id
    }
}
