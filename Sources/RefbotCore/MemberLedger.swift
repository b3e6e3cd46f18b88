import Crypto

/// A reply address tag: which member may use it, for what, until when (spec §2 path 1).
///
/// A tag is a capability. Only its SHA-256 (``hash``) is stored; the clear ``token`` exists only in
/// the tag just made (to go into its owner's mail) and is empty in a tag read back from the store.
/// A tag proves its member only for the words its mail offered, on its object
/// (``ReplyScope``), and dies when used up, when its object closes and when its member leaves
/// (``revokedAt``).
public struct ReplyTag: Sendable, Equatable {
    /// The random token in `referrals+TOKEN@…`; empty for a tag read from the store.
    public var token: String
    /// Lower-case hex SHA-256 of the token: the key it is stored and looked up under.
    public var hash: String
    /// The member (or customer) it was made for, lowercased.
    public var memberEmail: String
    /// What a reply to it does, e.g. `referral.owner`, `connection.addressee`, `confirm`.
    public var action: String
    /// The object it is about (`R-12`), if any.
    public var ref: String?
    public var expiresAt: Int64
    /// When it was used up, its object closed or its member left; `nil` while it lives.
    public var revokedAt: Int64?

    /// The longest a tag lives, whatever its mail asks: 120 days. Each mail about an object carries
    /// a fresh tag, so a tag this old belongs to mail long since answered.
    public static let maxLifetimeSeconds: Int64 = 120 * 86_400

    public init(
        token: String, hash: String? = nil, memberEmail: String, action: String, ref: String?, expiresAt: Int64,
        revokedAt: Int64? = nil
    ) {
        self.token = token
        self.hash = hash ?? ReplyTag.hash(token)
        self.memberEmail = memberEmail
        self.action = action
        self.ref = ref
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
    }

    /// Whether the tag still proves anything at `now`: not expired, not revoked.
    public func isLive(at now: Int64) -> Bool { revokedAt == nil && now < expiresAt }

    /// The stored form of a token: lower-case hex SHA-256 of its lower-case UTF-8 bytes (mail
    /// systems may change the case of a local part).
    public static func hash(_ token: String) -> String {
        SHA256.hash(data: Array(token.lowercased().utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// Members and the tags of their reply addresses.
public protocol MemberLedger {
    /// The member with this address (any state), if any.
    func member(email: String) throws -> Member?
    /// The member with this id, if any.
    func member(id: Int64) throws -> Member?
    /// The members with these ids, by id (ids with no member are left out).
    func members(ids: [Int64]) throws -> [Int64: Member]
    /// Inserts the member (setting its id) or updates it.
    func save(_ member: inout Member) throws
    /// Makes a new reply tag for `email`, valid until `expiresAt` (at most
    /// ``ReplyTag/maxLifetimeSeconds`` from `now`); stores only its hash.
    func makeReplyTag(for email: String, action: String, ref: String?, now: Int64, expiresAt: Int64) throws -> ReplyTag
    /// The reply tag stored under this hash (``ReplyTag/hash(_:)``), if any (expired, revoked or not).
    func replyTag(hash: String) throws -> ReplyTag?
    /// Revokes one tag (a one-shot tag used up).
    func revokeReplyTag(hash: String, at time: Int64) throws
    /// Revokes every live tag made for `email` (the member left).
    func revokeReplyTags(memberEmail email: String, at time: Int64) throws
    /// Revokes every live tag about `ref` (its object closed), except those with an action in `keeping`.
    func revokeReplyTags(ref: String, keeping actions: Set<String>, at time: Int64) throws

    // Held commands, announcements, exports and the member list.

    /// Stores a command held for confirmation under `token`.
    func holdCommand(_ held: HeldCommand) throws
    /// The held command released by the tag with this hash, if any.
    func heldCommand(token: String) throws -> HeldCommand?
    /// How many commands from `sender` were held since `time` (to cap confirmation mail per address).
    func heldCommandCount(sender: String, since time: Int64) throws -> Int
    /// Records that the held command was confirmed and run.
    func markHeldCommandConfirmed(token: String, at time: Int64) throws
    /// Active members who have not sent STOP, by address.
    func membersReceivingAnnouncements() throws -> [Member]
    /// Every member, by address.
    func allMembers() throws -> [Member]
    /// Stores an announcement; returns its id.
    func recordAnnouncement(title: String, link: String?, body: String, sentCount: Int, now: Int64) throws -> Int64
    /// Everything kept about one member, for EXPORT.
    func exportData(forMember memberId: Int64) throws -> MemberExport
    /// Erases everything personal kept about `email` (FORGET, `refbot admin erase`): the member's
    /// profile, the customer's details in every referral, their reply tags, and the stored raw
    /// mail that carried them (except mail still waiting to be processed, other than
    /// `currentMessageID`, the mail being acted on). Ledger rows stay, anonymised.
    func erase(email: String, now: Int64, currentMessageID: String?) throws -> Erasure
}

extension MemberLedger {
    /// One ``member(id:)`` after another; a store answers in one query.
    public func members(ids: [Int64]) throws -> [Int64: Member] {
        var found: [Int64: Member] = [:]
        for id in ids where found[id] == nil {
            if let member = try member(id: id) { found[id] = member }
        }
        return found
    }
}

/// A state-changing command held until its sender confirms it (spec §2, sender authentication path 3).
public struct HeldCommand: Sendable, Equatable {
    /// The hash (``ReplyTag/hash``) of the `confirm` reply tag that releases it.
    public var token: String
    /// The stored inbound mail that carried the command.
    public var inboundId: Int64
    /// The `From:` address of that mail, lowercased.
    public var sender: String
    public var createdAt: Int64
    public var expiresAt: Int64
    /// When CONFIRM released it; `nil` while it waits.
    public var confirmedAt: Int64?

    public init(token: String, inboundId: Int64, sender: String, createdAt: Int64, expiresAt: Int64, confirmedAt: Int64?) {
        self.token = token
        self.inboundId = inboundId
        self.sender = sender
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.confirmedAt = confirmedAt
    }
}

/// What EXPORT mails a member: everything the network keeps about them.
public struct MemberExport: Sendable, Equatable {
    /// Listings the member owns.
    public var listings: [Listing]
    /// Referrals the member sent, with the listing's title and its owner's address.
    public var referralsSent: [ExportedReferral]
    /// Referrals to the member's listings, with the listing's title and the referrer's address.
    public var referralsReceived: [ExportedReferral]
    /// Connections the member asked for or was asked for, with the other member's address.
    public var connections: [ExportedConnection]

    public init(
        listings: [Listing] = [], referralsSent: [ExportedReferral] = [], referralsReceived: [ExportedReferral] = [],
        connections: [ExportedConnection] = []
    ) {
        self.listings = listings
        self.referralsSent = referralsSent
        self.referralsReceived = referralsReceived
        self.connections = connections
    }

    /// A referral and who is on its other side.
    public struct ExportedReferral: Sendable, Equatable {
        public var referral: Referral
        public var listingTitle: String
        public var counterpart: String
        public init(referral: Referral, listingTitle: String, counterpart: String) {
            self.referral = referral
            self.listingTitle = listingTitle
            self.counterpart = counterpart
        }
    }

    /// A connection and the other member's address.
    public struct ExportedConnection: Sendable, Equatable {
        public var connection: Connection
        public var counterpart: String
        /// Whether this member asked for it.
        public var requestedByMember: Bool
        public init(connection: Connection, counterpart: String, requestedByMember: Bool) {
            self.connection = connection
            self.counterpart = counterpart
            self.requestedByMember = requestedByMember
        }
    }
}
