/// Where a referral stands (spec §3, "Referral states"). Raw values are the stored and printed names.
///
/// ```
/// pending ─ACCEPT─▶ accepted ─CONTACTED─▶ contacted ─WON─▶ won ─PAID─▶ paid ─RECEIVED─▶ closed
///    │                 │                     │              │                              ▲
///    │                 ├─WON / LOST──────────┤              └─RECEIVED─────────────────────┘
///    │                 │                     └─LOST─▶ lost ─PAID─▶ paid   (a per-lead reward)
///    ├─REJECT─▶ rejected
///    └─(no answer in referral_expiry_days)─▶ expired          DISPUTE: from won, lost or paid; state stays
/// ```
/// The moves themselves are in `ReferralState+Transitions.swift`.
public enum ReferralState: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Sent to the owner, who has not answered yet.
    case pending
    /// The owner accepted it (one credit spent, one point to the referrer).
    case accepted
    /// The owner has been in touch with the customer.
    case contacted
    /// The customer bought; a per-sale or percent reward is owed.
    case won
    /// The customer did not buy.
    case lost
    /// The owner says the reward is paid.
    case paid
    /// The referrer confirmed the payment; nothing more happens.
    case closed
    /// The owner turned it down.
    case rejected
    /// The owner did not answer within `network.referral_expiry_days`.
    case expired

    public var description: String { rawValue }

    /// Whether nothing can happen to the referral any more.
    public var isFinal: Bool { openMoves.isEmpty }

    /// The state in words after "R-12 is …": `pending`, `accepted`, `marked contacted`, `won`, …
    public var phrase: String {
        switch self {
        case .contacted: "marked contacted"
        default: rawValue
        }
    }

    /// Order along the main path, used to tell a repeated move from a premature one.
    var rank: Int {
        switch self {
        case .pending: 0
        case .accepted, .rejected, .expired: 1
        case .contacted: 2
        case .won, .lost: 3
        case .paid: 4
        case .closed: 5
        }
    }
}
