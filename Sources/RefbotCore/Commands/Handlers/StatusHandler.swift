/// `STATUS` (read-only): the member's dashboard — referrals sent and received by state,
/// conversion, revenue won, rewards owed and paid, points and credits, what waits on them (each
/// with its reply word and a `mailto:` link to that object's reply address), and the latest
/// training announcement.
public struct StatusHandler: CommandHandler {
    public let word = CommandWord.status
    let options: ReferralOptions
    /// At most this many items are listed under "Waiting on you"; the rest are counted. A busy
    /// member with thousands of open referrals gets a mail that can be read, quickly.
    public static let waitingListed = 30

    public init(options: ReferralOptions = ReferralOptions()) {
        self.options = options
    }

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let member = try ReferralDesk.member(ledger, context, line: command.line)
        guard let memberId = member.id else { return [] }
        let sent = try ledger.referrals(sentBy: memberId)
        let received = try ledger.referrals(receivedBy: memberId).filter { $0.deliveredAt != nil }
        let now = context.now

        var waiting: [TemplateValue] = []
        var waitingMore = 0
        /// Whether one more item may be listed; counts it otherwise.
        func listed() -> Bool {
            if waiting.count < Self.waitingListed { return true }
            waitingMore += 1
            return false
        }
        func item(_ text: String, word: String, tag: ReplyTag) {
            waiting.append(.object(["text": .text(text), "word": .text(word), "address": .text(options.replyAddress(tag.token))]))
        }
        // Tags are stored hashed, so each listed item gets a fresh one (for this member only).
        func tag(action: String, ref: String) throws -> ReplyTag {
            try ledger.makeReplyTag(
                for: member.email, action: action, ref: ref, now: now, expiresAt: now + ReferralDesk.referralTagSeconds)
        }
        for referral in received.reversed() {
            guard let id = referral.referralID else { continue }
            switch referral.state {
            case .pending:
                guard listed() else { continue }
                // Only the items listed need their listing; a busy member has thousands of referrals.
                let title = try ledger.listing(id: referral.listingId)?.title ?? ""
                item("\(id): \(referral.customerName) for \"\(title)\" waits for your answer.", word: "ACCEPT",
                     tag: try tag(action: ReplyAction.referralOwner, ref: id.description))
            case .won where referral.rewardOwed != nil && referral.rewardPaid == nil:
                guard listed() else { continue }
                item("\(id): \(referral.customerName) bought; the reward of \(referral.rewardOwed?.formatted ?? "") is due.",
                     word: "PAID", tag: try tag(action: ReplyAction.referralOwner, ref: id.description))
            default: break
            }
        }
        var agreementListings: Set<Int64> = []
        for referral in sent.reversed() {
            guard let id = referral.referralID else { continue }
            if referral.state == .pending, referral.deliveredAt == nil, referral.consent != .asked,
                agreementListings.insert(referral.listingId).inserted, listed()
            {
                let listingRef = ListingID(referral.listingId).description
                let title = try ledger.listing(id: referral.listingId)?.title ?? ""
                item("\(listingRef) \"\(title)\": agree to its terms so your referral can go out.", word: "AGREE",
                     tag: try tag(action: ReplyAction.agreementReferrer, ref: listingRef))
            }
            if referral.state == .paid, listed() {
                item("\(id): the owner reports paying \(referral.rewardPaid?.formatted ?? "your reward"); please confirm.",
                     word: "RECEIVED", tag: try tag(action: ReplyAction.referralReferrer, ref: id.description))
            }
        }
        for connection in try ledger.pendingConnections(to: memberId) {
            guard let id = connection.connectionID, listed() else { continue }
            let name = try ledger.member(id: connection.requesterId)?.displayName ?? "A member"
            item("\(id): \(name) would like to connect.", word: "ACCEPT",
                 tag: try tag(action: ReplyAction.connectionAddressee, ref: id.description))
        }

        var values: [String: TemplateValue] = [
            "memberName": .text(member.name),
            "sentTotal": .number(Int64(sent.count)),
            "receivedTotal": .number(Int64(received.count)),
            "sentByState": Self.byState(sent),
            "receivedByState": Self.byState(received),
            "conversionSent": .text(Self.conversion(sent.filter { $0.deliveredAt != nil })),
            "conversionReceived": .text(Self.conversion(received)),
            "revenueWon": .text(Self.total(received.compactMap(\.wonAmount))),
            "owedByYou": .text(Self.total(received.compactMap(\.rewardOwed))),
            "paidByYou": .text(Self.total(received.compactMap(\.rewardPaid))),
            "owedToYou": .text(Self.total(sent.compactMap(\.rewardOwed))),
            "paidToYou": .text(Self.total(sent.compactMap(\.rewardPaid))),
            "points": .number(Int64(member.points)),
            "credits": .number(Int64(member.credits)),
            "waiting": .list(waiting),
            "hasWaiting": .flag(!waiting.isEmpty),
            "waitingMore": .number(Int64(waitingMore)),
            "hasWaitingMore": .flag(waitingMore > 0),
        ]
        if let title = try ledger.latestAnnouncementTitle() { values["announcement"] = .text(title) }
        values["recognition"] = try Self.recognition(of: member, ledger: ledger, now: now)
        return [
            Notification(
                event: .dashboard, to: [context.sender], values: values, quoted: [command.line],
                thread: context.messageID.map { [$0] } ?? [])
        ]
    }

    /// `[{state, count}]` for the states that have referrals, in lifecycle order.
    static func byState(_ referrals: [Referral]) -> TemplateValue {
        .list(
            ReferralState.allCases.compactMap { state in
                let count = referrals.filter { $0.state == state }.count
                return count == 0 ? nil : .object(["state": .text(state.rawValue), "count": .number(Int64(count))])
            })
    }

    /// Accepted or further, of the delivered ones: `50% (1 of 2)`, or `none yet`.
    static func conversion(_ delivered: [Referral]) -> String {
        guard !delivered.isEmpty else { return "none delivered yet" }
        let converted = delivered.filter { [.accepted, .contacted, .won, .lost, .paid, .closed].contains($0.state) }.count
        let percent = (converted * 100 + delivered.count / 2) / delivered.count
        return "\(percent)% (\(converted) of \(delivered.count))"
    }

    /// The sum per currency: `$5,000.00`, `$50.00 + €20.00`, or `none`.
    static func total(_ amounts: [Money]) -> String {
        var sums: [String: Money] = [:]
        var order: [String] = []
        for amount in amounts {
            if let sum = sums[amount.currency] {
                sums[amount.currency] = sum.adding(amount) ?? sum
            } else {
                sums[amount.currency] = amount
                order.append(amount.currency)
            }
        }
        let parts = order.compactMap { sums[$0]?.formatted }
        return parts.isEmpty ? "none" : parts.joined(separator: " + ")
    }
}
