import CCurl
import NIOPosix
import RefbotTransport
import Synchronization

/// `curl_global_init` runs exactly once, the first time this is read (Swift initialises globals once).
private let curlGlobalInitResult: UInt32 = curl_global_init(Int(CURL_GLOBAL_DEFAULT)).rawValue

/// The threads libcurl runs on. `curl_easy_perform` blocks, so it never runs on Swift's cooperative
/// pool: every transfer goes through ``run(_:)`` on one of a few dedicated threads.
///
/// ```swift
/// let pool = CurlThreadPool()                 // started; curl_global_init has run
/// let mailbox = IMAPMailbox(settings: imap, pool: pool)
/// let submitter = CurlSMTPSubmitter(settings: smtp, pool: pool)
/// …
/// await pool.shutdown()
/// ```
///
/// Failure modes: after ``shutdown()``, ``run(_:)`` throws a temporary ``TransportError``;
/// a task cancelled before its closure starts gets `CancellationError`. A closure that has started
/// runs to its end, which libcurl's timeouts bound.
public final class CurlThreadPool: Sendable {
    private let pool: NIOThreadPool
    private let isShutDown = Atomic(false)

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

    /// Runs `body` on a pool thread and returns its result; throws what `body` throws, or a temporary
    /// ``TransportError`` once the pool is shut down.
    public func run<T: Sendable>(_ body: @Sendable @escaping () throws -> T) async throws -> T {
        do {
            if isShutDown.load(ordering: .acquiring) { throw Self.shutDownError }
            return try await pool.runIfActive(body)
        } catch is NIOThreadPoolError.ThreadPoolInactive {
            throw Self.shutDownError
        } catch let error as CancellationError {
            // NIO reports work refused by a stopped pool as cancellation
            if isShutDown.load(ordering: .acquiring) && !Task.isCancelled { throw Self.shutDownError }
            throw error
        }
    }

    /// Runs `body` on a pool thread without waiting for it; used to close connections (libcurl says
    /// LOGOUT or QUIT and waits for the answer) away from the caller's thread. Dropped when the pool
    /// is stopped.
    func runDetached(_ body: @Sendable @escaping () -> Void) {
        pool.submit { state in
            if case .active = state { body() }
        }
    }

    private static var shutDownError: TransportError {
        .temporary(.other, "the libcurl threads are shut down (the daemon is stopping)")
    }

    /// Lets running closures finish, then stops the threads.
    public func shutdown() async {
        isShutDown.store(true, ordering: .releasing)
        try? await pool.shutdownGracefully()
    }
}
