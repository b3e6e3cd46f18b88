import Foundation
import GRDB

/// A rendered mail waiting for, or past, SMTP delivery.
public struct OutboxMessage: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    /// Where an outbound mail stands.
    public enum State: String, Codable, Sendable, DatabaseValueConvertible {
        /// Waiting to be sent, now or at `nextAttemptAt`.
        case pending
        /// The SMTP server accepted it.
        case sent
        /// Given up on: a permanent refusal, or `smtp.give_up_hours` passed.
        case failed
    }

    public static let databaseTableName = "outboxMessage"

    public var id: Int64?
    /// The `X-Refbot-Event` of the mail.
    public var event: String
    public var ref: String?
    /// Envelope recipients, one per line.
    public var recipients: String
    /// The VERP envelope sender, made from the row's id (``Outbox/enqueue(_:envelopeFrom:in:)``).
    public var envelopeFrom: String
    /// Without angle brackets; stable across retries so a receiver can collapse a duplicate.
    public var messageId: String
    public var raw: Data
    public var state: State
    public var attempts: Int
    public var firstQueuedAt: Int64
    public var nextAttemptAt: Int64
    public var lastError: String?
    public var sentAt: Int64?
    /// The inbound mail that caused this one, if any.
    public var inboundId: Int64?

    public init(
        event: String, ref: String?, recipients: [String], messageId: String, raw: Data, queuedAt: Int64,
        inboundId: Int64? = nil
    ) {
        self.event = event
        self.ref = ref
        self.recipients = recipients.joined(separator: "\n")
        self.envelopeFrom = ""
        self.messageId = messageId
        self.raw = raw
        self.state = .pending
        self.attempts = 0
        self.firstQueuedAt = queuedAt
        self.nextAttemptAt = queuedAt
        self.inboundId = inboundId
    }

    /// The envelope recipients as a list.
    public var recipientList: [String] {
        recipients.split(separator: "\n").map(String.init)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }

    // Read and written column by column: the `Codable` path costs several times as much, and every
    // mail refbot sends is written once and read at least once.

    public init(row: Row) throws {
        id = row["id"]
        event = row["event"]
        ref = row["ref"]
        recipients = row["recipients"]
        envelopeFrom = row["envelopeFrom"]
        messageId = row["messageId"]
        raw = row["raw"]
        state = try row.storedCase("state", table: Self.databaseTableName)
        attempts = row["attempts"]
        firstQueuedAt = row["firstQueuedAt"]
        nextAttemptAt = row["nextAttemptAt"]
        lastError = row["lastError"]
        sentAt = row["sentAt"]
        inboundId = row["inboundId"]
    }

    /// Every stored column but `id`, in the order of ``storedValues``.
    static let storedColumns = [
        "event", "ref", "recipients", "envelopeFrom", "messageId", "raw", "state", "attempts", "firstQueuedAt",
        "nextAttemptAt", "lastError", "sentAt", "inboundId",
    ]

    /// The values of ``storedColumns``.
    var storedValues: [(any DatabaseValueConvertible)?] {
        [
            event, ref, recipients, envelopeFrom, messageId, raw, state.rawValue, attempts, firstQueuedAt,
            nextAttemptAt, lastError, sentAt, inboundId,
        ]
    }

    /// One statement that inserts a row with its id and every stored column.
    static let insertSQL = "INSERT INTO outboxMessage (id, " + storedColumns.joined(separator: ", ") + ") VALUES (?"
        + String(repeating: ", ?", count: storedColumns.count) + ")"

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        for (column, value) in zip(Self.storedColumns, storedValues) { container[column] = value }
    }

    public enum Columns {
        public static let id = Column("id")
        public static let state = Column("state")
        public static let attempts = Column("attempts")
        public static let nextAttemptAt = Column("nextAttemptAt")
        public static let event = Column("event")
    }
}
