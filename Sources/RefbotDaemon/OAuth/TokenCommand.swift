import Foundation
import Logging
import RefbotTransport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs `oauth.token_command`: a program (absolute path, arguments as listed, no shell) that prints
/// an access token on standard output, as msmtp's `passwordeval` and mbsync's `PassCmd` helpers do.
///
/// Its standard input is /dev/null. At most 64 KiB of output is read; the first line, trimmed, must
/// be an RFC 6750 bearer token. A program still running after `timeoutSeconds` is sent SIGTERM,
/// then SIGKILL a second later. What it writes to standard error is logged (first 500 characters).
public enum TokenCommand {
    static let outputLimit = 64 << 10

    public static func run(_ command: [String], timeoutSeconds: Int, logger: Logger) async throws(TransportError) -> String {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<String, TransportError>, Never>) in
            Thread.detachNewThread {
                continuation.resume(returning: runBlocking(command, timeoutSeconds: timeoutSeconds, logger: logger))
            }
        }
        return try result.get()
    }

    static func runBlocking(_ command: [String], timeoutSeconds: Int, logger: Logger) -> Result<String, TransportError> {
        guard let program = command.first else {
            return .failure(.permanent(.authentication, "oauth.token_command is empty"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = Array(command.dropFirst())
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = stdout
        process.standardError = stderr
        let output = BoundedReader(stdout.fileHandleForReading, limit: outputLimit)
        let errors = BoundedReader(stderr.fileHandleForReading, limit: 4096)
        do {
            try process.run()
        } catch {
            return .failure(.permanent(.authentication, "oauth.token_command \(program) could not be started: \(error)"))
        }
        // the parent's copies of the write ends must go, or the readers never see the end
        try? stdout.fileHandleForWriting.close()
        try? stderr.fileHandleForWriting.close()
        output.start()
        errors.start()

        let deadline = Date().addingTimeInterval(TimeInterval(timeoutSeconds))
        var timedOut = false
        while process.isRunning {
            if Date() >= deadline {
                timedOut = true
                kill(process.processIdentifier, SIGTERM)
                let grace = Date().addingTimeInterval(1)
                while process.isRunning && Date() < grace { usleep(20_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                break
            }
            usleep(20_000)
        }
        process.waitUntilExit()
        // a grandchild may hold the pipes open: wait a moment for the output, not for ever
        let out = output.finish(waitingUpTo: 1)
        let err = errors.finish(waitingUpTo: 1)
        let stderrText = String(decoding: err.bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if !stderrText.isEmpty {
            logger.notice(
                "oauth.token_command wrote to standard error",
                metadata: ["program": "\(program)", "stderr": "\(stderrText.prefix(500))"])
        }
        if timedOut {
            return .failure(
                .temporary(
                    .timeout,
                    "oauth.token_command \(program) was still running after \(timeoutSeconds) s and was killed "
                        + "(oauth.token_command_timeout_seconds)"))
        }
        let status = process.terminationStatus
        guard process.terminationReason == .exit, status == 0 else {
            let how = process.terminationReason == .exit ? "exited with status \(status)" : "was killed by signal \(status)"
            return .failure(
                .temporary(.authentication, "oauth.token_command \(program) \(how)\(stderrText.isEmpty ? "" : ": \(stderrText.prefix(200))")"))
        }
        if out.overflowed {
            return .failure(
                .temporary(.protocolError, "oauth.token_command \(program) printed more than 64 KiB; it should print one access token"))
        }
        let text = String(decoding: out.bytes, as: UTF8.self)
        let first = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard isUsableAccessToken(first) else {
            return .failure(
                .temporary(
                    .protocolError,
                    "oauth.token_command \(program) did not print an access token (its first line should be the bearer "
                        + "token alone: letters, digits and -._~+/= only)"))
        }
        return .success(first)
    }
}

/// Reads a pipe on its own thread, keeping at most `limit` bytes and draining the rest.
private final class BoundedReader: @unchecked Sendable {
    private let handle: FileHandle
    private let limit: Int
    private let lock = NSCondition()
    private var collected: [UInt8] = []
    private var overflowed = false
    private var done = false

    init(_ handle: FileHandle, limit: Int) {
        self.handle = handle
        self.limit = limit
    }

    func start() {
        Thread.detachNewThread { [self] in
            let fd = handle.fileDescriptor
            var buffer = [UInt8](repeating: 0, count: 16384)
            while true {
                let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                lock.lock()
                if collected.count + n <= limit {
                    collected.append(contentsOf: buffer[0..<n])
                } else {
                    overflowed = true
                }
                lock.unlock()
            }
            lock.lock()
            done = true
            lock.broadcast()
            lock.unlock()
        }
    }

    func finish(waitingUpTo seconds: TimeInterval) -> (bytes: [UInt8], overflowed: Bool) {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(seconds)
        while !done && lock.wait(until: deadline) {}
        return (collected, overflowed)
    }
}
