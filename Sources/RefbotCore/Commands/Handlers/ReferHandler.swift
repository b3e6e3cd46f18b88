/// `REFER L-n` with the REFER form (Customer*, Email, Phone, Need*, Consent* yes): refers a
/// customer to a connection's live listing.
///
/// The referral is stored `pending`; the referrer gets `referral.sent`. Without an executed
/// agreement for the listing's current terms the referrer first gets `agreement.request` and the
/// referral waits for AGREE; with `network.customer_consent = "ask"` and a customer email the
/// customer is asked next (`customer.consent`); then the owner gets `referral.received`.
///
/// In reply to a rejected or expired referral (its `referral.referrer` address), `REFER L-m`
/// alone sends the same customer to another listing.
public struct ReferHandler: CommandHandler {
    public let word = CommandWord.refer
    let options: ReferralOptions

    public init(options: ReferralOptions = ReferralOptions()) {
        self.options = options
    }

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let line = command.line
        let referrer = try ReferralDesk.activeMember(ledger, context, line: line)
        guard let referrerId = referrer.id else { return [] }
        let tag = try ReferralDesk.tag(ledger, context, line: line)

        let argument = command.arguments.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
        guard let listingID = ListingID(parsing: argument) else {
            throw CommandError(
                line: line, problem: "REFER needs the number of the listing you refer the customer to.",
                remedy: "Write it like REFER L-12, with the Customer:, Email:, Phone:, Need: and Consent: lines below.")
        }
        guard let listing = try ledger.listing(id: listingID.rawValue), let owner = try ledger.member(id: listing.ownerId),
            let ownerId = owner.id
        else {
            throw CommandError(
                line: line, problem: "There is no listing \(listingID).",
                remedy: "Send SEARCH to find listings and their numbers.")
        }
        guard listing.isOpen(at: context.now), owner.state == .active else {
            throw CommandError(
                line: line, problem: "\(listingID) \"\(listing.title)\" is not taking referrals (it is \(listing.state)).",
                remedy: "Send SEARCH to find a live listing for this customer.")
        }
        guard ownerId != referrerId else {
            throw CommandError(
                line: line, problem: "\(listingID) is your own listing, and you cannot refer customers to yourself.",
                remedy: "Refer the customer to another member's listing; send SEARCH to find one.")
        }
        guard try ledger.areConnected(referrerId, ownerId) else {
            throw CommandError(
                line: line, problem: "You are not connected to \(owner.displayName), who owns \(listingID), and "
                    + "referrals only flow between connections.",
                remedy: "Send CONNECT \(listingID) to ask them; once they accept, send your REFER again.")
        }

        let customer = try customerFields(command, tag: tag, referrerId: referrerId, ledger: ledger)

        let since = context.now - Int64(context.settings.duplicateCustomerDays) * NetworkSettings.secondsPerDay
        if let earlier = try ledger.recentReferral(
            listingId: listing.id ?? 0, customerEmail: customer.email, customerName: customer.name, since: since)
        {
            let holder =
                earlier.referrerId == referrerId
                ? "you (\(earlier.referralID?.description ?? "an earlier referral"))"
                : ((try ledger.member(id: earlier.referrerId))?.displayName ?? "another member")
            throw CommandError(
                line: line,
                problem: "This customer was already referred to \(listingID) in the last \(context.settings.duplicateCustomerDays) "
                    + "days; that referral is held by \(holder).",
                remedy: "A customer is referred to the same listing only once in that time. You can refer them to another listing.")
        }
        let sentToday = try ledger.referralCount(by: referrerId, since: context.now - NetworkSettings.secondsPerDay)
        guard sentToday < context.settings.maxReferralsPerDay else {
            throw CommandError(
                line: line,
                problem: "You have sent \(sentToday) referrals in the last 24 hours, the most the network allows.",
                remedy: "Please send this one again tomorrow.")
        }

        let consent: CustomerConsent =
            context.settings.customerConsent == .ask && customer.email != nil ? .asked : .byReferrer
        var referral = Referral(
            listingId: listing.id ?? 0, ownerId: ownerId, referrerId: referrerId, customerName: customer.name,
            customerEmail: customer.email, customerPhone: customer.phone, need: customer.need, consent: consent,
            createdAt: context.now,
            selfReferralFlag: Referral.looksLikeSelfReferral(customerEmail: customer.email, referrerEmail: referrer.email))
        try ledger.save(&referral)
        guard let id = referral.referralID else { return [] }
        let ref = id.description

