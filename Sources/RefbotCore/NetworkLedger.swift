/// Connections between members.
public protocol NetworkLedger {
    /// Whether the two members have an accepted connection, in either direction.
    func areConnected(_ a: Int64, _ b: Int64) throws -> Bool
}
