/// What erasing one person's data did (FORGET, `refbot admin erase EMAIL`): a member's profile
/// blanked, a customer's details taken out of every referral, and the raw mail that carried them
/// purged. Ledger rows (referrals, agreements, credits) stay, anonymised.
public struct Erasure: Sendable, Equatable {
    /// What replaces an erased name, need or other text.
    public static let marker = "(erased)"

    /// The address an erased member's row keeps: unique, and never a mailbox.
    public static func anonymousAddress(memberId: Int64) -> String { "erased-\(memberId)@erased.invalid" }

    /// Whether `address` is one of the placeholders above, which are never mailed.
    @Sendable public static func isPlaceholder(_ address: String) -> Bool {
        address.lowercased().hasSuffix("@erased.invalid")
    }

    /// The address recipients, held commands and bounces of an erased person are rewritten to.
    public static let anonymousRecipient = "erased@erased.invalid"

    /// The address that was erased, lower-cased.
    public var email: String
    /// The member whose profile was erased, if the address was a member's.
    public var memberId: Int64?
    /// The referrals whose customer was this address.
    public var referralIds: [Int64]
    /// Of those, the referrals that had not reached their owner yet, now closed as rejected.
    public var withdrawnReferralIds: [Int64] = []
    /// Stored inbound mails whose raw bytes were purged.
    public var inboundPurged: Int
    /// Stored outbound mails whose bodies were purged (mail not yet sent is withdrawn).
    public var outboundPurged: Int

    public init(
        email: String, memberId: Int64? = nil, referralIds: [Int64] = [], inboundPurged: Int = 0, outboundPurged: Int = 0
    ) {
        self.email = email
        self.memberId = memberId
        self.referralIds = referralIds
        self.inboundPurged = inboundPurged
        self.outboundPurged = outboundPurged
    }

    /// Whether nothing about the address was found.
    public var isEmpty: Bool { memberId == nil && referralIds.isEmpty && inboundPurged == 0 && outboundPurged == 0 }

    /// One line per kind of data erased, for the admin's terminal and the member's answer.
    public var lines: [String] {
        var lines: [String] = []
        if memberId != nil { lines.append("the member profile of \(email) (name, business, category, city, website, phone, about)") }
        if !referralIds.isEmpty {
            let refs = referralIds.map { ReferralID($0).description }.joined(separator: ", ")
            lines.append("the customer's name, email, phone and need in \(refs)")
        }
        if !withdrawnReferralIds.isEmpty {
            let refs = withdrawnReferralIds.map { ReferralID($0).description }.joined(separator: ", ")
            lines.append("\(refs) had not reached the listing's owner yet and will not: closed as rejected")
        }
        if inboundPurged > 0 { lines.append("\(inboundPurged) stored incoming mail\(inboundPurged == 1 ? "" : "s")") }
        if outboundPurged > 0 { lines.append("\(outboundPurged) stored outgoing mail\(outboundPurged == 1 ? "" : "s")") }
        return lines
    }
}
