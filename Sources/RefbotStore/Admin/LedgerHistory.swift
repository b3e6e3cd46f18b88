import GRDB
import RefbotCore

/// The history of the ledger's changes ("v13: member admin"): one `ledgerEvent` row per change.
///
/// Triggers write a row for each referral created, moved or disputed; the admin tools write the
/// member changes they make. Whoever made a change stamps the rows of its transaction with who and
/// how (``stamp(actor:method:inboundId:after:in:)``, after the ``mark(in:)`` taken when its
/// transaction began): the Processor with the sender and `mail` or `link`,
/// the admin CLI with `admin`, the Scheduler with `schedule`.
///
/// ```swift
/// try store.write { db in
///     let mark = try LedgerHistory.mark(in: db)
///     … handler moves R-7 …
///     try LedgerHistory.stamp(actor: "ann@example.org", method: .mail, inboundId: 12, after: mark, in: db)
/// }
/// let events = try store.read { db in try LedgerHistory.events(ref: "R-7", in: db) }
/// ```
public enum LedgerHistory {
    /// How a change was made.
    public enum Method: String, Sendable, CaseIterable {
        /// A command by mail.
        case mail
        /// A one-click link.
        case link
        /// `refbot admin …` at the server.
        case admin
        /// The scheduler (reminders, expiry).
        case schedule
    }

    /// One change.
    public struct Event: Sendable, Equatable {
        public var id: Int64
        /// `R-7`, `M-3`, …
        public var ref: String
        /// `created`, `state`, `disputed`, `suspended`, `resumed`, `address changed`, `bounces reset`.
        public var action: String
        public var fromState: String?
        public var toState: String?
        public var at: Int64
        /// The address that made the change; `nil` when nobody stamped it.
        public var actor: String?
        public var method: Method?
        public var inboundId: Int64?
        public var detail: String?
    }

    /// The newest history row now: take it at the start of a transaction, and stamp after it.
    public static func mark(in db: Database) throws -> Int64 {
        try Int64.fetchOne(cached: db, sql: "SELECT coalesce(max(id), 0) FROM ledgerEvent") ?? 0
    }

    /// Stamps the changes written since `mark` (in the caller's transaction) that have no author
    /// yet. Rows an unstamping path left earlier keep no author rather than a wrong one.
    public static func stamp(actor: String, method: Method, inboundId: Int64?, after mark: Int64, in db: Database) throws {
        try db.executeCached(
            sql: "UPDATE ledgerEvent SET actor = ?, method = ?, inboundId = ? WHERE method IS NULL AND id > ?",
            arguments: [actor, method.rawValue, inboundId, mark])
    }

    /// Records a change the caller made itself (member changes by the admin tools).
    public static func record(
        ref: String, action: String, fromState: String? = nil, toState: String? = nil, at: Int64, actor: String,
        method: Method, detail: String?, in db: Database
    ) throws {
        try db.executeCached(
            sql: """
                INSERT INTO ledgerEvent (ref, action, fromState, toState, at, actor, method, detail)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [ref, action, fromState, toState, at, actor, method.rawValue, detail])
    }

    /// Every change of one object, oldest first.
    public static func events(ref: String, in db: Database) throws -> [Event] {
        try Row.fetchAll(cached: db, sql: "SELECT * FROM ledgerEvent WHERE ref = ? ORDER BY at, id", arguments: [ref]).map { row in
            Event(
                id: row["id"], ref: row["ref"], action: row["action"], fromState: row["fromState"], toState: row["toState"],
                at: row["at"], actor: row["actor"], method: (row["method"] as String?).flatMap(Method.init(rawValue:)),
                inboundId: row["inboundId"], detail: row["detail"])
        }
    }

    /// The member ref used in the history: `M-<row id>`.
    public static func memberRef(_ id: Int64) -> String { "M-\(id)" }
}
