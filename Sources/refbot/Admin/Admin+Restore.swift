import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

extension Admin {
    /// `refbot admin restore FILE`: puts a backup in place of the database, with the daemon stopped.
    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "Replace the database with a backup FILE (stop the daemon first).",
            discussion: """
                FILE must be a refbot database: SQLite's integrity check must pass and it must hold \
                no migration this refbot does not know (an older one is fine: the next start \
                migrates it, after copying it to <database>.pre-v<N>). The current database is kept \
                as <database>.before-restore. When FILE.secret exists (written by `refbot admin \
                backup`), it replaces the link secret (bot.secret_file), whose current content is \
                kept as <secret>.before-restore.

                Refused while anything has the database open: the daemon (its lock file \
                <database>.run-lock, or SQLite's shared memory file <database>-shm held by a \
                process), or any connection holding a lock. Stop the service first, e.g. \
                `systemctl stop refbot`.
                """)

        @OptionGroup var options: ConfigOptions

        @Argument(help: ArgumentHelp("The backup to restore, as written by `refbot admin backup`.", valueName: "file"))
        var file: String

        func run() async throws {
            let configuration = try options.load()
            let database = configuration.bot.database
            let state: DatabaseMigrationState
            do {
                state = try Store.verifyRestorable(path: file)
            } catch {
                printError("error: \(error). Nothing was changed.")
                throw ExitCode(65)
            }
            if let holder = Store.openedBy(path: database) {
                printError(
                    "error: \(database) is in use (\(holder)); stop the daemon first (systemctl stop refbot) "
                        + "and run this again. Nothing was changed.")
                throw ExitCode(75)
            }
            // Hold the daemon's single-instance lock while restoring, so that it cannot start meanwhile.
            let lock = RunLock(databasePath: database)
            guard lock.held else {
                printError("error: \(database) is in use (a refbot daemon holds \(database).run-lock); stop it first. Nothing was changed.")
                throw ExitCode(75)
            }
            defer { lock.release() }

            let manager = FileManager.default
            var kept: String?
            if manager.fileExists(atPath: database) {
                let before = Self.freeName(database + ".before-restore")
                do {
                    try Store.copyDatabase(from: database, to: before)
                } catch {
                    printError("error: cannot keep the current database as \(before): \(error). Nothing was changed.")
                    throw ExitCode(74)
                }
                kept = before
            }
            let staging = database + ".restoring"
            unlink(staging)
            do {
                try Store.copyDatabase(from: file, to: staging)
            } catch {
                printError("error: \(error). Nothing was changed.")
                throw ExitCode(74)
            }
            let staged = open(staging, O_RDONLY | O_CLOEXEC)
            if staged >= 0 {
                PrivateFile.matchOwner(staged, of: database)
                fsync(staged)
                close(staged)
            }
            // The old database's log and shared memory must not be applied to the restored file.
            unlink(database + "-wal")
            unlink(database + "-shm")
            guard rename(staging, database) == 0 else {
                printError("error: cannot move \(staging) to \(database): \(String(cString: strerror(errno)))")
                throw ExitCode(74)
            }
            print("Restored \(file) to \(database) (schema version \(state.version)).")
            if let kept { print("The database it replaced is kept as \(kept).") }
            if !state.pending.isEmpty {
                print("The next start applies \(state.pending.count) migration(s), after copying it to "
                    + "\(Store.preMigrationBackupPath(forDatabase: database, version: state.version)).")
            }

            let savedSecret = SecretCopy.path(besideBackup: file)
            let secret = configuration.bot.secretFile
            guard manager.fileExists(atPath: savedSecret) else {
                print("No \(savedSecret) beside the backup: the link secret \(secret) was left as it is. "
                    + "Links in mail sent before the backup work only with the secret of that time.")
                return
            }
            if manager.fileExists(atPath: secret) {
                let before = Self.freeName(secret + ".before-restore")
                do {
                    try PrivateFile.copy(from: secret, to: before, ownedLike: secret)
                } catch {
                    printError("error: the database was restored, but the link secret was not: cannot keep \(secret) as \(before) (\(error)). Copy \(savedSecret) to \(secret) by hand.")
                    throw ExitCode(74)
                }
                print("The link secret it replaced is kept as \(before).")
            }
            let stagedSecret = secret + ".restoring"
            unlink(stagedSecret)
            do {
                try PrivateFile.copy(from: savedSecret, to: stagedSecret, ownedLike: manager.fileExists(atPath: secret) ? secret : database)
                guard rename(stagedSecret, secret) == 0 else {
                    throw PrivateFile.Failure(stage: .write, path: secret, reason: "cannot move \(stagedSecret) there: \(String(cString: strerror(errno)))")
                }
            } catch {
                printError("error: the database was restored, but the link secret was not (\(error)). Copy \(savedSecret) to \(secret) by hand.")
                throw ExitCode(74)
            }
            print("Restored the link secret \(savedSecret) to \(secret).")
        }

        /// `path`, or `path.2`, `path.3`… : the first that does not exist, so nothing kept is overwritten.
        static func freeName(_ path: String) -> String {
            var candidate = path
            var attempt = 1
            while FileManager.default.fileExists(atPath: candidate) {
                attempt += 1
                candidate = "\(path).\(attempt)"
            }
            return candidate
        }
    }
}

/// An exclusive, non-blocking `flock` on `<database>.run-lock`, the daemon's single-instance lock.
struct RunLock {
    private let descriptor: Int32
    let held: Bool

    init(databasePath: String) {
        // Never created here: a file made by root would keep the service's user from opening it.
        let fd = open(databasePath + ".run-lock", O_RDWR | O_CLOEXEC)
        var locked = false
        if fd >= 0 {
            var result: Int32
            repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
            locked = result == 0
        }
        descriptor = fd
        // Without the file (a refbot from before the lock, or a daemon never started) the checks
        // before are all there is.
        held = locked || fd < 0
    }

    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}
