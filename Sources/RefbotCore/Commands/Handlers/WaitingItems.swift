/// One numbered item of the dashboard and the digest: something that waits on the member (a
/// referral to answer, an outcome to report, a payment to confirm, a connection request, an
/// agreement, a listing near its end date) or news (a new listing of a member they follow, a
/// training announcement).
///
/// Each item that takes a state-changing word has its own reply tag, made for the member, about
/// the item's object and scoped as the single notification about it would be (``ReplyScope``): a
/// reply `2 REJECT` runs as REJECT sent to that tag, and the tag dies when the object closes.
public struct WaitingItem: Sendable, Equatable {
    /// 1, 2, 3 … in the order the mail lists them.
    public var number: Int
    /// The object: `R-12`, `C-3`, `L-7`; `training` for an announcement.
    public var ref: String
    /// One line that says what waits.
    public var text: String
    /// The words a numbered line may use for this item (none for an announcement).
    public var words: [CommandWord]
    /// The item's own reply tag; `nil` for news (SHOW needs no proof; an announcement takes no word).
    public var tag: ReplyTag?

    public init(number: Int, ref: String, text: String, words: [CommandWord], tag: ReplyTag?) {
        self.number = number
        self.ref = ref
        self.text = text
        self.words = words
        self.tag = tag
    }

    /// `ACCEPT or REJECT`, `CONTACTED, WON or LOST`.
    public var wordsText: String { Self.joined(words.map(\.rawValue)) }

    /// `a`, `a or b`, `a, b or c`.
    static func joined(_ all: [String]) -> String {
        guard let last = all.last else { return "" }
        return all.count == 1 ? last : all.dropLast().joined(separator: ", ") + " or " + last
    }

    /// The template value of the item; `itemTag` (the clear token) is read by the daemon, which
    /// records the item and turns it into the item's `mailto:` and one-click links.
    public func value(options: ReferralOptions) -> TemplateValue {
        var entry: [String: TemplateValue] = [
            "number": .number(Int64(number)), "ref": .text(ref), "text": .text(text),
            "words": .text(wordsText), "wordList": .list(words.map { .text($0.rawValue) }),
            "hasWords": .flag(!words.isEmpty),
            "numberedWords": .text(Self.joined(words.map { "\(number) \($0.rawValue)" })),
        ]
        if let first = words.first {
            entry["word"] = .text(first.rawValue)
            entry["example"] = .text("\(number) \(first.rawValue)")
        }
        if let tag {
            entry["itemTag"] = .text(tag.token)
            entry["address"] = .text(options.replyAddress(tag.token))
        }
        return .object(entry)
    }
}

/// Builds the numbered list, in a stable order: referrals to ACCEPT or REJECT, outcomes to report
/// (CONTACTED, WON, LOST), payments to confirm (PAID, RECEIVED), connection requests, agreements
/// to AGREE, listings near their end date, then new listings of followed members (SHOW) and
/// training announcements; oldest first within each.
public enum WaitingItems {
    /// How far ahead a listing's `Expires:` date puts it on the list: 14 days.
    public static let expiringDays: Int64 = 14
    /// The reply-tag action of a dashboard or digest mail that lists numbered items. It proves no
    /// word by itself: each numbered line is proven by its item's own tag (``DigestItems``).
    public static let mailAction = "digest.items"

    /// `2026-11-23` for Unix seconds, as the items write dates.
    public static func day(_ seconds: Int64) -> String { ReferralDesk.dayText(seconds) }

