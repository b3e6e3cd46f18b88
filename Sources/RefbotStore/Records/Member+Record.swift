import GRDB
import RefbotCore

/// Read and written column by column: the `Codable` path costs several times as much, and a member
/// row is read for almost every mail.
extension Member: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "member"

    public init(row: Row) throws {
        try self.init(row: row, at: try row.positions(of: Self.orderedColumns, table: Self.databaseTableName))
    }

    /// Reads the row with column `orderedColumns[n]` at `p[n]`.
    private init(row: Row, at p: [Int]) throws {
        self.init(
            id: row[p[0]], email: "", name: row[p[2]], business: row[p[3]], category: row[p[4]], city: row[p[5]],
            website: row[p[6]], phone: row[p[7]], about: row[p[8]],
            state: try row.storedCase(at: p[9], column: "state", table: Self.databaseTableName),
            announcementsOff: row[p[10]], credits: row[p[11]], points: row[p[12]], bounceCount: row[p[13]],
            joinedAt: row[p[14]], confirmedAt: row[p[15]], leftAt: row[p[16]])
        // As stored (already normalised), not normalised again.
        email = row[p[1]]
        bounceStoppedAt = row[p[17]]
        suspendedAt = row[p[18]]
        suspendReason = row[p[19]]
        recognitionOff = row[p[20]]
    }

    /// Every stored column but `id`, in the order of ``storedValues``.
    static let storedColumns = [
        "email", "name", "business", "category", "city", "website", "phone", "about", "state", "announcementsOff",
        "credits", "points", "bounceCount", "joinedAt", "confirmedAt", "leftAt", "bounceStoppedAt", "suspendedAt",
        "suspendReason", "recognitionOff",
    ]

    /// `id`, then ``storedColumns``: the order ``init(row:at:)`` reads them in.
    static let orderedColumns = ["id"] + storedColumns
    /// Positions 0, 1, 2 … of ``orderedColumns``.
    private static let inOrder = Array(orderedColumns.indices)

    /// The values of ``storedColumns``.
    var storedValues: [(any DatabaseValueConvertible)?] {
        [
            email, name, business, category, city, website, phone, about, state.rawValue, announcementsOff, credits,
            points, bounceCount, joinedAt, confirmedAt, leftAt, bounceStoppedAt, suspendedAt, suspendReason,
            recognitionOff,
        ]
    }

    /// One statement that writes every stored column of the row with the given id.
    static let updateSQL = StoreLedger.updateSQL(table: databaseTableName, columns: storedColumns)
    /// One statement that inserts a new row with every stored column (SQLite picks the id).
    static let insertSQL = Database.insertSQL(table: databaseTableName, columns: storedColumns)

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        for (column, value) in zip(Self.storedColumns, storedValues) { container[column] = value }
    }
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension Connection: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "connection"
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension Follow: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "follow"
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension Agreement: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "agreement"
    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension Member: OrderedColumns {
    init(orderedRow row: Row) throws { try self.init(row: row, at: Self.inOrder) }
}
