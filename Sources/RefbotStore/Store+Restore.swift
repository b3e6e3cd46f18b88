import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Store {
    /// Checks that `path` is a refbot database this binary can use: SQLite's `integrity_check`
    /// passes, it has refbot's migration table with at least one migration this binary knows, and
    /// none it does not. Reads only. Returns its migration state; throws ``StoreError`` saying what
    /// is wrong.
    public static func verifyRestorable(path: String) throws -> DatabaseMigrationState {
        guard access(path, R_OK) == 0 else {
            throw StoreError(code: .open, message: "cannot read \(path) (\(String(cString: strerror(errno))))")
        }
        var configuration = Configuration()
        configuration.readonly = true
        let result: (String, DatabaseMigrationState?)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            result = try queue.read { db in
                let check = try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ")
                guard check == "ok" else { return (check, nil) }
                guard try db.tableExists("grdb_migrations") else { return ("ok", nil) }
                return ("ok", try migrationState(db))
            }
        } catch {
            throw StoreError(code: .open, message: "\(path) is not an SQLite database refbot can read", cause: error)
        }
        guard result.0 == "ok" else {
            throw StoreError(code: .invalidState, message: "\(path) is damaged: SQLite's integrity check says \(result.0)")
        }
        guard let state = result.1, !state.applied.isEmpty else {
            throw StoreError(code: .invalidState, message: "\(path) is an SQLite database but not a refbot database (it has none of refbot's migrations)")
        }
        guard !state.isNewer else {
            throw StoreError(
                code: .newerDatabase,
                message: "\(path) comes from a newer refbot (schema version \(state.version); this refbot knows up to "
                    + "\(state.binaryVersion)); restore it with that version")
        }
        return state
    }

    /// Copies the SQLite database at `source` (read-only; its write-ahead log included) to a new
    /// file `destination`, created 0600, with SQLite's backup API. An existing destination is refused.
    public static func copyDatabase(from source: String, to destination: String) throws {
        var configuration = Configuration()
        configuration.readonly = true
        let from: DatabaseQueue
        do {
            from = try DatabaseQueue(path: source, configuration: configuration)
        } catch {
            throw StoreError(code: .open, message: "cannot open \(source)", cause: error)
        }
        try createPrivateFile(destination, named: destination)
        do {
            let to = try DatabaseQueue(path: destination)
            try from.backup(to: to)
        } catch {
            unlink(destination)
            throw StoreError(code: .open, message: "cannot copy \(source) to \(destination)", cause: error)
        }
    }

    /// Who has the database at `path` open, as far as can be told from outside, or nil when nobody
    /// seems to: a process holding `<database>.run-lock` (the daemon's single-instance lock), a
    /// connection in write-ahead-log mode (its read lock on the `-shm` file, which names the
    /// process), or a connection holding a write lock (SQLite answers busy at once).
    public static func openedBy(path: String) -> String? {
        let runLock = path + ".run-lock"
        let lockDescriptor = open(runLock, O_RDONLY | O_CLOEXEC)
        if lockDescriptor >= 0 {
            defer { close(lockDescriptor) }
            if flock(lockDescriptor, LOCK_SH | LOCK_NB) != 0, errno == EWOULDBLOCK {
                return "a refbot daemon holds \(runLock)"
            }
            flock(lockDescriptor, LOCK_UN)
        }
        // SQLite's unix VFS keeps a shared fcntl lock on byte 128 of the -shm file (its
        // "dead man switch") for as long as a connection has a WAL database open.
        let shm = path + "-shm"
        let shmDescriptor = open(shm, O_RDWR | O_CLOEXEC)
        if shmDescriptor >= 0 {
            defer { close(shmDescriptor) }
            var probe = flock()
            probe.l_type = Int16(F_WRLCK)
            probe.l_whence = Int16(SEEK_SET)
            probe.l_start = 128
            probe.l_len = 1
            if fcntl(shmDescriptor, F_GETLK, &probe) == 0, probe.l_type != Int16(F_UNLCK) {
                return "process \(probe.l_pid) has it open"
            }
        }
        guard access(path, F_OK) == 0 else { return nil }
        do {
            var configuration = Configuration()
            configuration.busyMode = .immediateError
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.inDatabase { db in
                try db.execute(sql: "BEGIN EXCLUSIVE")
                try db.execute(sql: "ROLLBACK")
            }
        } catch let error as DatabaseError where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode) {
            return "another connection holds a lock on it"
        } catch {
            return nil
        }
        return nil
    }
}
