import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One daemon per database: an exclusive `flock` on `<database>.run-lock`, held for the life of
/// `refbot run`, so that two daemons never both send the outbox.
///
/// The lock is on a file beside the database, never on the database itself: closing another
/// descriptor of the database file would drop SQLite's own locks. The holder writes its process
/// id into the file so that a refused second daemon can name it. The kernel releases the lock when
/// the process ends, however it ends (kill -9 included), so a stale file never blocks a start.
/// A lock file that is a symbolic link is refused rather than followed.
/// Admin commands do not take it: they work beside a running daemon.
public final class InstanceLock: Sendable {
    /// The lock file.
    public let path: String
    private let descriptor: Int32

    /// The lock file for the database at `databasePath`.
    public static func lockPath(forDatabase databasePath: String) -> String { databasePath + ".run-lock" }

    /// Takes the lock for the database at `databasePath`, or throws ``InstanceLockError``.
    public init(databasePath: String) throws(InstanceLockError) {
        let path = Self.lockPath(forDatabase: databasePath)
        // Never through a symbolic link: the holder truncates the file to write its pid.
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            throw InstanceLockError(
                database: databasePath, lockFile: path, busy: false, holder: nil, reason: String(cString: strerror(errno)))
        }
        var result: Int32
        repeat { result = flock(fd, LOCK_EX | LOCK_NB) } while result != 0 && errno == EINTR
        guard result == 0 else {
            let busy = errno == EWOULDBLOCK
            let reason = String(cString: strerror(errno))
            let holder = busy ? Self.readHolder(fd) : nil
            close(fd)
            throw InstanceLockError(database: databasePath, lockFile: path, busy: busy, holder: holder, reason: reason)
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        self.path = path
        self.descriptor = fd
    }

    /// The process id the holder wrote, if any.
    private static func readHolder(_ fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = pread(fd, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let text = String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return Int32(text)
    }

    /// Gives the lock up (the process's end does the same).
    public func release() {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }
}

/// Why ``InstanceLock`` was not taken.
public struct InstanceLockError: Error, Sendable, CustomStringConvertible {
    /// The database the lock guards.
    public var database: String
    /// The lock file.
    public var lockFile: String
    /// Whether another process holds the lock (else the file could not be opened or locked).
    public var busy: Bool
    /// The process that holds the lock, when it wrote its id.
    public var holder: Int32?
    /// The system's reason.
    public var reason: String

    public var description: String {
        if busy {
            let who = holder.map { " (process \($0))" } ?? ""
            return "another refbot run\(who) is already using the database \(database) (it holds \(lockFile)); "
                + "stop that one first (systemctl stop refbot), or give this one its own bot.database"
        }
        return "cannot take the lock \(lockFile) that keeps a second refbot run off the database \(database): \(reason); "
            + "check that the folder \((lockFile as NSString).deletingLastPathComponent) exists and refbot may write in it"
    }
}
