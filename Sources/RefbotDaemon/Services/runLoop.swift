import Logging
import ServiceLifecycle

/// The loop of every service: run one pass, then wait for a nudge or the interval, until graceful
/// shutdown. A failing pass is logged and retried on the next turn; it never ends the daemon.
func runLoop(
    waker: Waker, interval: Duration, logger: Logger, _ pass: @Sendable @escaping () async throws -> Void
) async throws {
    await withGracefulShutdownHandler {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await pass()
            } catch {
                logger.error("Service pass failed", metadata: ["error": "\(error)"])
            }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await waker.wait(upTo: interval)
        }
    } onGracefulShutdown: {
        waker.nudge()
    }
}
