import GRDB
import RefbotCore

/// The ``Ledger`` over SQLite, used inside one write transaction.
public struct StoreLedger: Ledger {
    let db: Database

    public init(_ db: Database) { self.db = db }

    public func isMember(_ address: String) throws -> Bool { false }
}
