import GRDB
import RefbotCore

extension Member: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "member"
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
