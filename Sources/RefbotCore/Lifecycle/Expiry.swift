/// The scheduler's decisions about time, as pure functions of a record, `now` and the settings.
///
/// - A **pending** referral is reminded (to the owner) once at half of `referral_expiry_days` after
///   it reached the owner, and expires at the end. A referral still waiting for the referrer's AGREE
///   never reached the owner: it gets no reminder, and expires counted from when it was sent.
/// - An **accepted, contacted or won** referral with no update for `stale_after_days` gets a reminder
///   to the owner, and another each further `stale_after_days` without an update (a reminder counts
///   as the last touch, so reminders never come closer together than that).
/// - A pending or live **listing** expires when its `expiresAt` has passed.
///
/// The caller records `remindedAt = now` after sending a reminder; that is what keeps each
/// reminder to once. A setting of 0 days or less turns that timer off.
///
/// ```swift
/// switch Expiry.decide(referral, now: now, settings: settings) {
/// case .none: break
/// case .remindOwner: /* enqueue referral.reminder; referral.remindedAt = now */
/// case .expire: referral.state = try referral.state.after(.expire)
/// }
/// ```
public enum Expiry {
    /// What to do about a referral at `now`.
    public enum ReferralDecision: String, Sendable, Hashable, Codable {
        /// Nothing yet.
        case none
        /// Send `referral.reminder` to the owner and record `remindedAt`.
        case remindOwner
        /// Move it to `expired` and tell the referrer.
        case expire
    }

    /// What to do about a listing at `now`.
    public enum ListingDecision: String, Sendable, Hashable, Codable {
        /// Nothing yet.
        case none
        /// Move it to `expired`.
        case expire
    }

    /// The decision for one referral.
    public static func decide(_ referral: Referral, now: Int64, settings: NetworkSettings) -> ReferralDecision {
        switch referral.state {
        case .pending:
            guard settings.referralExpiryDays > 0 else { return .none }
            let start = referral.deliveredAt ?? referral.createdAt
            if now >= start + settings.referralExpirySeconds { return .expire }
            guard referral.deliveredAt != nil else { return .none }
            let remindedThisTime = referral.remindedAt.map { $0 >= start } ?? false
            if !remindedThisTime, now >= start + settings.referralExpirySeconds / 2 { return .remindOwner }
            return .none
        case .accepted, .contacted, .won:
            guard settings.staleAfterDays > 0 else { return .none }
            let lastTouch = max(referral.updatedAt, referral.remindedAt ?? Int64.min)
            return now >= lastTouch + settings.staleAfterSeconds ? .remindOwner : .none
        case .lost, .paid, .closed, .rejected, .expired:
            return .none
        }
    }

    /// When a pending referral will expire, or `nil` when it is not pending or never expires.
    public static func expiryTime(of referral: Referral, settings: NetworkSettings) -> Int64? {
        guard referral.state == .pending, settings.referralExpiryDays > 0 else { return nil }
        return (referral.deliveredAt ?? referral.createdAt) + settings.referralExpirySeconds
    }

    /// The decision for one listing.
    public static func decide(_ listing: Listing, now: Int64) -> ListingDecision {
        guard listing.state == .pending || listing.state == .live, let expiresAt = listing.expiresAt else {
            return .none
        }
        return now >= expiresAt ? .expire : .none
    }
}
