/// What a reply to a tagged address is about (``ReplyTag/action``) for connections, agreements,
/// referrals and customer consent.
public enum ReplyAction {
    /// The member asked to connect: ACCEPT or REJECT (ref `C-n`).
    public static let connectionAddressee = "connection.addressee"
    /// The referrer asked to agree to a listing's terms: AGREE (ref `L-n`).
    public static let agreementReferrer = "agreement.referrer"
    /// The owner of a referral: ACCEPT, REJECT, CONTACTED, WON, LOST, PAID (ref `R-n`).
    public static let referralOwner = "referral.owner"
    /// The referrer of a referral: RECEIVED, DISPUTE, or REFER L-m to redirect it (ref `R-n`).
    public static let referralReferrer = "referral.referrer"
    /// The referred customer: YES or NO (ref `R-n`).
    public static let customerConsent = "customer.consent"
}

/// What the connection, referral and agreement handlers need to know about the network itself.
public struct ReferralOptions: Sendable, Hashable {
    /// `bot.address`, for the tagged reply addresses a dashboard lists.
    public var botAddress: String
    /// The standard partnership agreement.
    public var standardAgreement: StandardAgreement
    /// The compliance rules LISTING checks (`compliance.rules_file`).
    public var complianceRules: ComplianceRules

    /// Options; the defaults suit tests of other concerns.
    public init(
        botAddress: String = "", standardAgreement: StandardAgreement = .builtin, complianceRules: ComplianceRules = .none
    ) {
        self.botAddress = botAddress
        self.standardAgreement = standardAgreement
        self.complianceRules = complianceRules
    }

    /// `referrals+TOKEN@example.org` for a tag token; empty when the bot address is not known.
    public func replyAddress(_ token: String) -> String {
        guard let at = botAddress.lastIndex(of: "@") else { return "" }
        return botAddress[..<at] + "+" + token + botAddress[at...]
    }
}

/// Helpers the connection, referral and agreement handlers share.
enum ReferralDesk {
    /// How long a referral's reply addresses work (``ReplyTag/maxLifetimeSeconds``): each mail
    /// about the referral carries a fresh one, and all die when it closes.
    static let referralTagSeconds: Int64 = ReplyTag.maxLifetimeSeconds
    /// How long connection, agreement and consent reply addresses work.
    static let requestTagSeconds: Int64 = 60 * NetworkSettings.secondsPerDay

    /// The sender as a member (any state), or an error telling them to JOIN.
    static func member(_ ledger: any Ledger, _ context: CommandContext, line: String) throws -> Member {
        guard let member = try ledger.member(email: context.sender), member.id != nil, member.state != .pending else {
            throw CommandError(
                line: line, problem: "\(context.sender) is not a member of \(context.botName.isEmpty ? "this network" : context.botName) yet.",
                remedy: "Send JOIN with a Name: line to join; once you have confirmed, try again.")
        }
        return member
    }

    /// The sender as an active member (not one who has left).
    static func activeMember(_ ledger: any Ledger, _ context: CommandContext, line: String) throws -> Member {
        let member = try member(ledger, context, line: line)
        guard member.state == .active else {
            throw CommandError(
                line: line, problem: "You left the network, so you cannot do this any more.",
                remedy: "Send JOIN to come back.")
        }
        return member
    }

    /// The tag of the address the mail came to, when it is one of ours and made for the sender.
    static func tag(_ ledger: any Ledger, _ context: CommandContext, line: String) throws -> ReplyTag? {
        guard let hash = context.tag, let tag = try ledger.replyTag(hash: hash) else { return nil }
        guard tag.memberEmail == Member.normalizedEmail(context.sender) else {
            throw CommandError(
                line: line, problem: "The address you replied to was made for someone else, so we did not act on it.",
                remedy: "Reply from the address our mail went to, or write the command to \(context.botName.isEmpty ? "us" : context.botName) with the reference, like ACCEPT R-12.")
        }
        return tag
    }

    /// A reference at the start of the arguments (`R-12 too far away`) and the rest.
    static func leadingRef(_ arguments: String) -> (ObjectRef?, String) {
        let trimmed = arguments.trimmedOfWhitespace
        guard !trimmed.isEmpty else { return (nil, "") }
        let parts = trimmed.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
        if let first = parts.first, let ref = ObjectRef(parsing: first) {
            return (ref, parts.count > 1 ? String(parts[1]).trimmedOfWhitespace : "")
        }
        return (nil, trimmed)
    }

