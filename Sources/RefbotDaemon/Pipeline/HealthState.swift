import Synchronization

/// What the daemon knows about its own health, shared by the services, systemd and `/healthz`.
public final class HealthState: Sendable {
    /// A snapshot of the health state.
    public struct Snapshot: Sendable, Equatable {
        /// Unix seconds of the last poll that reached the IMAP server, if any.
        public var lastGoodPoll: Int64?
        /// Unix seconds since when polling has failed, if it is failing.
        public var pollFailingSince: Int64?
        /// Mails waiting in the outbox, as last counted.
        public var outboxDepth: Int
        /// Whether SMTP was unreachable at the last attempt.
        public var smtpFailing: Bool
    }

    private let state = Mutex(Snapshot(lastGoodPoll: nil, pollFailingSince: nil, outboxDepth: 0, smtpFailing: false))
    /// Called once, after the first good poll (for systemd's READY=1).
    private let firstPoll = Waker()

    public init() {}

    /// The current state.
    public var snapshot: Snapshot { state.withLock { $0 } }

    /// Records a poll that reached the server.
    public func pollSucceeded(at now: Int64) {
        let first = state.withLock { state -> Bool in
            let first = state.lastGoodPoll == nil
            state.lastGoodPoll = now
            state.pollFailingSince = nil
            return first
        }
        if first { firstPoll.nudge() }
    }

    /// Records a poll that failed.
    public func pollFailed(at now: Int64) {
        state.withLock { state in
            if state.pollFailingSince == nil { state.pollFailingSince = now }
        }
    }

    /// Records the outbox depth and whether SMTP is failing.
    public func outbox(depth: Int, smtpFailing: Bool) {
        state.withLock { state in
            state.outboxDepth = depth
            state.smtpFailing = smtpFailing
        }
    }

    /// Whether polls are healthy at `now`: the last good poll is younger than `maxPollAge` seconds.
    public func isHealthy(now: Int64, maxPollAge: Int64) -> Bool {
        guard let last = snapshot.lastGoodPoll else { return false }
        return now - last <= maxPollAge
    }

    /// Waits until the first good poll (returns at once if there was one).
    public func waitForFirstPoll() async {
        while snapshot.lastGoodPoll == nil {
            await firstPoll.wait(upTo: .seconds(3600))
            if Task.isCancelled { return }
        }
    }
}
