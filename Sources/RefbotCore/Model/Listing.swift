/// A Referral Opportunity, `L-n`: the customers an owner wants referred and what they pay (spec §1, §3).
public struct Listing: Sendable, Hashable, Codable, Identifiable {
    /// The stored row id; `nil` until stored.
    public var id: Int64?
    /// The member who posted it.
    public var ownerId: Int64
    /// `Title:`, e.g. "Kitchen remodels".
    public var title: String
    /// `Category:`, e.g. "Home improvement".
    public var category: String
    /// `Location:`, where the owner works.
    public var location: String?
    /// `Customer:`, the ideal customer in the owner's words.
    public var customer: String
    /// `Reward:`, what a referrer earns.
    public var reward: Reward
    /// `Terms:`, the standard agreement or the owner's text.
    public var terms: ListingTerms
    /// Pending until an admin approves it (or at once with `auto_approve_listings`).
    public var state: ListingState
    /// Shown first in search results until this time, Unix seconds.
    public var featuredUntil: Int64?
    /// When it stops taking referrals, Unix seconds; `nil` for never.
    public var expiresAt: Int64?
    /// When it was posted, Unix seconds.
    public var createdAt: Int64
    /// When it last changed state, Unix seconds.
    public var updatedAt: Int64
    /// The admin's reason for DECLINE.
    public var declineReason: String?
    /// `Profession:` and `Jurisdiction:`, and what the compliance rules said (``ComplianceRules``).
    public var compliance = ListingCompliance()

    /// A listing as posted, `pending` unless given a state.
    public init(
        id: Int64? = nil, ownerId: Int64, title: String, category: String, location: String? = nil,
        customer: String, reward: Reward, terms: ListingTerms = .standard, state: ListingState = .pending,
        featuredUntil: Int64? = nil, expiresAt: Int64? = nil, createdAt: Int64, updatedAt: Int64? = nil,
        declineReason: String? = nil
    ) {
        self.id = id
        self.ownerId = ownerId
        self.title = title
        self.category = category
        self.location = location
        self.customer = customer
        self.reward = reward
        self.terms = terms
        self.state = state
        self.featuredUntil = featuredUntil
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt ?? createdAt
        self.declineReason = declineReason
    }

    /// `L-12`, once stored.
    public var listingID: ListingID? { id.map(ListingID.init) }

    /// Whether it is featured at `now`.
    public func isFeatured(at now: Int64) -> Bool { (featuredUntil ?? Int64.min) > now }

    /// Whether it takes referrals at `now`: live and not past its expiry.
    public func isOpen(at now: Int64) -> Bool {
        state == .live && (expiresAt.map { $0 > now } ?? true)
    }
}
