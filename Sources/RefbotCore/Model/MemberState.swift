/// Where a member stands.
public enum MemberState: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Sent JOIN, has not confirmed it yet.
    case pending
    /// A confirmed member.
    case active
    /// Sent LEAVE; open referrals stay with their counterparts.
    case left

    public var description: String { rawValue }
}