    /// A reason: the rest of the command's line plus the following lines up to a blank line (spec §2).
    static func reason(rest: String, following: [String]) -> String? {
        var lines = rest.isEmpty ? [] : [rest]
        for line in following {
            let trimmed = line.trimmedOfWhitespace
            if trimmed.isEmpty { break }
            lines.append(trimmed)
        }
        let text = lines.joined(separator: "\n").trimmedOfWhitespace
        return text.isEmpty ? nil : String(text.prefix(2000))
    }

    /// The Message-IDs a new mail about `ref` follows: the first mail about it, then the mail this
    /// answers (when there is one).
    static func thread(_ ledger: any Ledger, ref: String, answering messageID: String? = nil) throws -> [String] {
        var ids: [String] = []
        if let first = try ledger.messageIDs(about: ref).first { ids.append(first) }
        if let messageID, !ids.contains(messageID) { ids.append(messageID) }
        return ids
    }

    /// The referral named by the command (`ACCEPT R-12`) or by the tag it came to, with the rest of
    /// the arguments.
    static func referral(
        _ command: ParsedCommand, tag: ReplyTag?, ledger: any Ledger
    ) throws -> (Referral, ReferralID, rest: String) {
        let (ref, rest) = leadingRef(command.arguments)
        var id: ReferralID?
        if case .referral(let named)? = ref { id = named }
        if id == nil, let tagRef = tag?.ref { id = ReferralID(parsing: tagRef) }
        guard let id else {
            throw CommandError(
                line: command.line, problem: "\(command.word) needs to know which referral you mean.",
                remedy: "Reply to the mail about the referral, or write it with the reference, like \(command.word) R-12.")
        }
        guard let referral = try ledger.referral(id: id.rawValue) else {
            throw CommandError(
                line: command.line, problem: "There is no referral \(id).",
                remedy: "Check the number in the subject of the mail about it, or send STATUS to see yours.")
        }
        return (referral, id, ref == nil ? command.arguments.trimmedOfWhitespace : rest)
    }

    /// The member's role on the referral, or an error when it is not theirs.
    static func role(of member: Member, on referral: Referral, id: ReferralID, line: String) throws -> ReferralRole {
        guard let memberId = member.id, let role = referral.role(of: memberId) else {
            throw CommandError(
                line: line, problem: "\(id) is not one of your referrals.",
                remedy: "Send STATUS to see the referrals you sent and received.")
        }
        return role
    }

    /// The values every referral mail shows.
    static func values(
        _ referral: Referral, id: ReferralID, listing: Listing, owner: Member, referrer: Member, contact: Bool
    ) -> [String: TemplateValue] {
        var values: [String: TemplateValue] = [
            "referralRef": .text(id.description),
            "listingRef": .text(listing.listingID?.description ?? "L-\(referral.listingId)"),
            "listingTitle": .text(listing.title),
            "reward": .text(listing.reward.description),
            "customerName": .text(referral.customerName),
            "need": .text(referral.need),
            "ownerName": .text(owner.displayName),
            "ownerEmail": .text(owner.email),
            "referrerName": .text(referrer.displayName),
            "referrerEmail": .text(referrer.email),
            "state": .text(referral.state.phrase),
            "selfReferralFlag": .flag(referral.selfReferralFlag),
        ]
        if contact {
            if let email = referral.customerEmail { values["customerEmail"] = .text(email) }
            if let phone = referral.customerPhone { values["customerPhone"] = .text(phone) }
            values["hasContact"] = .flag(referral.customerEmail != nil || referral.customerPhone != nil)
        } else {
            values["contactWithheld"] = .flag(referral.customerEmail != nil || referral.customerPhone != nil)
        }
        if let owed = referral.rewardOwed { values["owed"] = .text(owed.formatted) }
        if let inKind = referral.inKindOwed { values["inKindOwed"] = .text(inKind) }
        if let paid = referral.rewardPaid { values["paid"] = .text(paid.formatted) }
        if let won = referral.wonAmount { values["won"] = .text(won.formatted) }
        return values
    }

    /// The listing, owner and referrer of a referral; an internal error when one is missing.
    static func parties(_ referral: Referral, ledger: any Ledger) throws -> (Listing, Member, Member) {
        guard let listing = try ledger.listing(id: referral.listingId),
            let owner = try ledger.member(id: referral.ownerId),
            let referrer = try ledger.member(id: referral.referrerId)
        else { throw ReferralDeskError.missingRecord(referral.id ?? 0) }
        return (listing, owner, referrer)
    }

