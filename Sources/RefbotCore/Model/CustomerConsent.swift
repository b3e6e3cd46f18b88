/// How the customer agreed to be referred (spec §3, "Customer consent").
public enum CustomerConsent: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The referrer wrote `Consent: yes` and the network trusts that (`customer_consent = "referrer"`).
    case byReferrer
    /// refbot mailed the customer (`customer.consent`) and waits for YES or NO.
    case asked
    /// The customer replied YES or clicked; the owner may see their contact details.
    case granted
    /// The customer replied NO; the owner never sees their contact details.
    case refused

    public var description: String { rawValue }

    /// Whether the owner may be given the customer's email and phone.
    public var allowsContactDetails: Bool { self == .byReferrer || self == .granted }
}
