import Foundation

/// Where the daemon reads the time: the wall clock, or a fixed or stepped one in tests.
public struct DaemonClock: Sendable {
    /// Unix seconds now.
    public var now: @Sendable () -> Int64
    /// A factor in 0.9...1.1 to spread retries (Postfix-style jitter).
    public var jitter: @Sendable () -> Double

    public init(now: @escaping @Sendable () -> Int64, jitter: @escaping @Sendable () -> Double) {
        self.now = now
        self.jitter = jitter
    }

    /// The system clock and random jitter.
    public static let system = DaemonClock(
        now: { Int64(Date().timeIntervalSince1970) }, jitter: { Double.random(in: 0.9...1.1) })
}
