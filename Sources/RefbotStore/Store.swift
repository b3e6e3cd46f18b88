import GRDB
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// refbot's SQLite database: WAL, a busy timeout, foreign keys, migrations on open.
///
/// Every state change and the mail it causes are written in one ``write(_:)`` transaction.
///
/// ```swift
/// let store = try Store(path: "/var/lib/refbot/refbot.sqlite")
/// try await store.write { db in
///     try InboundQueue.markDone(id, disposition: "help", now: now, in: db)
///     try Outbox.enqueue(message, now: now, in: db)
/// }
/// ```
///
/// Failure modes: a database locked by another process waits up to ``busyTimeoutSeconds`` and
/// then throws `SQLITE_BUSY`, which callers treat as temporary; a full disk throws `SQLITE_FULL`
/// and rolls the transaction back, so nothing is half-written.
public final class Store: Sendable {
    /// How long a write waits for another process's lock before failing.
    public static let busyTimeoutSeconds: Double = 10

    /// The GRDB pool; readers run beside the one writer.
    public let pool: DatabasePool

    /// The copy of the database written before this open migrated it (`refbot.sqlite.pre-v12`),
    /// or nil when nothing needed migrating.
    public let preMigrationBackup: String?

    /// ``writeBlocking(_:)`` callers waiting for the writer.
    private let blockingWriters = Atomic<Int>(0)

    /// Opens (creating when missing) and migrates the database at `path`.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(Store.busyTimeoutSeconds)
        configuration.foreignKeysEnabled = true
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Purged mail, erased people, revoked rows and migrated clear tags leave no readable bytes in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        try Store.refuseNewerDatabase(path: path)
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError(
                code: .open, message: "cannot open the database at \(path); check bot.database and its folder's permissions",
                cause: error)
        }
        do {
            // Two processes opening a database that needs migrating (the daemon starting while an
            // admin command runs) would each see the same migrations pending and run them twice:
            // GRDB checks what is applied outside the migrations' own transactions. One process
            // migrates at a time.
            let lock = MigrationLock(databasePath: path)
            defer { lock.release() }
            preMigrationBackup = try Store.prepareUpgrade(pool, path: path) { target in
                try Store.backup(pool, to: target)
            }
            try Migrations.migrator.migrate(pool)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(code: .migrate, message: "cannot bring the database at \(path) up to date", cause: error)
        }
        self.pool = pool
    }

    /// Runs `body` in one write transaction.
    public func write<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try await pool.write(body)
    }

    /// Runs `body` in one write transaction whose commit is on disk when this returns: the log is
    /// synced at the commit (`synchronous = FULL` for this one transaction), where ordinary commits
    /// (`NORMAL`) survive a killed process but not a power loss. For a commit that something outside
    /// the database then relies on, such as inbound mail stored before the IMAP server is told to
    /// move it away: one fsync per fetched batch.
    public func writeDurably<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try await pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
            defer { try? db.execute(sql: "PRAGMA synchronous = NORMAL") }
            var result: T?
            try db.inTransaction {
                result = try body(db)
                return .commit
            }
            guard let result else { throw StoreError(code: .invalidState, message: "a durable write returned nothing") }
            return result
        }
    }

    /// Runs `body` in one write transaction, blocking the calling thread (never call it from the
    /// cooperative pool; it is for callbacks on transport threads). While it waits for the writer,
    /// ``blockingWriterWaiting`` is true, and a long batch (the Processor's) ends early to let it in:
    /// the Sender records each mail before the next goes out on its session, so its session waits
    /// on this.
    public func writeBlocking<T>(_ body: (Database) throws -> T) throws -> T {
        blockingWriters.add(1, ordering: .relaxed)
        var waiting = true
        defer { if waiting { blockingWriters.subtract(1, ordering: .relaxed) } }
        return try pool.write { db in
            blockingWriters.subtract(1, ordering: .relaxed)
            waiting = false
            return try body(db)
        }
    }

    /// Whether a ``writeBlocking(_:)`` caller is waiting for the writer.
    public var blockingWriterWaiting: Bool { blockingWriters.load(ordering: .relaxed) > 0 }

    /// Runs `body` against a consistent snapshot.
    public func read<T: Sendable>(_ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Copies the write-ahead log into the database file and empties it, so changed pages (an
    /// erasure) leave no older copy behind in the log. Waits for readers; fails when one holds on.
    public func checkpoint() throws {
        try pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }

    /// Copies the whole database to `path` with SQLite's online backup, while others keep using it.
    ///
    /// The file is created readable by its owner only (0600), whatever the umask: it holds every
    /// member's and customer's details. An existing file is refused.
    public func backup(to path: String, progress: (@Sendable (Int, Int) -> Void)? = nil) throws {
        try Store.backup(pool, to: path, progress: progress)
    }

    static func backup(_ pool: DatabasePool, to path: String, progress: (@Sendable (Int, Int) -> Void)? = nil) throws {
        try createPrivateFile(path, named: "the backup file \(path)")
        let destination = try DatabaseQueue(path: path)
        try pool.backup(to: destination, pagesPerStep: 256) { backupProgress in
            progress?(backupProgress.completedPageCount, backupProgress.totalPageCount)
        }
    }

    /// Creates the empty file `path`, readable by its owner only (0600) whatever the umask; an
    /// existing file is refused. `name` says what it is in the error.
    static func createPrivateFile(_ path: String, named name: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw StoreError(code: .open, message: "cannot create \(name) (\(String(cString: strerror(errno))))")
        }
        let changed = fchmod(descriptor, 0o600)
        close(descriptor)
        guard changed == 0 else {
            throw StoreError(code: .open, message: "cannot make \(name) private (\(String(cString: strerror(errno))))")
        }
    }

    /// Whether `error` is one the database gets over by itself: another process holds the lock
    /// (`SQLITE_BUSY`, `SQLITE_LOCKED`), the disk is full (`SQLITE_FULL`) or an I/O error
    /// (`SQLITE_IOERR`, `SQLITE_CANTOPEN`, as a full disk can give). The work that failed was rolled back and should be
    /// tried again later, not counted against the mail or row it was for.
    public static func isTemporary(_ error: any Error) -> Bool {
        guard let error = error as? DatabaseError else { return false }
        return [ResultCode.SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN]
            .contains(error.resultCode)
    }

    /// The names of every migration this version of refbot knows, oldest first.
    public static var migrationNames: [String] { Migrations.migrator.migrations }

    /// The names of the applied migrations, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Migrations.migrator.appliedMigrations(db) }
    }
}

/// An exclusive `flock` on `<database>.migrate-lock` while the schema is brought up to date, so
/// that processes opening the same database migrate one after the other. Never on the database
/// file itself: closing another descriptor of that file would drop SQLite's own locks. Without
/// the lock file (a read-only folder), migration goes ahead unlocked.
struct MigrationLock {
    private let descriptor: Int32

    init(databasePath: String) {
        let fd = open(databasePath + ".migrate-lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o600)
        if fd >= 0 {
            while flock(fd, LOCK_EX) != 0, errno == EINTR {}
        }
        descriptor = fd
    }

    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
