/// `STATUS` (read-only): the member's dashboard — referrals sent and received by state,
/// conversion, revenue won, rewards owed and paid, points and credits, what waits on them
/// (numbered by ``WaitingItems``, each with its words and its own reply address), and the latest
/// training announcement. When it lists items, the mail has a reply address of its own
/// (`digest.items`) under which the items are stored: a reply `1 ACCEPT` / `2 WON $1,200` acts on
/// several (the daemon's `Processor+NumberedReplies`). The digest is this mail with STOP.
public struct StatusHandler: CommandHandler {
    public let word = CommandWord.status
    let options: ReferralOptions
    /// At most this many items are listed under "Waiting on you"; the rest are counted. A busy
    /// member with thousands of open referrals gets a mail that can be read, quickly.
    public static let waitingListed = 30

    /// Listings of followed members and announcements this recent are listed as news.
    let newsDays: Int64
    /// The action and lifetime of the mail's own reply tag, and whether it has one even when
    /// nothing is listed (the digest's, which also takes STOP).
    let mailTagAction: String
    let mailTagSeconds: Int64
    let alwaysTagged: Bool

    public init(
        options: ReferralOptions = ReferralOptions(), newsDays: Int64 = 14, mailTagAction: String = WaitingItems.mailAction,
        mailTagSeconds: Int64 = 30 * NetworkSettings.secondsPerDay, alwaysTagged: Bool = false
    ) {
        self.options = options
        self.newsDays = newsDays
        self.mailTagAction = mailTagAction
        self.mailTagSeconds = mailTagSeconds
        self.alwaysTagged = alwaysTagged
    }

    /// A reply that would act on the first items, one line each: `1 ACCEPT` / `2 WON`.
    static func example(_ items: [WaitingItem]) -> [String] {
        items.filter { !$0.words.isEmpty && $0.tag != nil }.prefix(3).map { "\($0.number) \($0.words[0].rawValue)" }
    }

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let member = try ReferralDesk.member(ledger, context, line: command.line)
        guard let memberId = member.id else { return [] }
        let sent = try ledger.referrals(sentBy: memberId)
        let received = try ledger.referrals(receivedBy: memberId).filter { $0.deliveredAt != nil }
        let now = context.now

        let (items, waitingMore) = try WaitingItems.collect(
            for: member, ledger: ledger, now: now, newsSince: now - newsDays * NetworkSettings.secondsPerDay,
            limit: Self.waitingListed)
        let waiting = items.map { $0.value(options: options) }
        // The mail's own reply address: a reply with numbered lines (`1 ACCEPT`) acts on its items.
        var mailTag: ReplyTag?
        if !items.isEmpty || alwaysTagged {
            let tag = try ledger.makeReplyTag(
                for: member.email, action: mailTagAction, ref: nil, now: now, expiresAt: now + mailTagSeconds)
            try ledger.recordDigestItems(items, mailTagHash: tag.hash, now: now)
            mailTag = tag
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
            "numberedExample": .list(Self.example(items).map { .text($0) }),
            "hasNumberedExample": .flag(!Self.example(items).isEmpty),
        ]
        if let title = try ledger.latestAnnouncementTitle() { values["announcement"] = .text(title) }
        values["recognition"] = try Self.recognition(of: member, ledger: ledger, now: now)
        return [
            Notification(
                event: .dashboard, to: [context.sender], replyTag: mailTag?.token, values: values, quoted: [command.line],
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
