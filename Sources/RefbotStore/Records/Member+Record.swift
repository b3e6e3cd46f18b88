import GRDB
import RefbotCore

/// Read and written column by column: the `Codable` path costs several times as much, and a member
/// row is read for almost every mail.
extension Member: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "member"

    public init(row: Row) throws {
        self.init(
            id: row["id"], email: "", name: row["name"], business: row["business"], category: row["category"],
            city: row["city"], website: row["website"], phone: row["phone"], about: row["about"],
            state: try row.storedCase("state", table: Self.databaseTableName),
            announcementsOff: row["announcementsOff"], credits: row["credits"], points: row["points"],
            bounceCount: row["bounceCount"], joinedAt: row["joinedAt"], confirmedAt: row["confirmedAt"],
            leftAt: row["leftAt"])
        // As stored (already normalised), not normalised again.
        email = row["email"]
        bounceStoppedAt = row["bounceStoppedAt"]
        suspendedAt = row["suspendedAt"]
        suspendReason = row["suspendReason"]
        recognitionOff = row["recognitionOff"]
    }

    /// Every stored column but `id`, in the order of ``storedValues``.
    static let storedColumns = [
        "email", "name", "business", "category", "city", "website", "phone", "about", "state", "announcementsOff",
        "credits", "points", "bounceCount", "joinedAt", "confirmedAt", "leftAt", "bounceStoppedAt", "suspendedAt",
        "suspendReason", "recognitionOff",
    ]

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