    /// Moves a referral on once its agreement is in place: asks the customer when consent must be
    /// asked, else delivers it to the owner (`referral.received`).
    static func proceed(
        _ referral: inout Referral, listing: Listing, owner: Member, referrer: Member, ledger: any Ledger,
        context: CommandContext
    ) throws -> [Notification] {
        guard let id = referral.referralID else { return [] }
        let ref = id.description
        if referral.consent == .asked, let email = referral.customerEmail {
            let tag = try ledger.makeReplyTag(
                for: email, action: ReplyAction.customerConsent, ref: ref, now: context.now,
                expiresAt: context.now + requestTagSeconds)
            var values = values(referral, id: id, listing: listing, owner: owner, referrer: referrer, contact: false)
            values["expiryDays"] = .number(Int64(context.settings.referralExpiryDays))
            return [
                Notification(
                    event: .customerConsent, to: [email], ref: ref, replyTag: tag.token, values: values,
                    thread: try thread(ledger, ref: ref), actions: ["YES", "NO"])
            ]
        }
        referral.deliveredAt = context.now
        try ledger.save(&referral)
        let tag = try ledger.makeReplyTag(
            for: owner.email, action: ReplyAction.referralOwner, ref: ref, now: context.now,
            expiresAt: context.now + referralTagSeconds)
        var values = values(
            referral, id: id, listing: listing, owner: owner, referrer: referrer,
            contact: referral.ownerSeesContactDetails)
        values["credits"] = .number(Int64(owner.credits))
        values["consentGranted"] = .flag(referral.consent == .granted)
        values["expiryDays"] = .number(Int64(context.settings.referralExpiryDays))
        return [
            Notification(
                event: .referralReceived, to: [owner.email], ref: ref, replyTag: tag.token, values: values,
                thread: try thread(ledger, ref: ref), actions: ["ACCEPT", "REJECT"])
        ]
    }

    /// A fresh reply tag for the referrer of a referral (RECEIVED, DISPUTE, REFER L-m). Tags are
    /// stored hashed, so an earlier one cannot be mailed again: every mail gets its own.
    static func referrerTag(_ referrer: Member, ref: String, ledger: any Ledger, now: Int64) throws -> ReplyTag {
        try ledger.makeReplyTag(
            for: referrer.email, action: ReplyAction.referralReferrer, ref: ref, now: now,
            expiresAt: now + referralTagSeconds)
    }

    /// A fresh reply tag for the owner of a referral (its moves).
    static func ownerTag(_ owner: Member, ref: String, ledger: any Ledger, now: Int64) throws -> ReplyTag {
        try ledger.makeReplyTag(
            for: owner.email, action: ReplyAction.referralOwner, ref: ref, now: now,
            expiresAt: now + referralTagSeconds)
    }

    /// `command.done` to the member who sent the command.
    static func done(
        _ summary: String, detail: String? = nil, ref: String?, command: ParsedCommand, context: CommandContext,
        thread: [String] = [], replyTag: String? = nil
    ) -> Notification {
        var values: [String: TemplateValue] = ["summary": .text(summary)]
        if let detail { values["detail"] = .text(detail) }
        var ids = thread
        if let messageID = context.messageID, !ids.contains(messageID) { ids.append(messageID) }
        return Notification(
            event: .commandDone, to: [context.sender], ref: ref, replyTag: replyTag, values: values,
            quoted: [command.line], thread: ids)
    }
}

/// A record a referral points at is missing: a broken database, not a member's mistake.
struct ReferralDeskError: Error, CustomStringConvertible {
    var referralId: Int64
    static func missingRecord(_ id: Int64) -> ReferralDeskError { ReferralDeskError(referralId: id) }
    var description: String { "referral \(referralId) points at a listing or member that does not exist" }
}

extension ReferralDesk {
    /// `2026-11-23 10:00 UTC` for Unix seconds (proleptic Gregorian calendar).
    static func dateText(_ seconds: Int64) -> String {
        let (year, month, day) = civilDate(seconds)
        let secondOfDay = ((seconds % 86_400) + 86_400) % 86_400
        return "\(year)-\(two(month))-\(two(day)) \(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)) UTC"
    }

    /// `2026-11-23` for Unix seconds.
    static func dayText(_ seconds: Int64) -> String {
        let (year, month, day) = civilDate(seconds)
        return "\(year)-\(two(month))-\(two(day))"
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

    /// Year, month and day of Unix seconds (days-to-civil, after H. Hinnant's algorithm).
    private static func civilDate(_ seconds: Int64) -> (Int64, Int64, Int64) {
        let days = (seconds >= 0 ? seconds : seconds - 86_399) / 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