    /// The items for `member`, at most `limit` listed; returns them and how many more there were.
    /// `newsSince`: listings and announcements at or after this time are news.
    public static func collect(
        for member: Member, ledger: any Ledger, now: Int64, newsSince: Int64, limit: Int
    ) throws -> (items: [WaitingItem], more: Int) {
        guard let memberId = member.id else { return ([], 0) }
        var items: [WaitingItem] = []
        var more = 0
        /// Whether one more item may be listed; counts it otherwise.
        func room() -> Bool {
            if items.count < limit { return true }
            more += 1
            return false
        }
        func tag(_ action: String, _ ref: String, seconds: Int64 = ReferralDesk.referralTagSeconds) throws -> ReplyTag {
            // Tags are stored hashed, so each listed item gets a fresh one (for this member only).
            try ledger.makeReplyTag(for: member.email, action: action, ref: ref, now: now, expiresAt: now + seconds)
        }
        func add(_ ref: String, _ text: String, _ words: [CommandWord], _ tag: ReplyTag?) {
            items.append(WaitingItem(number: items.count + 1, ref: ref, text: text, words: words, tag: tag))
        }
        var titles: [Int64: String] = [:]
        func title(_ listingId: Int64) throws -> String {
            if let known = titles[listingId] { return known }
            let found = try ledger.listing(id: listingId)?.title ?? ""
            titles[listingId] = found
            return found
        }

        let received = try ledger.referrals(receivedBy: memberId).filter { $0.deliveredAt != nil }
            .sorted { ($0.id ?? 0) < ($1.id ?? 0) }
        let sent = try ledger.referrals(sentBy: memberId).sorted { ($0.id ?? 0) < ($1.id ?? 0) }

        // Referrals to answer.
        for referral in received where referral.state == .pending {
            guard let id = referral.referralID, room() else { continue }
            let listingTitle = try title(referral.listingId)
            add(
                id.description, "\(id): \(referral.customerName) for \"\(listingTitle)\" waits for your answer.",
                [.accept, .reject], try tag(ReplyAction.referralOwner, id.description))
        }
        // Outcomes to report.
        for referral in received where referral.state == .accepted || referral.state == .contacted {
            guard let id = referral.referralID, room() else { continue }
            let words: [CommandWord] = referral.state == .accepted ? [.contacted, .won, .lost] : [.won, .lost]
            let doing = referral.state == .accepted ? "you accepted" : "you contacted"
            let listingTitle = try title(referral.listingId)
            add(
                id.description, "\(id): \(referral.customerName) for \"\(listingTitle)\" (\(doing)): how did it go?",
                words, try tag(ReplyAction.referralOwner, id.description))
        }
        // Payments to confirm: the owner's PAID, then the referrer's RECEIVED.
        for referral in received
        where (referral.state == .won || referral.state == .lost) && referral.rewardOwed != nil && referral.rewardPaid == nil {
            guard let id = referral.referralID, room() else { continue }
            add(
                id.description,
                "\(id): \(referral.customerName) \(referral.state == .won ? "bought" : "did not buy"); the reward of \(referral.rewardOwed?.formatted ?? "") is due.",
                [.paid], try tag(ReplyAction.referralOwner, id.description))
        }
        for referral in sent where referral.state == .paid {
            guard let id = referral.referralID, room() else { continue }
            add(
                id.description, "\(id): the owner reports paying \(referral.rewardPaid?.formatted ?? "your reward"); please confirm.",
                [.received], try tag(ReplyAction.referralReferrer, id.description))
        }
        // Connection requests.
        for connection in try ledger.pendingConnections(to: memberId) {
            guard let id = connection.connectionID, room() else { continue }
            let name = try ledger.member(id: connection.requesterId)?.displayName ?? "A member"
            add(
                id.description, "\(id): \(name) would like to connect.", [.accept, .reject],
                try tag(ReplyAction.connectionAddressee, id.description, seconds: ReferralDesk.requestTagSeconds))
        }
        // Agreements a referral waits for (one per listing).
        var agreementListings: Set<Int64> = []
        for referral in sent
        where referral.state == .pending && referral.deliveredAt == nil && referral.consent != .asked
            && agreementListings.insert(referral.listingId).inserted
        {
            guard room() else { continue }
            let listingRef = ListingID(referral.listingId).description
            let listingTitle = try title(referral.listingId)
            add(
                listingRef, "\(listingRef) \"\(listingTitle)\": agree to its terms so your referral can go out.",
                [.agree], try tag(ReplyAction.agreementReferrer, listingRef, seconds: ReferralDesk.requestTagSeconds))
        }
        // Listings near their end date.
        for listing in try ledger.listingsExpiring(ownedBy: memberId, now: now, until: now + expiringDays * NetworkSettings.secondsPerDay) {
            guard let id = listing.listingID, let expiresAt = listing.expiresAt, room() else { continue }
            add(
                id.description,
                "\(id) \"\(listing.title)\" ends on \(ReferralDesk.dayText(expiresAt)). To keep it, post it again with LISTING; CLOSE ends it now.",
                [.close], try tag(ListingHandler.ownerAction, id.description))
        }
        // News: new listings of members the member follows, and training.
        for listing in try ledger.listingsFollowed(by: memberId, since: newsSince, limit: limit + 1) {
            guard let id = listing.listingID, listing.ownerId != memberId, room() else { continue }
            let owner = try ledger.member(id: listing.ownerId)?.displayName ?? "A member you follow"
            add(id.description, "\(id) \"\(listing.title)\": new from \(owner), whom you follow.", [.show], nil)
        }
        for announcement in try ledger.announcements(since: newsSince, limit: limit + 1) {
            guard room() else { continue }
            let link = announcement.link.map { " \($0)" } ?? ""
            add("training", "Training: \(announcement.title)\(link)", [], nil)
        }
        return (items, more)
    }
}
