import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a database file holds, read without migrating or writing it: which of this binary's
/// migrations it has applied, which are pending, and any it has that this binary does not know.
public struct DatabaseMigrationState: Sendable, Equatable {
    /// Every migration this binary knows, oldest first.
    public var known: [String]
    /// The known migrations the database has applied, oldest first.
    public var applied: [String]
    /// Migrations the database has applied that this binary does not know: it was migrated by a
    /// newer refbot.
    public var unknown: [String]

    /// The known migrations the database has not applied yet, oldest first.
    public var pending: [String] { known.filter { !applied.contains($0) } }

    /// Whether a newer refbot has migrated the database.
    public var isNewer: Bool { !unknown.isEmpty }

    /// The schema version of a migration: the number in its name (`v12: verp bounces and probes`
    /// is 12), or else its position among the known migrations, counting from 1.
    public static func version(of migration: String, known: [String] = Store.migrationNames) -> Int? {
        if migration.hasPrefix("v"), let number = Int(migration.dropFirst().prefix { $0.isNumber }) {
            return number
        }
        return known.firstIndex(of: migration).map { $0 + 1 }
    }

    /// The schema version of the database: that of the newest migration it has applied (0 for none).
    public var version: Int {
        (unknown.compactMap { Self.version(of: $0, known: known) } + applied.compactMap { Self.version(of: $0, known: known) })
            .max() ?? 0
    }

    /// The newest schema version this binary knows.
    public var binaryVersion: Int { known.last.flatMap { Self.version(of: $0, known: known) } ?? 0 }
}

extension Store {
    /// The pre-migration backup of the database at `path` when its newest applied migration is
    /// version `version`: `refbot.sqlite.pre-v12`.
    public static func preMigrationBackupPath(forDatabase path: String, version: Int) -> String {
        "\(path).pre-v\(version)"
    }

    /// Reads which migrations the database at `path` has applied, opening it read-only: nothing is
    /// migrated or written. Throws ``StoreError`` with code `.open` when it is not an SQLite database.
    public static func migrationState(path: String) throws -> DatabaseMigrationState {
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(Store.busyTimeoutSeconds)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            return try queue.read { db in try migrationState(db) }
        } catch {
            throw StoreError(code: .open, message: "cannot read \(path) as a refbot database", cause: error)
        }
    }

    static func migrationState(_ db: Database) throws -> DatabaseMigrationState {
        let migrator = Migrations.migrator
        let known = migrator.migrations
        let all = try migrator.appliedIdentifiers(db)
        return DatabaseMigrationState(
            known: known, applied: try migrator.appliedMigrations(db),
            unknown: all.filter { !known.contains($0) }.sorted())
    }

    /// Refuses a database a newer refbot has migrated before anything opens it for writing (opening
    /// a pool alone writes to a WAL database). A file that cannot be read this way is left to the
    /// normal open, which reports it.
    static func refuseNewerDatabase(path: String) throws {
        guard access(path, F_OK) == 0, let state = try? migrationState(path: path), state.isNewer else { return }
        throw newerDatabaseError(path: path, state: state)
    }

    static func newerDatabaseError(path: String, state: DatabaseMigrationState) -> StoreError {
        StoreError(
            code: .newerDatabase,
            message: "the database at \(path) is at schema version \(state.version) "
                + "(it has \(state.unknown.joined(separator: ", "))), but this refbot knows versions up to "
                + "\(state.binaryVersion); a newer refbot has used it. Install that version again, or restore "
                + "the copy taken before that upgrade (\(path).pre-v\(state.binaryVersion)) or a file from "
                + "refbot admin backup with refbot admin restore. The database was not changed.")
    }

    /// Runs before migrating, under the migration lock: refuses a database a newer refbot has
    /// migrated (it is neither migrated nor written), and copies a database that has migrations to
    /// apply to ``preMigrationBackupPath(forDatabase:version:)`` first. A new, empty database needs
    /// no copy. Returns the copy's path when one was written.
    static func prepareUpgrade(_ pool: DatabasePool, path: String, backup: (String) throws -> Void) throws -> String? {
        let state = try pool.read { db in try migrationState(db) }
        if state.isNewer { throw newerDatabaseError(path: path, state: state) }
        guard !state.applied.isEmpty, !state.pending.isEmpty else { return nil }
        var target = preMigrationBackupPath(forDatabase: path, version: state.version)
        var attempt = 1
        while access(target, F_OK) == 0 {
            // An earlier start at this version made a copy and then failed to migrate: keep it.
            attempt += 1
            target = preMigrationBackupPath(forDatabase: path, version: state.version) + ".\(attempt)"
        }
        do {
            try backup(target)
        } catch {
            unlink(target)  // a part-written copy; the name was free before
            throw StoreError(
                code: .migrate,
                message: "cannot write the backup \(target) that is taken before migrating; nothing was migrated. "
                    + "Make room in (or write access to) the database's folder and start again",
                cause: error)
        }
        return target
    }
}
