import Foundation
import RefbotTransport

#if canImport(Glibc)
    import Glibc
#endif

/// The file holding the OAuth2 refresh token (`oauth.refresh_token_file`).
public enum RefreshTokenFile {
    /// The token in `path`, without surrounding white space.
    static func read(_ path: String) throws(TransportError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .permanent(
                .authentication,
                "cannot read the refresh token in \(path) (oauth.refresh_token_file): run refbot auth login to get one")
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            throw .permanent(
                .authentication, "\(path) (oauth.refresh_token_file) is empty: run refbot auth login to get a refresh token")
        }
        return token
    }

    /// Replaces the file's content with `token`: a new file (0600) beside it, flushed, then renamed
    /// over it, so a crash leaves either the old token or the new one, never half of one.
    public static func write(_ token: String, to path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw FileError(path: temporary, what: "cannot create", code: errno) }
        var ok = false
        defer {
            if !ok { unlink(temporary) }
        }
        let bytes = Array((token + "\n").utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd)
        close(fd)
        guard written == bytes.count, synced == 0 else { throw FileError(path: temporary, what: "cannot write", code: errno) }
        guard rename(temporary, path) == 0 else { throw FileError(path: path, what: "cannot replace", code: errno) }
        ok = true
        // the rename itself survives a crash once the directory is flushed
        let dirfd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            _ = fsync(dirfd)
            close(dirfd)
        }
    }

    struct FileError: Error, CustomStringConvertible {
        var path: String
        var what: String
        var code: Int32
        var description: String { "\(what) \(path): \(String(cString: strerror(code)))" }
    }
}
