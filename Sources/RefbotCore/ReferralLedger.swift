/// Referrals and partnership agreements.
public protocol ReferralLedger {
    /// The referral with this id, if any.
    func referral(id: Int64) throws -> Referral?
    /// Inserts the referral (setting its id) or updates it.
    func save(_ referral: inout Referral) throws
}
