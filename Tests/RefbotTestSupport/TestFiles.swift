import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A temporary folder, removed when the value goes away.
public final class TemporaryDirectory: Sendable {
    /// The folder's absolute path.
    public let path: String

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The repository's mail-templates folder.
public let templatesDirectory: String = RefbotProcess.packageRoot + "/mail-templates"

/// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick for port 0).
public func freeLoopbackPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw MailStackError("socket: \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
        }
    }
    guard bound else { throw MailStackError("bind to 127.0.0.1:0: \(String(cString: strerror(errno)))") }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Starts a configured `process` and waits for it without blocking a thread; returns its exit status
/// (``exitStatus(of:)``).
public func runToCompletion(_ process: Process) async throws -> Int32 {
    try process.run()
    return await exitStatus(of: process)
}

/// Waits for a process already started (`process.run()`) to end, without blocking a thread, and
/// returns its exit status (the signal's number when a signal ended it).
///
/// Foundation on Linux now and then never reports a child's exit: the child stays a zombie and
/// `isRunning` stays true, which hung a whole test run in `MailStack.start` (its `mailstack.sh up`
/// had exited). A child seen as a zombie for 1.5 s in a row, still unreported, is reaped here;
/// `process.terminationStatus` must then not be read (Foundation still thinks the child runs): use
/// what this returns.
public func exitStatus(of process: Process) async -> Int32 {
    let pid = process.processIdentifier
    var zombieChecks = 0
    while true {
        if !process.isRunning { return process.terminationStatus }
        zombieChecks = isZombie(pid) ? zombieChecks + 1 : 0
        if zombieChecks >= 150 {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return exitCode(waitStatus: status) }
            // -1: Foundation reaped it after all, and `isRunning` says so next time.
            zombieChecks = 0
        }
        try? await Task.sleep(for: .milliseconds(10))
    }
}

/// What `waitpid` said of an exited child: the signal that ended it (the low 7 bits), if any; else
/// its exit status.
func exitCode(waitStatus status: Int32) -> Int32 {
    status & 0x7f == 0 ? (status >> 8) & 0xff : status & 0x7f
}

/// Whether process `pid` has exited and waits to be reaped (state `Z` in `/proc/PID/stat`).
public func isZombie(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")")
    else { return false }
    return stat[stat.index(after: close)...].split(separator: " ").first == "Z"
}
