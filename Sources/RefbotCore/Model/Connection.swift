/// A link between two members, `C-n`; referrals flow only over accepted ones (spec §1, §3 CONNECT).
public struct Connection: Sendable, Hashable, Codable, Identifiable {
    /// The stored row id; `nil` until stored.
    public var id: Int64?
    /// The member who sent CONNECT.
    public var requesterId: Int64
    /// The member asked.
    public var addresseeId: Int64
    /// Pending until the addressee replies ACCEPT or REJECT.
    public var state: ConnectionState
    /// The requester's optional message.
    public var message: String?
    /// When CONNECT was sent, Unix seconds.
    public var createdAt: Int64
    /// When the addressee answered.
    public var decidedAt: Int64?

    /// A connection request, `pending`.
    public init(
        id: Int64? = nil, requesterId: Int64, addresseeId: Int64, state: ConnectionState = .pending,
        message: String? = nil, createdAt: Int64, decidedAt: Int64? = nil
    ) {
        self.id = id
        self.requesterId = requesterId
        self.addresseeId = addresseeId
        self.state = state
        self.message = message
        self.createdAt = createdAt
        self.decidedAt = decidedAt
    }

    /// `C-12`, once stored.
    public var connectionID: ConnectionID? { id.map(ConnectionID.init) }

    /// Whether the connection joins these two members, in either direction.
    public func joins(_ first: Int64, _ second: Int64) -> Bool {
        (requesterId == first && addresseeId == second) || (requesterId == second && addresseeId == first)
    }

    /// The member on the other side from `memberId`, or `nil` when they are not on it.
    public func other(than memberId: Int64) -> Int64? {
        if memberId == requesterId { return addresseeId }
        if memberId == addresseeId { return requesterId }
        return nil
    }
}
