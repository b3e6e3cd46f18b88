/// Referrals and partnership agreements.
public protocol ReferralLedger {
    /// The referral with this id, if any.
    func referral(id: Int64) throws -> Referral?
    /// Inserts the referral (setting its id) or updates it.
    func save(_ referral: inout Referral) throws
    /// Referrals the member sent, newest first.
    func referrals(sentBy referrerId: Int64) throws -> [Referral]
    /// Referrals to the member's listings, newest first.
    func referrals(receivedBy ownerId: Int64) throws -> [Referral]
    /// Referrals in a state the scheduler watches (`pending`, `accepted`, `contacted`, `won`).
    func referralsToWatch() throws -> [Referral]
    /// The latest referral of this customer to this listing made at or after `since`: matched by
    /// email when one is given, else by name (case-insensitive).
    func recentReferral(listingId: Int64, customerEmail: String?, customerName: String, since: Int64) throws
        -> Referral?
    /// How many referrals the member has sent since `since`.
    func referralCount(by referrerId: Int64, since: Int64) throws -> Int
    /// Pending referrals from this referrer to this listing that have not reached the owner yet.
    func undeliveredReferrals(listingId: Int64, referrerId: Int64) throws -> [Referral]
    /// The executed agreement between this referrer and listing for these exact terms, if any.
    func agreement(listingId: Int64, referrerId: Int64, version: String, sha256: String) throws -> Agreement?
    /// Inserts the agreement (setting its id).
    func save(_ agreement: inout Agreement) throws
    /// The Message-IDs (no angle brackets) of the mail already queued about an object (`R-12`),
    /// oldest first, for threading.
    func messageIDs(about ref: String) throws -> [String]
    /// The title of the latest training announcement, if any.
    func latestAnnouncementTitle() throws -> String?
}
