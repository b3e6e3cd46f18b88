/// Where a connection stands. Raw values are the stored and printed names.
///
/// ```
/// pending ──ACCEPT──▶ accepted
///    └──REJECT──▶ rejected ──CONNECT again──▶ pending
/// ```
/// An accepted connection is final here; LEAVE ends it by the member's state, not this one.
public enum ConnectionState: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The addressee has not answered.
    case pending
    /// Both sides are connected; referrals may flow either way.
    case accepted
    /// The addressee said no; the requester may ask again later.
    case rejected

    public var description: String { rawValue }

    /// The state after `move`, or ``ConnectionMoveError`` when this state does not allow it.
    public func after(_ move: ConnectionMove) throws(ConnectionMoveError) -> ConnectionState {
        switch (self, move) {
        case (.pending, .accept): .accepted
        case (.pending, .reject): .rejected
        case (.rejected, .request): .pending
        default: throw ConnectionMoveError(from: self, attempted: move)
        }
    }

    /// Every move this state allows.
    public var openMoves: [ConnectionMove] {
        ConnectionMove.allCases.filter { (try? after($0)) != nil }
    }
}

/// Something that changes a connection's state.
public enum ConnectionMove: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The addressee replies ACCEPT.
    case accept
    /// The addressee replies REJECT.
    case reject
    /// The requester sends CONNECT again after a rejection.
    case request

    public var description: String { rawValue }
}

/// A connection move the connection's state does not allow.
public struct ConnectionMoveError: Error, Sendable, Hashable {
    /// The state the connection was in.
    public var from: ConnectionState
    /// The move that was tried.
    public var attempted: ConnectionMove

    /// Records a refused move.
    public init(from: ConnectionState, attempted: ConnectionMove) {
        self.from = from
        self.attempted = attempted
    }

    /// The `command.error` text for the member who tried.
    public func commandError(ref: ConnectionID, line: String) -> CommandError {
        switch (from, attempted) {
        case (.accepted, _):
            CommandError(
                line: line, problem: "\(ref) is already accepted: you are connected.",
                remedy: "You can send referrals to each other with REFER L-n.")
        case (.rejected, .accept), (.rejected, .reject):
            CommandError(
                line: line, problem: "\(ref) was already rejected.",
                remedy: "To connect after all, send CONNECT with their email address.")
        case (.pending, .request):
            CommandError(
                line: line, problem: "\(ref) is already waiting for an answer.",
                remedy: "You will hear as soon as they reply ACCEPT or REJECT.")
        default:
            CommandError(
                line: line, problem: "\(ref) is \(from).", remedy: "Reply ACCEPT or REJECT to a connection request.")
        }
    }
}
