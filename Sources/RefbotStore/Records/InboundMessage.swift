import Foundation
import GRDB

/// A mail fetched from IMAP, stored before it is acted on.
public struct InboundMessage: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    /// Where a stored inbound mail stands.
    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        /// Stored, not yet acted on.
        case received
        /// Acted on: a command ran, or an answer was queued.
        case done
        /// Deliberately not answered (an auto-reply, a bounce, our own mail, a rate limit).
        case ignored
        /// Could not be handled; an admin should look at it.
        case quarantined
    }

    public static let databaseTableName = "inboundMessage"

    public var id: Int64?
    public var uidValidity: Int64
    public var uid: Int64
    public var messageId: String?
    public var raw: Data
    public var state: State
    public var attempts: Int
    public var lastError: String?
    /// What was decided: the rule that ignored it, or the command that ran.
    public var disposition: String?
    public var receivedAt: Int64
    public var processedAt: Int64?
    /// The IMAP folder the original was filed into, and its UID there when the server said.
    public var filedFolder: String?
    public var filedUid: Int64?
    /// Whether a quarantined mail has been moved to the quarantine folder.
    public var quarantineFiled: Bool

    public init(uidValidity: Int64, uid: Int64, messageId: String?, raw: Data, receivedAt: Int64) {
        self.uidValidity = uidValidity
        self.uid = uid
        self.messageId = messageId
        self.raw = raw
        self.state = .received
        self.attempts = 0
        self.receivedAt = receivedAt
        self.quarantineFiled = false
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    // Read and written column by column: the `Codable` path costs several times as much.

    public init(row: Row) throws {
        id = row["id"]
        uidValidity = row["uidValidity"]
        uid = row["uid"]
        messageId = row["messageId"]
        raw = row["raw"]
        state = try row.storedCase("state", table: Self.databaseTableName)
        attempts = row["attempts"]
        lastError = row["lastError"]
        disposition = row["disposition"]
        receivedAt = row["receivedAt"]
        processedAt = row["processedAt"]
        filedFolder = row["filedFolder"]
        filedUid = row["filedUid"]
        quarantineFiled = row["quarantineFiled"]
    }

    /// Every stored column but `id`, in the order of ``storedValues``.
    static let storedColumns = [
        "uidValidity", "uid", "messageId", "raw", "state", "attempts", "lastError", "disposition", "receivedAt",
        "processedAt", "filedFolder", "filedUid", "quarantineFiled",
    ]

    /// The values of ``storedColumns``.
    var storedValues: [(any DatabaseValueConvertible)?] {
        [
            uidValidity, uid, messageId, raw, state.rawValue, attempts, lastError, disposition, receivedAt,
            processedAt, filedFolder, filedUid, quarantineFiled,
        ]
    }

    /// One statement that inserts a new row with every stored column (SQLite picks the id).
    static let insertSQL = Database.insertSQL(table: databaseTableName, columns: storedColumns)

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        for (column, value) in zip(Self.storedColumns, storedValues) { container[column] = value }
    }

    public enum Columns {
        public static let id = Column("id")
        public static let uidValidity = Column("uidValidity")
        public static let uid = Column("uid")
        public static let messageId = Column("messageId")
        public static let raw = Column("raw")
        public static let state = Column("state")
        public static let quarantineFiled = Column("quarantineFiled")
        public static let filedFolder = Column("filedFolder")
    }
}

