import GRDB

/// Where the Sender notes each mail the SMTP server has accepted, the moment it accepts it,
/// before the next mail goes out on that session: a small SQLite file of its own beside the
/// database (`refbot.sqlite-sent`), so that a note is a one-page commit that never waits for the
/// database's writer. The Sender folds the notes into the outbox (``fold(into:_:)``: each row
/// marked sent) after each batch and before it sends anything, so the outbox is never read for
/// sending while a note is unfolded; a note that outlives a crash is folded at the next start.
///
/// A note names its row by id and Message-ID: a note whose row is gone or holds another mail (a
/// restored older database) is dropped, never applied to the wrong row. A note is an id, a
/// Message-ID and a time, deleted (its bytes overwritten) once folded.
///
/// ```swift
/// let log = try SentLog(path: SentLog.path(forDatabase: "/var/lib/refbot/refbot.sqlite"))
/// try log.note(outboxId: 42, messageId: "<a@b>", sentAt: now)
/// let folded = try await log.fold(into: store) { db, note in
///     try Outbox.markSent(note.outboxId, now: note.sentAt, in: db)
/// }
/// ```
///
/// Failure modes: a note that cannot be written throws, and the caller marks the row in the
/// database instead; a fold whose database write fails leaves every note in place for the next
/// one (applying a note twice is harmless: the caller skips rows already sent).
public final class SentLog: Sendable {
    /// One mail the server accepted.
    public struct Note: Sendable, Equatable {
        public let outboxId: Int64
        public let messageId: String
        public let sentAt: Int64

        public init(outboxId: Int64, messageId: String, sentAt: Int64) {
            self.outboxId = outboxId
            self.messageId = messageId
            self.sentAt = sentAt
        }
    }

    /// The log's file for the database at `path`: the same name with `-sent` added.
    public static func path(forDatabase path: String) -> String { path + "-sent" }

    let queue: DatabaseQueue

    /// Opens the log at `path`, creating it (owner-only, like the database's folder) when missing.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(Store.busyTimeoutSeconds)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A note's Message-ID can hold a member's address (a bounce notice's does, as in the
            // outbox): a folded note leaves no readable bytes in free pages, as in the database.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in
                // A note is a few dozen bytes: small pages keep each commit small. Takes effect on
                // a new, empty file only, before the log switches to WAL.
                try db.execute(sql: "PRAGMA page_size = 1024")
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: """
                    CREATE TABLE IF NOT EXISTS sentNote (
                      outboxId INTEGER PRIMARY KEY,
                      messageId TEXT NOT NULL,
                      sentAt INTEGER NOT NULL)
                    """)
            }
        } catch {
            throw StoreError(
                code: .open, message: "cannot open the sent log at \(path); check bot.database's folder and its permissions",
                cause: error)
        }
    }

    /// Notes that the server accepted the mail of outbox row `outboxId`; blocks the calling thread
    /// for one small commit.
    public func note(outboxId: Int64, messageId: String, sentAt: Int64) throws {
        // One statement is its own transaction: no BEGIN and COMMIT of GRDB's around it.
        try queue.writeWithoutTransaction { db in
            try db.executeCached(
                sql: "INSERT OR REPLACE INTO sentNote (outboxId, messageId, sentAt) VALUES (?, ?, ?)",
                arguments: [outboxId, messageId, sentAt])
        }
    }

    /// Every note not yet folded, oldest row first.
    public func notes() throws -> [Note] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT outboxId, messageId, sentAt FROM sentNote ORDER BY outboxId").map {
                Note(outboxId: $0[0], messageId: $0[1], sentAt: $0[2])
            }
        }
    }

    /// What a fold did: what `apply` returned for each note it applied, in order, and the notes
    /// dropped because their row is gone or holds another mail.
    public struct Folded<T: Sendable>: Sendable {
        public var applied: [T] = []
        public var dropped: [Note] = []
    }

    /// Applies every note to the database in one transaction of `store` (`apply` is called for
    /// each note whose row still holds that mail), then forgets them. Nothing is forgotten when
    /// the transaction fails.
    public func fold<T: Sendable>(
        into store: Store, _ apply: @escaping @Sendable (Database, Note) throws -> T
    ) async throws -> Folded<T> {
        let notes = try notes()
        guard !notes.isEmpty else { return Folded() }
        let folded = try await store.write { db -> Folded<T> in
            var folded = Folded<T>()
            for note in notes {
                let holds = try Bool.fetchOne(
                    cached: db, sql: "SELECT EXISTS (SELECT 1 FROM outboxMessage WHERE id = ? AND messageId = ?)",
                    arguments: [note.outboxId, note.messageId]) ?? false
                if holds { folded.applied.append(try apply(db, note)) } else { folded.dropped.append(note) }
            }
            return folded
        }
        try await queue.write { db in
            for note in notes {
                try db.executeCached(
                    sql: "DELETE FROM sentNote WHERE outboxId = ? AND messageId = ? AND sentAt = ?",
                    arguments: [note.outboxId, note.messageId, note.sentAt])
            }
        }
        return folded
    }
}
