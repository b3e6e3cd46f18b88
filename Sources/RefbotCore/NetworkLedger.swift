/// Connections between members.
public protocol NetworkLedger {
    /// Whether the two members have an accepted connection, in either direction.
    func areConnected(_ a: Int64, _ b: Int64) throws -> Bool
    /// The connection with this id, if any.
    func connection(id: Int64) throws -> Connection?
    /// The connection `requesterId` asked `addresseeId` for, in that direction, if any.
    func connection(from requesterId: Int64, to addresseeId: Int64) throws -> Connection?
    /// Inserts the connection (setting its id) or updates it.
    func save(_ connection: inout Connection) throws
    /// How many connection requests the member has sent since `since` (Unix seconds).
    func connectRequestCount(by requesterId: Int64, since: Int64) throws -> Int
    /// Connection requests waiting on the member's answer, oldest first.
    func pendingConnections(to addresseeId: Int64) throws -> [Connection]
}
