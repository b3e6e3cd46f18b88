extension ReferralState {
    /// The state after `move`, or ``IllegalMove`` when this state does not allow it.
    ///
    /// Beyond the spec's diagram:
    /// - `WON` and `LOST` also come straight from `accepted` (the spec says so in words).
    /// - `PAID` also comes from `lost`: a per-lead reward is owed from ACCEPT, whatever the outcome.
    /// - `RECEIVED` also comes from `won`: the referrer may confirm a payment the owner never reported.
    /// - `DISPUTE` is open from `won`, `lost` and `paid` and leaves the state as it is: it raises the
    ///   matter with the owner and admins (`referral.disputed`); it is not a state of its own.
    /// - `rejected`, `expired` and `closed` are final.
    ///
    /// Roles are not checked here; ``after(_:by:)`` checks them too.
    public func after(_ move: ReferralMove) throws(IllegalMove) -> ReferralState {
        switch (self, move) {
        case (.pending, .accept): .accepted
        case (.pending, .reject): .rejected
        case (.pending, .expire): .expired
        case (.accepted, .contacted): .contacted
        case (.accepted, .won), (.contacted, .won): .won
        case (.accepted, .lost), (.contacted, .lost): .lost
        case (.won, .paid), (.lost, .paid): .paid
        case (.won, .received), (.paid, .received): .closed
        case (.won, .dispute): .won
        case (.lost, .dispute): .lost
        case (.paid, .dispute): .paid
        default: throw IllegalMove(from: self, attempted: move, role: move.role)
        }
    }

    /// The state after `move` made by `role`; refuses a move that belongs to the other side first.
    public func after(_ move: ReferralMove, by role: ReferralRole) throws(IllegalMove) -> ReferralState {
        guard move.role == role else {
            throw IllegalMove(from: self, attempted: move, role: role, reason: .role(required: move.role))
        }
        do {
            return try after(move)
        } catch {
            throw IllegalMove(from: self, attempted: move, role: role)
        }
    }

    /// Every move this state allows, in the order of ``ReferralMove/allCases``.
    public var openMoves: [ReferralMove] {
        ReferralMove.allCases.filter { (try? after($0)) != nil }
    }

    /// The moves this state allows to one role.
    public func openMoves(for role: ReferralRole) -> [ReferralMove] {
        openMoves.filter { $0.role == role }
    }

    /// Who the referral waits on: the owner, the referrer, or no one (`nil`) when it is final.
    ///
    /// `won` waits on the owner (PAID) even though the referrer may also reply; `lost` waits on no
    /// one, since only a per-lead reward is still owed there and that is the handler's to know.
    public var waitsOn: ReferralRole? {
        if self == .lost { return nil }
        if !openMoves(for: .owner).isEmpty { return .owner }
        if self == .paid { return .referrer }
        return nil
    }
}
