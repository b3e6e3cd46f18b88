import GRDB
import RefbotCore

extension StoreLedger {
    public func connection(id: Int64) throws -> Connection? {
        try Connection.fetchOne(db, key: id)
    }

    public func connection(from requesterId: Int64, to addresseeId: Int64) throws -> Connection? {
        try Connection.filter(Column("requesterId") == requesterId && Column("addresseeId") == addresseeId).fetchOne(db)
    }

    /// Saves the connection; once answered, the addressee's ACCEPT/REJECT tags die.
    public func save(_ connection: inout Connection) throws {
        try connection.save(db)
        if connection.state != .pending, let ref = connection.connectionID {
            try revokeReplyTags(ref: ref.description, keeping: [], at: connection.decidedAt ?? connection.createdAt)
        }
    }

    public func connectRequestCount(by requesterId: Int64, since: Int64) throws -> Int {
        try Connection.filter(Column("requesterId") == requesterId && Column("createdAt") >= since).fetchCount(db)
    }

    public func pendingConnections(to addresseeId: Int64) throws -> [Connection] {
        try Connection.filter(Column("addresseeId") == addresseeId && Column("state") == ConnectionState.pending.rawValue)
            .order(Column("id")).fetchAll(db)
    }
}
