/// `AGREE` (in reply to `agreement.request`, or `AGREE L-n`): the referrer agrees to a listing's
/// partnership terms.
///
/// Records the agreement with its evidence (spec §3: version, SHA-256 of the attached text, both
/// parties, when and how each agreed, an opaque evidence id for the agreeing reply (never its
/// tag), the Message-ID and authentication verdict of
/// the agreeing mail), mails `agreement.copy` to both with the text attached as
/// `agreement-L-n.txt`, then sends on the referrals that waited for it.
public struct AgreeHandler: CommandHandler {
    public let word = CommandWord.agree
    let options: ReferralOptions

    public init(options: ReferralOptions = ReferralOptions()) {
        self.options = options
    }

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let line = command.line
        let referrer = try ReferralDesk.activeMember(ledger, context, line: line)
        guard let referrerId = referrer.id else { return [] }
        let tag = try ReferralDesk.tag(ledger, context, line: line)
        let (ref, _) = ReferralDesk.leadingRef(command.arguments)
        var listingID: ListingID?
        if case .listing(let named)? = ref { listingID = named }
        if listingID == nil, let tag, tag.action == ReplyAction.agreementReferrer {
            listingID = tag.ref.flatMap(ListingID.init(parsing:))
        }
        guard let listingID else {
            throw CommandError(
                line: line, problem: "AGREE needs to know which listing's terms you agree to.",
                remedy: "Reply AGREE to the mail with the terms, or write AGREE L-12.")
        }
        guard let listing = try ledger.listing(id: listingID.rawValue), let owner = try ledger.member(id: listing.ownerId)
        else {
            throw CommandError(
                line: line, problem: "There is no listing \(listingID).", remedy: "Check the number in the subject.")
        }
        guard owner.id != referrerId else {
            throw CommandError(
                line: line, problem: "\(listingID) is your own listing: you agreed to its terms by posting it.",
                remedy: "Nothing more is needed.")
        }
        let terms = AgreementTerms(
            listing: listing, owner: owner, referrer: referrer, standard: options.standardAgreement,
            botName: context.botName)
        let waiting = try ledger.undeliveredReferrals(listingId: listing.id ?? 0, referrerId: referrerId)

        if try ledger.agreement(
            listingId: listing.id ?? 0, referrerId: referrerId, version: terms.version, sha256: terms.sha256) != nil
        {
            var notifications: [Notification] = []
            for var referral in waiting where referral.consent != .asked {
                notifications += try ReferralDesk.proceed(
                    &referral, listing: listing, owner: owner, referrer: referrer, ledger: ledger, context: context)
            }
            notifications.append(
                ReferralDesk.done(
                    "You had already agreed to the terms of \(listingID); nothing more is needed.",
                    ref: listingID.description, command: command, context: context))
            return notifications
        }

        var agreement = Agreement(
            listingId: listing.id ?? 0, ownerId: owner.id ?? 0, referrerId: referrerId, version: terms.version,
            sha256: terms.sha256, ownerAgreedAt: listing.createdAt, ownerMethod: .listing,
            referrerAgreedAt: context.now, referrerMethod: .reply, evidenceId: Agreement.newEvidenceId(), messageId: context.messageID,
            authVerdict: context.authVerdict ?? (tag != nil ? "reply to the address made for \(referrer.email)" : nil))
        try ledger.save(&agreement)

        let filename = "agreement-\(listingID).txt"
        let attachment = Notification.Attachment(
            filename: filename, contentType: "text/plain; charset=utf-8", data: Array(terms.text.utf8))
        var values: [String: TemplateValue] = [
            "listingRef": .text(listingID.description), "listingTitle": .text(listing.title),
            "ownerName": .text(owner.displayName), "ownerEmail": .text(owner.email),
            "referrerName": .text(referrer.displayName), "referrerEmail": .text(referrer.email),
            "ownerAgreedAt": .text(ReferralDesk.dateText(agreement.ownerAgreedAt)),
            "referrerAgreedAt": .text(ReferralDesk.dateText(agreement.referrerAgreedAt)),
            "referrerMethod": .text("replying AGREE by mail"),
            "version": .text(terms.version), "sha256": .text(terms.sha256), "filename": .text(filename),
        ]
        if let messageId = agreement.messageId { values["messageId"] = .text(messageId) }
        if let evidenceId = agreement.evidenceId { values["evidenceId"] = .text(evidenceId) }
        if let verdict = agreement.authVerdict { values["authVerdict"] = .text(verdict) }
        if !waiting.isEmpty { values["deliveredCount"] = .number(Int64(waiting.count)) }
        let thread = try ReferralDesk.thread(ledger, ref: listingID.description, answering: context.messageID)

        var toReferrer = values
        toReferrer["recipientName"] = .text(referrer.name)
        var toOwner = values
        toOwner["recipientName"] = .text(owner.name)
        var notifications = [
            Notification(
                event: .agreementCopy, to: [referrer.email], ref: listingID.description, values: toReferrer,
                quoted: [line], thread: thread, attachments: [attachment]),
            Notification(
                event: .agreementCopy, to: [owner.email], ref: listingID.description, values: toOwner,
                attachments: [attachment]),
        ]
        for var referral in waiting {
            notifications += try ReferralDesk.proceed(
                &referral, listing: listing, owner: owner, referrer: referrer, ledger: ledger, context: context)
        }
        return notifications
    }

    /// `agreement.request` to a referrer: the terms in the body and a reply address for AGREE.
    static func request(
        terms: AgreementTerms, listing: Listing, owner: Member, referrer: Member, ledger: any Ledger,
        context: CommandContext, line: String
    ) throws -> Notification {
        let listingRef = listing.listingID?.description ?? "L-\(listing.id ?? 0)"
        let tag = try ledger.makeReplyTag(
            for: referrer.email, action: ReplyAction.agreementReferrer, ref: listingRef, now: context.now,
            expiresAt: context.now + ReferralDesk.requestTagSeconds)
        return Notification(
            event: .agreementRequest, to: [referrer.email], ref: listingRef, replyTag: tag.token,
            values: [
                "listingRef": .text(listingRef), "listingTitle": .text(listing.title),
                "ownerName": .text(owner.displayName), "referrerName": .text(referrer.name),
                "version": .text(terms.version), "sha256": .text(terms.sha256), "terms": .text(terms.text),
            ], quoted: [line], thread: context.messageID.map { [$0] } ?? [], actions: ["AGREE"])
    }
}
