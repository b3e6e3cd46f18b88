/// What the numbered "waiting on you" list of the dashboard and the digest reads beyond the
/// other ledgers: the news it lists with a number (new listings of members the reader follows,
/// training announcements) and the reader's listings near their end date.
public protocol DigestLedger: DigestItemLedger {
    /// Live listings posted since `since` by members `memberId` follows, oldest first, at most `limit`.
    func listingsFollowed(by memberId: Int64, since: Int64, limit: Int) throws -> [Listing]
    /// Training announcements recorded since `since`, oldest first, at most `limit`.
    func announcements(since: Int64, limit: Int) throws -> [AnnouncementSummary]
    /// The member's live listings whose `Expires:` date falls between `now` and `until`, soonest first.
    func listingsExpiring(ownedBy memberId: Int64, now: Int64, until: Int64) throws -> [Listing]
}

/// A training announcement as a numbered item shows it.
public struct AnnouncementSummary: Sendable, Equatable {
    public var id: Int64
    public var title: String
    public var link: String?
    public var createdAt: Int64

    public init(id: Int64, title: String, link: String?, createdAt: Int64) {
        self.id = id
        self.title = title
        self.link = link
        self.createdAt = createdAt
    }
}

/// A numbered item as stored for the mail that listed it: a reply to that mail's tag may use
/// `words` on `ref`, proven by the item's own tag (`itemTagHash`; `nil` for news, which takes only
/// read-only words or none).
public struct DigestItemRecord: Sendable, Equatable {
    public var number: Int
    public var ref: String
    public var words: [CommandWord]
    public var itemTagHash: String?

    public init(number: Int, ref: String, words: [CommandWord], itemTagHash: String?) {
        self.number = number
        self.ref = ref
        self.words = words
        self.itemTagHash = itemTagHash
    }
}

/// The numbered items of dashboard and digest mails, keyed by each mail's reply tag.
public protocol DigestItemLedger {
    /// Stores the items a mail lists under the hash of that mail's tag.
    func recordDigestItems(_ items: [WaitingItem], mailTagHash: String, now: Int64) throws
    /// Item `number` of the mail whose tag has this hash, if it listed one.
    func digestItem(mailTagHash: String, number: Int) throws -> DigestItemRecord?
    /// How many items the mail whose tag has this hash listed (0: not a numbered mail).
    func digestItemCount(mailTagHash: String) throws -> Int
}
