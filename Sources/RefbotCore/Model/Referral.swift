/// One customer passed from a referrer to a listing, `R-n` (spec §1, §3).
public struct Referral: Sendable, Hashable, Codable, Identifiable {
    /// The stored row id; `nil` until stored.
    public var id: Int64?
    /// The listing it was sent to.
    public var listingId: Int64
    /// The listing's owner at the time it was sent.
    public var ownerId: Int64
    /// The member who sent it.
    public var referrerId: Int64
    /// `Customer:`, the customer's name.
    public var customerName: String
    /// `Email:`, lower-cased.
    public var customerEmail: String?
    /// `Phone:`.
    public var customerPhone: String?
    /// `Need:`, what the customer wants.
    public var need: String
    /// How the customer agreed to be referred.
    public var consent: CustomerConsent
    /// Where it stands.
    public var state: ReferralState
    /// When the referrer sent REFER, Unix seconds.
    public var createdAt: Int64
    /// When `referral.received` went to the owner; `nil` while it waits for the referrer's AGREE.
    public var deliveredAt: Int64?
    /// When its state last changed, Unix seconds; stale reminders count from here.
    public var updatedAt: Int64
    /// When the owner was last reminded about it.
    public var remindedAt: Int64?
    /// When the owner accepted it.
    public var acceptedAt: Int64?
    /// When it reached `closed`, `rejected` or `expired`.
    public var closedAt: Int64?
    /// Money owed to the referrer (per lead on ACCEPT; per sale or percent on WON).
    public var rewardOwed: Money?
    /// An in-kind reward owed to the referrer, as the listing words it.
    public var inKindOwed: String?
    /// Money the owner reported paying with PAID.
    public var rewardPaid: Money?
    /// The sale amount reported with WON.
    public var wonAmount: Money?
    /// The owner's reason for REJECT.
    public var rejectReason: String?
    /// The owner's reason for LOST.
    public var lostReason: String?
    /// The referrer's reason for DISPUTE.
    public var disputeReason: String?
    /// When the referrer last sent DISPUTE.
    public var disputedAt: Int64?
    /// The customer's email domain is the referrer's own (a flag shown to the owner, not a block).
    public var selfReferralFlag: Bool

    /// A new referral, `pending`.
    public init(
        id: Int64? = nil, listingId: Int64, ownerId: Int64, referrerId: Int64, customerName: String,
        customerEmail: String? = nil, customerPhone: String? = nil, need: String,
        consent: CustomerConsent = .byReferrer, state: ReferralState = .pending, createdAt: Int64,
        deliveredAt: Int64? = nil, updatedAt: Int64? = nil, remindedAt: Int64? = nil, acceptedAt: Int64? = nil,
        closedAt: Int64? = nil, rewardOwed: Money? = nil, inKindOwed: String? = nil, rewardPaid: Money? = nil,
        wonAmount: Money? = nil, rejectReason: String? = nil, lostReason: String? = nil,
        disputeReason: String? = nil, disputedAt: Int64? = nil, selfReferralFlag: Bool = false
    ) {
        self.id = id
        self.listingId = listingId
        self.ownerId = ownerId
        self.referrerId = referrerId
        self.customerName = customerName
        self.customerEmail = customerEmail.map { Member.normalizedEmail($0) }
        self.customerPhone = customerPhone
        self.need = need
        self.consent = consent
        self.state = state
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
        self.updatedAt = updatedAt ?? createdAt
        self.remindedAt = remindedAt
        self.acceptedAt = acceptedAt
        self.closedAt = closedAt
        self.rewardOwed = rewardOwed
        self.inKindOwed = inKindOwed
        self.rewardPaid = rewardPaid
        self.wonAmount = wonAmount
        self.rejectReason = rejectReason
        self.lostReason = lostReason
        self.disputeReason = disputeReason
        self.disputedAt = disputedAt
        self.selfReferralFlag = selfReferralFlag
    }

    /// `R-12`, once stored.
    public var referralID: ReferralID? { id.map(ReferralID.init) }

    /// The role a member plays on this referral, or `nil` when they are neither owner nor referrer.
    ///
    /// A member who refers a customer to their own listing is treated as the owner.
    public func role(of memberId: Int64) -> ReferralRole? {
        if memberId == ownerId { return .owner }
        if memberId == referrerId { return .referrer }
        return nil
    }

    /// Whether the owner has been told about this referral (`referral.received`): before that the
    /// owner is never shown who the customer is, anywhere (mail, EXPORT, STATUS, link pages).
    public var ownerSeesCustomer: Bool { deliveredAt != nil }

    /// Whether the owner may see the customer's email and phone: exactly when `referral.received`
    /// gave them — delivered, with the customer's consent (the referrer's word, or the customer's YES).
    public var ownerSeesContactDetails: Bool { ownerSeesCustomer && consent.allowsContactDetails }

    /// Free-mail domains, where a shared domain says nothing about who the customer is.
    public static let freeMailDomains: Set<String> = [
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com", "hotmail.co.uk",
        "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com", "me.com", "mac.com", "proton.me",
        "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "zoho.com", "yandex.com",
        "yandex.ru", "mail.ru", "fastmail.com", "hey.com", "tutanota.com", "qq.com", "163.com",
    ]

    /// Whether a customer's address shares the referrer's own, non-free-mail domain (spec §3,
    /// "Referral quality": a flag for the owner, not a block).
    public static func looksLikeSelfReferral(customerEmail: String?, referrerEmail: String) -> Bool {
        guard let customerEmail else { return false }
        let customer = Member.normalizedEmail(customerEmail)
        let referrer = Member.normalizedEmail(referrerEmail)
        guard let customerAt = customer.lastIndex(of: "@"), let referrerAt = referrer.lastIndex(of: "@") else {
            return false
        }
        let customerDomain = customer[customer.index(after: customerAt)...]
        let referrerDomain = referrer[referrer.index(after: referrerAt)...]
        guard !customerDomain.isEmpty, customerDomain == referrerDomain else { return false }
        return !freeMailDomains.contains(String(customerDomain))
    }
}
