/// A member following another member's listings: they get `listing.new` when one goes live.
///
/// `FOLLOW L-n` follows that listing's owner.
public struct Follow: Sendable, Hashable, Codable, Identifiable {
    /// The stored row id; `nil` until stored.
    public var id: Int64?
    /// The member who sent FOLLOW.
    public var followerId: Int64
    /// The member whose listings they follow.
    public var followedId: Int64
    /// When FOLLOW was sent, Unix seconds.
    public var createdAt: Int64

    /// A follow.
    public init(id: Int64? = nil, followerId: Int64, followedId: Int64, createdAt: Int64) {
        self.id = id
        self.followerId = followerId
        self.followedId = followedId
        self.createdAt = createdAt
    }
}
