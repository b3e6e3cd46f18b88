/// Where a listing stands. Raw values are the stored and printed names.
///
/// ```
/// pending ──APPROVE──▶ live ──CLOSE──▶ closed
///    │  ▲                │ └──(expires_at passes)──▶ expired
///    │  └───APPROVE──┐   └──DECLINE──▶ declined
///    └──DECLINE──▶ declined
/// ```
/// FEATURE keeps a live listing live (and sets `featuredUntil`). A pending listing may also be
/// closed by its owner or expire. `closed` and `expired` are final: the owner posts a new LISTING.
public enum ListingState: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Waiting for an admin's APPROVE or DECLINE.
    case pending
    /// Shown in search; takes referrals.
    case live
    /// Turned down by an admin (or taken down after going live).
    case declined
    /// Closed by its owner or an admin.
    case closed
    /// Past its `Expires:` date.
    case expired

    public var description: String { rawValue }

    /// The state of a new listing: `live` at once with `network.auto_approve_listings`, else `pending`.
    public static func initial(autoApprove: Bool) -> ListingState { autoApprove ? .live : .pending }

    /// The state after `move`, or ``ListingMoveError`` when this state does not allow it.
    public func after(_ move: ListingMove) throws(ListingMoveError) -> ListingState {
        switch (self, move) {
        case (.pending, .approve), (.declined, .approve): .live
        case (.pending, .decline), (.live, .decline): .declined
        case (.pending, .close), (.live, .close): .closed
        case (.pending, .expire), (.live, .expire): .expired
        case (.live, .feature): .live
        default: throw ListingMoveError(from: self, attempted: move)
        }
    }

    /// Every move this state allows.
    public var openMoves: [ListingMove] {
        ListingMove.allCases.filter { (try? after($0)) != nil }
    }

    /// Whether the listing shows in search and takes referrals (its expiry aside).
    public var isLive: Bool { self == .live }
}

/// Something that changes a listing's state.
public enum ListingMove: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Admin: APPROVE L-n.
    case approve
    /// Admin: DECLINE L-n [reason].
    case decline
    /// Owner or admin: CLOSE L-n.
    case close
    /// Admin: FEATURE L-n [days].
    case feature
    /// The scheduler: `expiresAt` has passed.
    case expire

    public var description: String { rawValue }

    /// The command word, `APPROVE`; expiry prints `EXPIRE`.
    public var word: String { rawValue.uppercased() }

    /// Whether only an admin may make the move (APPROVE, DECLINE, FEATURE).
    public var isAdminOnly: Bool { self == .approve || self == .decline || self == .feature }

    /// The state the move leads to.
    var target: ListingState {
        switch self {
        case .approve, .feature: .live
        case .decline: .declined
        case .close: .closed
        case .expire: .expired
        }
    }
}

/// A listing move the listing's state does not allow.
public struct ListingMoveError: Error, Sendable, Hashable {
    /// The state the listing was in.
    public var from: ListingState
    /// The move that was tried.
    public var attempted: ListingMove

    /// Records a refused move.
    public init(from: ListingState, attempted: ListingMove) {
        self.from = from
        self.attempted = attempted
    }

    /// The `command.error` text: the listing's state, and what would work.
    ///
    /// `L-3 is already live.` / `What works now: DECLINE L-3, CLOSE L-3 or FEATURE L-3.`
    public func commandError(ref: ListingID, line: String) -> CommandError {
        let problem: String
        if attempted == .feature, from == .pending || from == .declined {
            problem = "\(ref) is \(from), not live, so it cannot be featured."
        } else if attempted.target == from {
            problem = "\(ref) is already \(from)."
        } else {
            switch from {
            case .closed: problem = "\(ref) is closed."
            case .expired: problem = "\(ref) has expired."
            case .declined: problem = "\(ref) was declined."
            case .pending, .live: problem = "\(ref) is \(from)."
            }
        }
        let open = from.openMoves.filter { $0 != .expire }.map { "\($0.word) \(ref)" }
        let remedy: String
        if let last = open.last {
            let list = open.count == 1 ? last : open.dropLast().joined(separator: ", ") + " or " + last
            remedy = "What works now: \(list)."
        } else {
            remedy = "Nothing more can be done with \(ref); its owner can post a new LISTING."
        }
        return CommandError(line: line, problem: problem, remedy: remedy)
    }
}
