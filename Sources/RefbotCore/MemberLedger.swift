/// A reply address tag: which member may use it, for what, until when.
public struct ReplyTag: Sendable, Equatable {
    /// The random token in `referrals+TOKEN@…`.
    public var token: String
    /// The member (or customer) it was made for, lowercased.
    public var memberEmail: String
    /// What a reply to it does, e.g. `referral.owner`, `connection.addressee`, `confirm`.
    public var action: String
    /// The object it is about (`R-12`), if any.
    public var ref: String?
    public var expiresAt: Int64

    public init(token: String, memberEmail: String, action: String, ref: String?, expiresAt: Int64) {
        self.token = token
        self.memberEmail = memberEmail
        self.action = action
        self.ref = ref
        self.expiresAt = expiresAt
    }
}

/// Members and the tags of their reply addresses.
public protocol MemberLedger {
    /// The member with this address (any state), if any.
    func member(email: String) throws -> Member?
    /// The member with this id, if any.
    func member(id: Int64) throws -> Member?
    /// Inserts the member (setting its id) or updates it.
    func save(_ member: inout Member) throws
    /// Makes a new reply tag for `email`, valid until `expiresAt`.
    func makeReplyTag(for email: String, action: String, ref: String?, now: Int64, expiresAt: Int64) throws -> ReplyTag
    /// The reply tag with this token, if it exists (expired or not).
    func replyTag(_ token: String) throws -> ReplyTag?
}