        let terms = AgreementTerms(
            listing: listing, owner: owner, referrer: referrer, standard: options.standardAgreement,
            botName: context.botName)
        let agreed = try ledger.agreement(
            listingId: listing.id ?? 0, referrerId: referrerId, version: terms.version, sha256: terms.sha256) != nil

        var notifications: [Notification] = []
        let referrerTag = try ReferralDesk.referrerTag(referrer, ref: ref, ledger: ledger, now: context.now)
        var values = ReferralDesk.values(
            referral, id: id, listing: listing, owner: owner, referrer: referrer, contact: true)
        values["waitsForAgreement"] = .flag(!agreed)
        values["waitsForCustomer"] = .flag(consent == .asked)
        values["expiryDays"] = .number(Int64(context.settings.referralExpiryDays))
        notifications.append(
            Notification(
                event: .referralSent, to: [referrer.email], ref: ref, replyTag: referrerTag.token, values: values,
                quoted: [line] + command.followingLines.filter { FormFields.keyLine($0.trimmedOfWhitespace) != nil },
                thread: context.messageID.map { [$0] } ?? []))

        if agreed {
            notifications += try ReferralDesk.proceed(
                &referral, listing: listing, owner: owner, referrer: referrer, ledger: ledger, context: context)
        } else {
            notifications.append(
                try AgreeHandler.request(
                    terms: terms, listing: listing, owner: owner, referrer: referrer, ledger: ledger, context: context,
                    line: line))
        }
        return notifications
    }

    struct Customer {
        var name: String
        var email: String?
        var phone: String?
        var need: String
    }

    /// The customer from the form, or, in reply to one of the referrer's own referrals, from it.
    private func customerFields(
        _ command: ParsedCommand, tag: ReplyTag?, referrerId: Int64, ledger: any Ledger
    ) throws -> Customer {
        let line = command.line
        var source: Referral?
        if let tag, tag.action == ReplyAction.referralReferrer, let id = tag.ref.flatMap(ReferralID.init(parsing:)),
            let earlier = try ledger.referral(id: id.rawValue), earlier.referrerId == referrerId
        {
            source = earlier
        }
        switch FormFields.parse(lines: command.followingLines, spec: .refer, line: line) {
        case .success(let form):
            guard FormFields.yesOrNo(form["consent"]) == true else {
                throw CommandError(
                    line: line, problem: "Consent: must be yes: we only pass on customers who agreed to be referred.",
                    remedy: "Ask the customer first; once they agree, send the form again with Consent: yes.")
            }
            let email = form["email"].map { Member.normalizedEmail($0) }
            if let email, !Self.looksLikeAddress(email) {
                throw CommandError(
                    line: line, problem: "\"\(email.prefix(80))\" in Email: is not an email address.",
                    remedy: "Write it like Email: carol@example.com, or leave the Email: line out.")
            }
            return Customer(
                name: form["customer"] ?? "", email: email, phone: form["phone"], need: form["need"] ?? "")
        case .failure(let error):
            guard let source else { throw error }
            guard source.customerName != Erasure.marker else {
                throw CommandError(
                    line: line,
                    problem: "The customer of \(source.referralID?.description ?? "that referral") asked us to erase "
                        + "their details, so we cannot pass them on.",
                    remedy: "If the customer wants to be referred again, send REFER with their details and Consent: yes.")
            }
            return Customer(
                name: source.customerName, email: source.customerEmail, phone: source.customerPhone, need: source.need)
        }
    }

    static func looksLikeAddress(_ text: String) -> Bool {
        guard let at = text.firstIndex(of: "@"), at != text.startIndex else { return false }
        let domain = text[text.index(after: at)...]
        // One plain address: no second address, list separator, bracket, quote or control character.
        let unsafe: (Character) -> Bool = { character in
            character.isWhitespace || ",;<>()[]\\\"@".contains(character)
                || character.unicodeScalars.contains { $0.value < 32 || $0.value == 127 }
        }
        return domain.contains(".") && !domain.contains(where: unsafe) && !text[..<at].contains(where: unsafe)
    }
}
