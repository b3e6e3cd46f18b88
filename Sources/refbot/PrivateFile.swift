import Foundation

/// A new file readable by its owner only (0600, whatever the umask), never written over an existing
/// one: where admin commands put backups' secrets, exports and raw mail.
enum PrivateFile {
    struct Failure: Error, CustomStringConvertible {
        enum Stage: Sendable { case read, create, write }
        var stage: Stage
        var path: String
        var reason: String
        var description: String { "cannot \(stage) \(path): \(reason)" }
    }

    /// Writes `data` to the new file `path` and syncs it, owned like the file `owner` when given; a
    /// half-written file is removed.
    static func write(_ data: Data, to path: String, ownedLike owner: String? = nil) throws(Failure) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(stage: .create, path: path, reason: lastError) }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)
        if let owner { matchOwner(descriptor, of: owner) }
        let written = data.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        guard written == data.count, fsync(descriptor) == 0 else {
            let reason = lastError
            unlink(path)
            throw Failure(stage: .write, path: path, reason: reason)
        }
    }

    /// Copies `source` to the new file `destination` (see ``write(_:to:ownedLike:)``).
    static func copy(from source: String, to destination: String, ownedLike owner: String? = nil) throws(Failure) {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw Failure(stage: .read, path: source, reason: lastError)
        }
        try write(data, to: destination, ownedLike: owner)
    }

    /// Gives the open file the owner and group of the file at `path`, when it exists (a service's
    /// files stay readable by the service after root restores them).
    static func matchOwner(_ descriptor: Int32, of path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return }
        _ = fchown(descriptor, info.st_uid, info.st_gid)
    }

    private static var lastError: String { String(cString: strerror(errno)) }
}
