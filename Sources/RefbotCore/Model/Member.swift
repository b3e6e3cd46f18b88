/// A person or business in the network, known by one email address (spec §1).
public struct Member: Sendable, Hashable, Codable, Identifiable {
    /// The stored row id; `nil` until stored.
    public var id: Int64?
    /// The address, lower-cased and trimmed (see ``normalizedEmail(_:)``).
    public var email: String
    /// The member's name (JOIN `Name:`, required).
    public var name: String
    /// JOIN `Business:`.
    public var business: String?
    /// JOIN `Category:`, e.g. "Plumbing".
    public var category: String?
    /// JOIN `City:`.
    public var city: String?
    /// JOIN `Website:`.
    public var website: String?
    /// JOIN `Phone:`.
    public var phone: String?
    /// JOIN `About:`, free text.
    public var about: String?
    /// Pending until CONFIRM, active, or left.
    public var state: MemberState
    /// `true` after STOP: no announcements or digests until START.
    public var announcementsOff: Bool
    /// Credits to spend on accepting referrals.
    public var credits: Int
    /// Reward points earned by referring; redeem for credits.
    public var points: Int
    /// Bounces counted against the address; at `mail.bounce_limit` refbot stops mailing it.
    public var bounceCount: Int
    /// When the member sent JOIN, Unix seconds.
    public var joinedAt: Int64
    /// When they confirmed, Unix seconds.
    public var confirmedAt: Int64?
    /// When they sent LEAVE, Unix seconds.
    public var leftAt: Int64?
    /// When refbot stopped mailing the member: their bounce probe bounced too (spec §2). `nil` while
    /// they are mailed; cleared when they answer the probe or send proven mail, or by an admin.
    public var bounceStoppedAt: Int64? = nil
    /// When an admin suspended the member (`refbot admin member EMAIL --suspend`); `nil` while they
    /// are not. A suspended member's commands are refused, they get no announcements or digests,
    /// their listings are left out of searches and the links in their mail do not work.
    public var suspendedAt: Int64? = nil
    /// Why, in the admin's words (shown to admins only).
    public var suspendReason: String? = nil
    /// `true` after `RECOGNITION off`: the monthly recognition mail shows the member's place
    /// without their name. They still see their own rank in STATUS.
    public var recognitionOff: Bool = false

    /// A new member from a JOIN form, pending until they confirm, with the network's starting credits.
    public init(
        id: Int64? = nil, email: String, name: String, business: String? = nil, category: String? = nil,
        city: String? = nil, website: String? = nil, phone: String? = nil, about: String? = nil,
        state: MemberState = .pending, announcementsOff: Bool = false, credits: Int = 0, points: Int = 0,
        bounceCount: Int = 0, joinedAt: Int64, confirmedAt: Int64? = nil, leftAt: Int64? = nil
    ) {
        self.id = id
        self.email = Member.normalizedEmail(email)
        self.name = name
        self.business = business
        self.category = category
        self.city = city
        self.website = website
        self.phone = phone
        self.about = about
        self.state = state
        self.announcementsOff = announcementsOff
        self.credits = credits
        self.points = points
        self.bounceCount = bounceCount
        self.joinedAt = joinedAt
        self.confirmedAt = confirmedAt
        self.leftAt = leftAt
    }

    /// The form an address is stored and compared in: trimmed and ASCII lower-cased.
    ///
    /// The whole address is lower-cased, local part included: the network knows a member by one
    /// address, and members do not expect `Ann@x.org` and `ann@x.org` to be two people. Only
    /// `A`–`Z` are folded: Unicode case mapping would make other addresses land on a member's
    /// (`\u{212A}im@x.org`, with a KELVIN SIGN, lower-cases to `kim@x.org`), and a mail server
    /// delivers those to another mailbox, so they are other people.
    public static func normalizedEmail(_ email: some StringProtocol) -> String {
        var slice = Substring(email)
        while let first = slice.first, first.isWhitespace || first == "<" { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace || last == ">" { slice.removeLast() }
        return asciiLowercased(slice)
    }

    /// `text` with `A`–`Z` lower-cased and every other character (non-ASCII ones included) as it is.
    public static func asciiLowercased(_ text: some StringProtocol) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar.value >= 0x41, scalar.value <= 0x5A, let lower = Unicode.Scalar(scalar.value + 0x20) {
                scalars.append(lower)
            } else {
                scalars.append(scalar)
            }
        }
        return String(scalars)
    }

    /// Whether two addresses are the same member's: equal once normalised, compared scalar by
    /// scalar (Swift's `==` treats canonically equivalent strings as equal, and SQLite does not).
    public static func sameEmail(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        normalizedEmail(a).unicodeScalars.elementsEqual(normalizedEmail(b).unicodeScalars)
    }

    /// The part after `@`, lower-cased; empty when there is none.
    public var emailDomain: String {
        guard let at = email.lastIndex(of: "@") else { return "" }
        return String(email[email.index(after: at)...])
    }

    /// Whether refbot should stop mailing this member.
    /// Only once the probe sent at the limit bounced too: bounces alone never stop mail.
    public func isBouncing(limit: Int) -> Bool { bounceStoppedAt != nil }

    /// Whether the member gets announcements and digests.
    public var receivesAnnouncements: Bool { state == .active && !announcementsOff && suspendedAt == nil }

    /// Whether an admin has suspended the member.
    public var isSuspended: Bool { suspendedAt != nil }

    /// "Ann Lee (Lee Plumbing)", or just the name.
    public var displayName: String {
        guard let business, !business.isEmpty, business != name else { return name }
        return "\(name) (\(business))"
    }
}
