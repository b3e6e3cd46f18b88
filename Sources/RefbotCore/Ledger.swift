/// The state a command handler reads and changes, inside the one transaction that also queues
/// the mail the change causes. `RefbotStore` implements it over SQLite; tests use an in-memory one.
public protocol Ledger {
    /// Whether the address belongs to an active member.
    func isMember(_ address: String) throws -> Bool
}
