import CCurl
import NIOPosix

/// `curl_global_init` runs exactly once, the first time this is read (Swift initialises globals once).
private let curlGlobalInitResult: UInt32 = curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue

/// The threads libcurl runs on. `curl_easy_perform` blocks, so it never runs on Swift's cooperative
/// pool: every transfer goes through ``run(_:)`` on one of a few dedicated threads.
///
/// ```swift
/// let pool = CurlThreadPool()                 // started; curl_global_init has run
/// let mailbox = CurlIMAPMailbox(settings: imap, pool: pool)
/// let submitter = CurlSMTPSubmitter(settings: smtp, pool: pool)
/// …
/// await pool.shutdown()
/// ```
///
/// Failure modes: after ``shutdown()``, ``run(_:)`` throws (NIO's `NIOThreadPoolError.ThreadPoolInactive`);
/// a task cancelled before its closure starts gets `CancellationError`. A closure that has started
/// runs to its end, which libcurl's timeouts bound.
public final class CurlThreadPool: Sendable {
    private let pool: NIOThreadPool

    /// Initialises libcurl and starts `threads` threads (at least 1).
    public init(threads: Int = 2) {
        Self.ensureGlobalInit()
        pool = NIOThreadPool(numberOfThreads: max(1, threads))
        pool.start()
    }

    /// Runs `curl_global_init` if it has not run yet; called before any pool thread exists.
    static func ensureGlobalInit() {
        precondition(curlGlobalInitResult == CURLE_OK.rawValue, "curl_global_init failed: \(curlGlobalInitResult)")
    }

    /// Runs `body` on a pool thread and returns its result; throws what `body` throws.
    public func run<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Lets running closures finish, then stops the threads.
    public func shutdown() async {
        try? await pool.shutdownGracefully()
    }
}
