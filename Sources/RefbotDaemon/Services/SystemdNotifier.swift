#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import ServiceLifecycle

/// Speaks systemd's notify protocol over `$NOTIFY_SOCKET` (a Unix datagram socket):
/// `READY=1` after the first good poll, `WATCHDOG=1` every half `$WATCHDOG_USEC` while polls are
/// healthy, `STOPPING=1` on graceful shutdown. Does nothing when systemd did not ask for it.
public struct SystemdNotifier: Service {
    let socketPath: String?
    let watchdogInterval: Duration?
    let health: HealthState
    let maxPollAge: Int64
    let clock: DaemonClock
    let logger: Logger

    public init(environment: [String: String], health: HealthState, maxPollAge: Int64, clock: DaemonClock, logger: Logger) {
        self.socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
        if let usec = environment["WATCHDOG_USEC"].flatMap(Int64.init), usec > 0 {
            // WATCHDOG_PID, when set, must be ours.
            let pid = environment["WATCHDOG_PID"].flatMap(Int32.init)
            self.watchdogInterval = (pid == nil || pid == getpid()) ? .microseconds(usec / 2) : nil
        } else {
            self.watchdogInterval = nil
        }
        self.health = health
        self.maxPollAge = maxPollAge
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        guard let socketPath else {
            // Not under systemd: wait for shutdown so the group keeps running.
            try? await gracefulShutdown()
            return
        }
        await withGracefulShutdownHandler {
            await health.waitForFirstPoll()
            guard !Task.isShuttingDownGracefully, !Task.isCancelled else { return }
            send("READY=1\nSTATUS=Polling the mailbox", to: socketPath)
            logger.info("Daemon ready")
            guard let watchdogInterval else {
                try? await gracefulShutdown()
                return
            }
            while !Task.isShuttingDownGracefully && !Task.isCancelled {
                if health.isHealthy(now: clock.now(), maxPollAge: maxPollAge) {
                    send("WATCHDOG=1", to: socketPath)
                } else {
                    logger.warning("Watchdog withheld: no good poll within health.max_poll_age_seconds")
                }
                try? await Task.sleep(for: watchdogInterval)
            }
        } onGracefulShutdown: {
            send("STOPPING=1", to: socketPath)
        }
    }

    /// Sends one datagram; errors are logged, never thrown (systemd may be gone).
    func send(_ message: String, to path: String) {
        if !SystemdNotifier.sendDatagram(message, to: path) {
            logger.warning("systemd notification failed", metadata: ["error": "errno \(errno)"])
        }
    }

    /// Sends `message` to the datagram socket at `path` (`@name`: the abstract namespace).
    static func sendDatagram(_ message: String, to path: String) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(path.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in pathBytes.enumerated() { buffer[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = bytes.withUnsafeBytes { body in
            withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sockaddrPointer in
                    sendto(fd, body.baseAddress, body.count, Int32(MSG_NOSIGNAL), sockaddrPointer, length)
                }
            }
        }
        return sent == bytes.count
    }
}
