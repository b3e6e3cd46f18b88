import Foundation

/// A separate `sqlite3` process holding `BEGIN EXCLUSIVE` on a database until ``release()``, as an
/// admin's `sqlite3` session or a backup script would.
///
/// ```swift
/// let lock = try await SQLiteLockHolder(path: databasePath)   // returns once the lock is held
/// … // writers get SQLITE_BUSY after their busy timeout; readers (WAL) carry on
/// try await lock.release()
/// ```
public final class SQLiteLockHolder: @unchecked Sendable {
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()

    /// Returns once the other process holds the lock.
    public init(path: String) async throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path]
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        try process.run()
        input.fileHandleForWriting.write(Data(".timeout 20000\nBEGIN EXCLUSIVE;\nSELECT 'holding the lock';\n".utf8))
        var seen = ""
        let deadline = ContinuousClock.now + .seconds(30)
        while !seen.contains("holding the lock") {
            guard ContinuousClock.now < deadline, process.isRunning else {
                throw MailStackError("sqlite3 did not take the lock on \(path): \(seen)")
            }
            let data = output.fileHandleForReading.availableData
            seen += String(decoding: data, as: UTF8.self)
        }
    }

    /// Commits and ends the process.
    public func release() async throws {
        input.fileHandleForWriting.write(Data("COMMIT;\n.quit\n".utf8))
        try input.fileHandleForWriting.close()
        _ = await exitStatus(of: process)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}
