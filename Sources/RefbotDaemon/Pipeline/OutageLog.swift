import Logging
import Synchronization

/// Logs an outage once when it starts and once when it ends (each retry in between at debug).
public final class OutageLog: Sendable {
    private let what: String
    private let down = Mutex<String?>(nil)

    /// `what` names the service: "IMAP", "SMTP".
    public init(_ what: String) { self.what = what }

    /// Whether the service is currently failing.
    public var isDown: Bool { down.withLock { $0 != nil } }

    /// Records a failure; the first in a row logs a warning with the cause.
    public func failed(_ error: any Error, logger: Logger) {
        let message = "\(error)"
        let first = down.withLock { state -> Bool in
            defer { state = message }
            return state == nil
        }
        if first {
            logger.warning("\(what) unreachable", metadata: ["error": "\(message)"])
        } else {
            logger.debug("\(what) still unreachable", metadata: ["error": "\(message)"])
        }
    }

    /// Records a success; the first after failures logs a notice.
    public func succeeded(logger: Logger) {
        let wasDown = down.withLock { state -> Bool in
            defer { state = nil }
            return state != nil
        }
        if wasDown { logger.notice("\(what) reachable again") }
    }
}
