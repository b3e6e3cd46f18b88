import Synchronization

/// The command each inbound mail in hand held and what became of it, by inbound id: the
/// Processor records it inside the mail's transaction and counts it (`refbot_commands_total`)
/// only once that transaction commits.
final class CommandTallies: Sendable {
    private let pending = Mutex<[Int64: (command: String?, outcome: DaemonMetrics.CommandOutcome)]>([:])

    /// Mail `id` held `command` (nil when no command word could be read), with this outcome.
    func record(_ id: Int64, _ command: String?, _ outcome: DaemonMetrics.CommandOutcome) {
        pending.withLock { $0[id] = (command, outcome) }
    }

    /// What mail `id` recorded, removed.
    func take(_ id: Int64) -> (String?, DaemonMetrics.CommandOutcome)? {
        pending.withLock { $0.removeValue(forKey: id) }.map { ($0.command, $0.outcome) }
    }
}
