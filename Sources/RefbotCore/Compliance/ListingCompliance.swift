/// What a listing declared about its profession and jurisdiction, and what the compliance rules
/// (``ComplianceRules``) made of it ("v16: compliance").
///
/// A listing that breaks a rule is kept `pending` with ``heldBy`` naming the rule: no APPROVE
/// publishes it, only `refbot admin compliance override L-n --reason TEXT`, which records the
/// reason and the admin here (and in the ledger history) and puts it live.
public struct ListingCompliance: Sendable, Hashable, Codable {
    /// The profession key (`real_estate`), from `Profession:` or else a known profession in `Category:`.
    public var profession: String?
    /// The jurisdiction key (`US-CA`), from `Jurisdiction:`.
    public var jurisdiction: String?
    /// The id of the rule the listing broke when it was posted; `nil` when it broke none.
    public var heldBy: String?
    /// The line its agreements carry (several rules' lines joined by newlines); `nil` for none.
    public var disclosure: String?
    /// The admin's reason for publishing it despite ``heldBy``.
    public var overrideReason: String?
    /// The admin who overrode the rule.
    public var overrideBy: String?
    /// When, Unix seconds.
    public var overrideAt: Int64?

    public init(
        profession: String? = nil, jurisdiction: String? = nil, heldBy: String? = nil, disclosure: String? = nil,
        overrideReason: String? = nil, overrideBy: String? = nil, overrideAt: Int64? = nil
    ) {
        self.profession = profession
        self.jurisdiction = jurisdiction
        self.heldBy = heldBy
        self.disclosure = disclosure
        self.overrideReason = overrideReason
        self.overrideBy = overrideBy
        self.overrideAt = overrideAt
    }

    /// Whether a rule holds the listing back: it broke one and no admin has overridden it.
    public var isHeld: Bool { heldBy != nil && overrideReason == nil }
}
