import Logging
import Synchronization

/// Logs an outage once when it starts and once when it ends (each retry in between at debug).
public final class OutageLog: Sendable {
    private let what: String
    private let problem: String
    private let recovery: String
    private let down = Mutex<String?>(nil)

    /// `what` names the service: "IMAP", "SMTP"; the lines read "IMAP unreachable" and
    /// "IMAP reachable again" unless `problem` and `recovery` say otherwise.
    public init(_ what: String, problem: String = "unreachable", recovery: String = "reachable again") {
        self.what = what
        self.problem = problem
        self.recovery = recovery
    }

    /// The one log for the database, shared by every service that writes: a lock held by another
    /// process or a full disk is logged once however many services wait for it.
    public static func database() -> OutageLog {
        OutageLog("Database", problem: "not writable, work waits", recovery: "writable again")
    }

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
            logger.warning("\(what) \(problem)", metadata: ["error": "\(message)"])
        } else {
            logger.debug("\(what) still \(problem)", metadata: ["error": "\(message)"])
        }
    }

    /// Records a success; the first after failures logs a notice.
    public func succeeded(logger: Logger) {
        let wasDown = down.withLock { state -> Bool in
            defer { state = nil }
            return state != nil
        }
        if wasDown { logger.notice("\(what) \(recovery)") }
    }
}
