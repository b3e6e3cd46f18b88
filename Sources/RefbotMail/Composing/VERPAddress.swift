import Foundation

/// Variable envelope return paths: `local+bounce-<id>@domain`, so a bounce names the mail it is about.
public enum VERPAddress {
    /// `base.local+bounce-<id>@base.domain`.
    public static func make(base: EmailAddress, id: Int64) -> String {
        base.localPart + "+bounce-" + String(id) + "@" + base.domain
    }

    /// The id when `address` is a VERP address of `base` (case-insensitive), otherwise nil.
    public static func id(in address: String, base: EmailAddress) -> Int64? {
        guard let parsed = EmailAddress(address) ?? EmailAddress.parseList(address).first,
            parsed.domain == base.domain.lowercased()
        else { return nil }
        let prefix = base.localPart.lowercased() + "+bounce-"
        let local = parsed.localPart.lowercased()
        guard local.hasPrefix(prefix) else { return nil }
        let digits = local.dropFirst(prefix.count)
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int64(digits)
    }
}
