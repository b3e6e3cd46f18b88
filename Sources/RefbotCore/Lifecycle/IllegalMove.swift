/// A move that the referral's state or the mover's role does not allow.
///
/// ``commandError(ref:line:)`` words it for the member: the current state and the moves open to them.
public struct IllegalMove: Error, Sendable, Hashable {
    /// Why the move was refused.
    public enum Reason: Sendable, Hashable {
        /// The state does not allow the move.
        case state
        /// The move belongs to someone else (the owner's ACCEPT sent by the referrer).
        case role(required: ReferralRole)
    }

    /// The state the referral was in.
    public var from: ReferralState
    /// The move that was tried.
    public var attempted: ReferralMove
    /// Who tried it.
    public var role: ReferralRole
    /// Why it was refused.
    public var reason: Reason

    /// Records a refused move.
    public init(from: ReferralState, attempted: ReferralMove, role: ReferralRole, reason: Reason = .state) {
        self.from = from
        self.attempted = attempted
        self.role = role
        self.reason = reason
    }

    /// The moves open to the one who tried, in this state.
    public var open: [ReferralMove] { from.openMoves(for: role) }

    /// The `command.error` for a member: problem names the state, remedy the open reply words.
    ///
    /// `R-12 is already accepted.` / `Reply CONTACTED, WON or LOST to move it on.`
    public func commandError(ref: ReferralID, line: String) -> CommandError {
        CommandError(line: line, problem: problem(ref: ref), remedy: remedy(ref: ref))
    }

    /// What was wrong, naming the current state.
    public func problem(ref: ReferralID) -> String {
        if case .role(let required) = reason {
            switch required {
            case .owner: return "Only the owner of the listing can reply \(attempted.word) to \(ref)."
            case .referrer: return "Only the member who sent \(ref) can reply \(attempted.word) to it."
            case .system: return "\(ref) expires by itself; no one can expire it by mail."
            }
        }
        switch from {
        case .rejected: return "\(ref) was rejected."
        case .expired: return "\(ref) has expired."
        case .closed: return "\(ref) is already closed."
        default:
            if attempted.targetRank <= from.rank {
                return "\(ref) is already \(from.phrase)."
            }
            if from == .pending {
                return "\(ref) is still pending: it has not been \(attempted.prerequisite) yet."
            }
            return "\(ref) is \(from.phrase): it has not been \(attempted.prerequisite) yet."
        }
    }

    /// What would work: the open reply words, whom it waits on, or that it is finished.
    public func remedy(ref: ReferralID) -> String {
        let mine = open
        if from == .lost, role == .owner {
            return "Nothing more is needed unless you owe a reward for it; then reply PAID once you have paid it."
        }
        if !mine.isEmpty {
            return "Reply \(Self.list(mine)) to move it on."
        }
        for other in [ReferralRole.owner, .referrer] where other != role {
            let theirs = from.openMoves(for: other)
            if !theirs.isEmpty {
                let who = other == .owner ? "the listing's owner" : "the member who sent it"
                return "It now waits on \(who), who can reply \(Self.list(theirs))."
            }
        }
        if role == .referrer, from == .rejected || from == .expired {
            return "You can refer the customer to another listing by replying REFER L-n."
        }
        return "Nothing more can be done with \(ref)."
    }

    /// `ACCEPT`, `ACCEPT or REJECT`, `CONTACTED, WON or LOST`.
    static func list(_ moves: [ReferralMove]) -> String {
        let words = moves.map(\.word)
        guard let last = words.last else { return "" }
        if words.count == 1 { return last }
        return words.dropLast().joined(separator: ", ") + " or " + last
    }
}
