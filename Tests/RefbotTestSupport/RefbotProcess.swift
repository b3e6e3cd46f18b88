import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The built `refbot` executable, run as a child process the way an admin or systemd runs it.
///
/// ```swift
/// let result = try await RefbotProcess.run(["run", "--once", "--config", path])
/// #expect(result.status == 0)
/// let daemon = try RefbotProcess.start(["run", "--config", path]); … daemon.kill(SIGKILL)
/// ```
public final class RefbotProcess: @unchecked Sendable {
    /// What a finished run printed and its exit status.
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    private let process: Process
    /// The file standard error is written to.
    public let stderrPath: String

    private init(process: Process, stderrPath: String) {
        self.process = process
        self.stderrPath = stderrPath
    }

    deinit {
        try? FileManager.default.removeItem(atPath: stderrPath)
    }

    /// The package's root folder (the one with Package.swift).
    public static let packageRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url.path }
        }
        return FileManager.default.currentDirectoryPath
    }()

    /// The built binary: `$REFBOT_BINARY`, or `.build/debug/refbot` (any platform folder).
    public static func binaryPath() throws -> String {
        if let path = ProcessInfo.processInfo.environment["REFBOT_BINARY"] { return path }
        let build = packageRoot + "/.build"
        let candidates = [build + "/debug/refbot"]
            + ((try? FileManager.default.contentsOfDirectory(atPath: build)) ?? []).sorted().map { build + "/" + $0 + "/debug/refbot" }
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw RefbotProcessError("the refbot binary is not built; run swift build first (looked in \(build))")
        }
        return found
    }

    /// Starts refbot with `arguments`; standard output is discarded, standard error goes to a file.
    public static func start(_ arguments: [String], environment: [String: String] = [:]) throws -> RefbotProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try binaryPath())
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        let stderrPath = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-\(UUID().uuidString).log").path
        FileManager.default.createFile(atPath: stderrPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: stderrPath)
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return RefbotProcess(process: process, stderrPath: stderrPath)
    }

    /// Runs refbot to the end and returns its output.
    public static func run(
        _ arguments: [String], environment: [String: String] = [:], stdin: Data? = nil, currentDirectory: String? = nil
    ) async throws -> Result {
        let process = Process()
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        process.executableURL = URL(fileURLWithPath: try binaryPath())
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let outPath = directory.appendingPathComponent("out").path
        let errPath = directory.appendingPathComponent("err").path
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        if let stdin {
            let inPath = directory.appendingPathComponent("in").path
            FileManager.default.createFile(atPath: inPath, contents: stdin)
            process.standardInput = FileHandle(forReadingAtPath: inPath)
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        let status = try await runToCompletion(process)
        return Result(
            status: status,
            stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "")
    }

    /// Makes the database the configuration at `configPath` names, as the service's first start
    /// does: one `refbot run --once`, which may find the mail servers unreachable (exit 75). Admin
    /// commands refuse a missing database, so tests of them call this first.
    public static func createDatabase(configPath: String, environment: [String: String] = [:]) async throws {
        let result = try await run(["run", "--once", "--config", configPath], environment: environment)
        guard result.status == 0 || result.status == 75 else {
            throw RefbotProcessError("refbot run --once could not make the database (exit \(result.status)): \(result.stderr)")
        }
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// Whether the process is still running.
    public var isRunning: Bool { process.isRunning }

    /// Sends a signal (SIGKILL, SIGTERM, …).
    public func signal(_ signal: Int32) {
        _ = Glibc.kill(process.processIdentifier, signal)
    }

    /// Waits until the process has exited and returns its status.
    @discardableResult
    public func wait() async -> Int32 {
        await exitStatus(of: process)
    }

    /// What the process has written to standard error so far.
    public var stderr: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
}

/// A failure to run the refbot binary.
public struct RefbotProcessError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
