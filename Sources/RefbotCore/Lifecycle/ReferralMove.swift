/// Something that moves a referral on: a reply word from the owner or the referrer, or expiry.
public enum ReferralMove: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Owner: take the referral (ACCEPT).
    case accept
    /// Owner: turn it down (REJECT [reason]).
    case reject
    /// Owner: has been in touch with the customer (CONTACTED).
    case contacted
    /// Owner: the customer bought (WON [amount]).
    case won
    /// Owner: the customer did not buy (LOST [reason]).
    case lost
    /// Owner: the reward is paid (PAID [amount]).
    case paid
    /// Referrer: the payment arrived (RECEIVED).
    case received
    /// Referrer: disagrees with the outcome or the payment (DISPUTE [reason]); the state stays.
    case dispute
    /// The scheduler: no answer within `network.referral_expiry_days`.
    case expire

    public var description: String { rawValue }

    /// The reply word, `ACCEPT`; expiry has none and prints `EXPIRE`.
    public var word: String { rawValue.uppercased() }

    /// Who may make this move.
    public var role: ReferralRole {
        switch self {
        case .accept, .reject, .contacted, .won, .lost, .paid: .owner
        case .received, .dispute: .referrer
        case .expire: .system
        }
    }

    /// The state this move leads toward on the main path, used to word errors.
    var targetRank: Int {
        switch self {
        case .accept, .reject, .expire: 1
        case .contacted: 2
        case .won, .lost, .dispute: 3
        case .paid: 4
        case .received: 5
        }
    }

    /// The state that must be reached before this move, in words: "accepted", "won", "paid".
    var prerequisite: String {
        switch self {
        case .accept, .reject, .expire: "sent"
        case .contacted, .won, .lost: "accepted"
        case .paid, .dispute: "won"
        case .received: "paid"
        }
    }
}

/// Who is making a move on a referral.
public enum ReferralRole: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The owner of the referral's listing.
    case owner
    /// The member who sent the referral.
    case referrer
    /// refbot itself (the scheduler).
    case system

    public var description: String { rawValue }
}
