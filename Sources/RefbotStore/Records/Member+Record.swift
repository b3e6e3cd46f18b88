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
            state: try Self.state(row["state"]), announcementsOff: row["announcementsOff"], credits: row["credits"],
            points: row["points"], bounceCount: row["bounceCount"], joinedAt: row["joinedAt"],
            confirmedAt: row["confirmedAt"], leftAt: row["leftAt"])
        // As stored (already normalised), not normalised again.
        email = row["email"]
        bounceStoppedAt = row["bounceStoppedAt"]
        suspendedAt = row["suspendedAt"]
        suspendReason = row["suspendReason"]
        recognitionOff = row["recognitionOff"]
    }

    private static func state(_ raw: String) throws -> MemberState {
        guard let state = MemberState(rawValue: raw) else {
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "member state '\(raw)' is not one refbot knows")
        }
        return state
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["email"] = email
        container["name"] = name
        container["business"] = business
        container["category"] = category
        container["city"] = city
        container["website"] = website
        container["phone"] = phone
        container["about"] = about
        container["state"] = state.rawValue
        container["announcementsOff"] = announcementsOff
        container["credits"] = credits
        container["points"] = points
        container["bounceCount"] = bounceCount
        container["joinedAt"] = joinedAt
        container["confirmedAt"] = confirmedAt
        container["leftAt"] = leftAt
        container["bounceStoppedAt"] = bounceStoppedAt
        container["suspendedAt"] = suspendedAt
        container["suspendReason"] = suspendReason
        container["recognitionOff"] = recognitionOff
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
