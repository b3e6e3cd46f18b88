import Dispatch
import Foundation
import Logging
import RefbotDaemon
import ServiceLifecycle
import RefbotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Journal log lines")
struct JournalLogHandlerTests {
    @Test("One line per event: priority, level, message and sorted fields")
    func format() {
        let logs = LogCapture()
        logs.logger.info("Command executed", metadata: ["inbound.id": "12", "command": "help"])
        #expect(logs.all == ["<6>info Command executed command=help inbound.id=12\n"])
    }

    @Test("CR and LF from input cannot forge a second log line")
    func noInjection() {
        let logs = LogCapture()
        logs.logger.warning("Inbound message failed", metadata: ["error": "bad\n<3>error forged line"])
        #expect(logs.all.count == 1)
        #expect(logs.all[0].filter { $0 == "\n" }.count == 1)
        #expect(logs.all[0].hasPrefix("<4>warning Inbound message failed error=\"bad <3>error forged line\""))
    }

    @Test("A line goes out whole through write(2); a descriptor that takes nothing drops it and nothing stops")
    func writesWholeLines() throws {
        var ends: [Int32] = [0, 0]
        #expect(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let line = "<6>info Mail sent event=help outbox.id=7 member.email=älice@example.org\n" + String(repeating: "x", count: 20_000) + "\n"
        #expect(JournalLogHandler.writeAll(line, to: ends[1]))
        close(ends[1])
        var read: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = Glibc.read(ends[0], &buffer, buffer.count)
            if count <= 0 { break }
            read += buffer[0..<count]
        }
        #expect(read == Array(line.utf8))
        // the write end is closed now: the line is refused, the caller goes on
        #expect(!JournalLogHandler.writeAll("<6>info dropped\n", to: ends[1]))
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test("The delay doubles the age, clamped to 5 minutes and 1 hour, times the jitter",
          arguments: [
            (0 as Int64, 1.0, 300 as Int64), (100, 1.0, 300), (1000, 1.0, 1000), (5000, 1.0, 3600), (1000, 0.9, 900),
            (1000, 1.1, 1100),
          ])
    func delays(age: Int64, jitter: Double, expected: Int64) {
        let now: Int64 = 1_000_000
        let next = Sender.nextAttempt(firstQueued: now - age, now: now, jitter: jitter, minimal: 300, maximal: 3600)
        #expect(next - now == expected)
    }
}

@Suite("Waker")
struct WakerTests {
    @Test("A nudge before the wait ends the wait at once; several nudges count as one")
    func nudgeBeforeWait() async {
        let waker = Waker()
        waker.nudge()
        waker.nudge()
        let start = ContinuousClock.now
        // Without the nudge this would wait the full 120 s; on a loaded machine a woken task may
        // still take seconds to be scheduled, so the bound is generous.
        await waker.wait(upTo: .seconds(120))
        #expect(ContinuousClock.now - start < .seconds(100))
        // The second nudge did not pile up: this wait runs to its (short) timeout.
        let second = ContinuousClock.now
        await waker.wait(upTo: .milliseconds(200))
        #expect(ContinuousClock.now - second >= .milliseconds(150))
    }

    @Test("A nudge during the wait ends it")
    func nudgeDuringWait() async {
        let waker = Waker()
        async let waited: Void = waker.wait(upTo: .seconds(120))
        try? await Task.sleep(for: .milliseconds(50))
        waker.nudge()
        let start = ContinuousClock.now
        await waited
        #expect(ContinuousClock.now - start < .seconds(100))
    }
}

@Suite("systemd notify protocol", .serialized)
struct SystemdNotifierTests {
    /// A bound Unix datagram socket in a temporary folder, as systemd's $NOTIFY_SOCKET.
    final class NotifySocket: @unchecked Sendable {
        let path: String
        let fd: Int32
        init(directory: TemporaryDirectory) throws {
            path = directory.path + "/notify.sock"
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { buffer in
                for (i, byte) in path.utf8.enumerated() { buffer[i] = byte }
            }
            let result = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard result == 0 else { throw POSIXError(.EADDRINUSE) }
            // Long: on two cores, with every other suite running beside this one, the notifier's
            // task has been seen to wait over a minute for a thread of the cooperative pool.
            var timeout = timeval(tv_sec: 300, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }
        deinit { close(fd) }
        /// The next datagram, or nil after 300 s; waits on a Dispatch thread, not the cooperative pool.
        func next() async -> String? {
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: self.receive()) }
            }
        }
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self) : nil
        }
    }

    @Test("READY=1 after the first good poll, WATCHDOG=1 while healthy, STOPPING=1 on shutdown")
    func protocolOverSocket() async throws {
        let directory = try TemporaryDirectory()
        let socket = try NotifySocket(directory: directory)
        let health = HealthState()
        let clock = ManualClock()
        let notifier = SystemdNotifier(
            environment: ["NOTIFY_SOCKET": socket.path, "WATCHDOG_USEC": "200000"], health: health, maxPollAge: 600,
            clock: clock.daemonClock, logger: LogCapture().logger)
        let group = ServiceGroup(services: [notifier], logger: LogCapture().logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            health.pollSucceeded(at: clock.now)
            let ready = await socket.next()
            #expect(ready?.contains("READY=1") == true)
            let ping = await socket.next()
            #expect(ping == "WATCHDOG=1")
            await group.triggerGracefulShutdown()
            var last: String?
            while let message = await socket.next() {
                last = message
                if message == "STOPPING=1" { break }
            }
            #expect(last == "STOPPING=1")
            try await tasks.waitForAll()
        }
    }

    @Test("No watchdog ping once polls are older than health.max_poll_age_seconds")
    func unhealthyWithholdsWatchdog() async throws {
        let health = HealthState()
        health.pollSucceeded(at: 1000)
        #expect(health.isHealthy(now: 1500, maxPollAge: 600))
        #expect(!health.isHealthy(now: 1700, maxPollAge: 600))
    }
}
