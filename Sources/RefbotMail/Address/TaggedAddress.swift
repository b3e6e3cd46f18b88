import Foundation

/// Sub-addresses that carry a reply token: `referrals+TOKEN@example.org`.
public enum TaggedAddress {
    /// `base.local+tag@base.domain`.
    public static func make(base: EmailAddress, tag: String) -> String {
        base.localPart + "+" + tag + "@" + base.domain
    }

    /// The tag when `address` is `base.local+TAG@base.domain` (local part and domain case-insensitive).
    public static func tag(of address: EmailAddress, base: EmailAddress) -> String? {
        guard address.domain.lowercased() == base.domain.lowercased() else { return nil }
        let prefix = base.localPart.lowercased() + "+"
        guard address.localPart.lowercased().hasPrefix(prefix) else { return nil }
        let tag = String(address.localPart.dropFirst(prefix.count))
        return tag.isEmpty ? nil : tag
    }
}
