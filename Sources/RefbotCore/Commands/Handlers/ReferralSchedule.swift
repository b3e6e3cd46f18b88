/// What the scheduler does about one referral once ``Expiry/decide(_:now:settings:)`` has spoken:
/// remind the owner (`referral.reminder`) or expire it and tell the referrer (`referral.updated`),
/// changing the referral through the ledger in the caller's transaction.
///
/// ```swift
/// let decision = Expiry.decide(referral, now: now, settings: settings)
/// let mail = try ReferralSchedule.act(on: &referral, decision: decision, ledger: ledger, now: now, settings: settings)
/// ```
public enum ReferralSchedule {
    public static func act(
        on referral: inout Referral, decision: Expiry.ReferralDecision, ledger: any Ledger, now: Int64,
        settings: NetworkSettings
    ) throws -> [Notification] {
        guard let id = referral.referralID, decision != .none else { return [] }
        let (listing, owner, referrer) = try ReferralDesk.parties(referral, ledger: ledger)
        let ref = id.description
        let thread = try ReferralDesk.thread(ledger, ref: ref)
        switch decision {
        case .none:
            return []
        case .remindOwner:
            let expiresAt = Expiry.expiryTime(of: referral, settings: settings)
            referral.remindedAt = now
            try ledger.save(&referral)
            let tag = try ReferralDesk.ownerTag(owner, ref: ref, ledger: ledger, now: now)
            var values = ReferralDesk.values(
                referral, id: id, listing: listing, owner: owner, referrer: referrer, contact: false)
            values["pending"] = .flag(referral.state == .pending)
            if let expiresAt { values["expiresOn"] = .text(ReferralDesk.dayText(expiresAt)) }
            values["staleDays"] = .number(Int64(settings.staleAfterDays))
            values["moves"] = .list(referral.state.openMoves(for: .owner).map { .object(["word": .text($0.word)]) })
            return [
                Notification(
                    event: .referralReminder, to: [owner.email], ref: ref, replyTag: tag.token, values: values,
                    thread: thread)
            ]
        case .expire:
            do throws(IllegalMove) {
                referral.state = try referral.state.after(.expire)
            } catch {
                return []
            }
            referral.closedAt = now
            referral.updatedAt = now
            try ledger.save(&referral)
            let tag = try ReferralDesk.referrerTag(referrer, ref: ref, ledger: ledger, now: now)
            var values = ReferralDesk.values(
                referral, id: id, listing: listing, owner: owner, referrer: referrer, contact: false)
            values["recipientName"] = .text(referrer.name)
            values["headline"] = .text("Your referral \(ref) of \(referral.customerName) has expired")
            values["expired"] = true
            values["expiryDays"] = .number(Int64(settings.referralExpiryDays))
            if referral.deliveredAt == nil {
                values["reason"] = .text(
                    "It never reached \(owner.displayName): it was still waiting for "
                        + (referral.consent == .asked ? "the customer's consent." : "your agreement to the listing's terms."))
            }
            return [
                Notification(
                    event: .referralUpdated, to: [referrer.email], ref: ref, replyTag: tag.token, values: values,
                    thread: thread)
            ]
        }
    }
}
