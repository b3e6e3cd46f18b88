import UnixSignals

/// SIGTERM and SIGINT, trapped from the moment `refbot run` starts.
///
/// Trapped before the instance lock is taken and the daemon built: until then a SIGTERM
/// (systemd stopping a unit that is still starting, an admin's Ctrl-C) would kill the process
/// with the signal's default action, outside the orderly stop. A signal that comes before the
/// services run waits in the sequence and stops them as soon as they start.
public struct StopSignals: Sendable {
    let sequence: UnixSignalsSequence

    /// Traps SIGTERM and SIGINT; returns once both are registered, so none is missed after it.
    public static func trap() async -> StopSignals {
        StopSignals(sequence: await UnixSignalsSequence(trapping: .sigterm, .sigint))
    }
}
