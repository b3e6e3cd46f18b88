import Foundation
import RefbotTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The tests' process runner (`runToCompletion`) and the zombie check its watchdog relies on.
@Suite("Test support: waiting for a child process")
struct ProcessExitTests {
    @Test("a child that has exited and is not reaped reads as a zombie; a running one and a reaped one do not")
    func zombieCheck() throws {
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup("/bin/sleep"), strdup("0.3"), nil]
        defer { argv.forEach { free($0) } }
        #expect(posix_spawn(&pid, "/bin/sleep", nil, nil, argv, environ) == 0)
        #expect(!isZombie(pid), "still running")
        var waited = 0
        while !isZombie(pid) && waited < 50 {
            usleep(100_000)
            waited += 1
        }
        #expect(isZombie(pid), "exited, not reaped")
        var status: Int32 = 0
        #expect(waitpid(pid, &status, 0) == pid)
        #expect(!isZombie(pid), "reaped: gone")
    }

    @Test("runToCompletion reports a child's exit status")
    func exitStatus() async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exit 3"]
        #expect(try await runToCompletion(process) == 3)
        let ok = Process()
        ok.executableURL = URL(fileURLWithPath: "/bin/true")
        #expect(try await runToCompletion(ok) == 0)
    }

    @Test("exitStatus(of:) waits for a child started before, running or already ended, and reads a signal's end")
    func startedBefore() async throws {
        let slow = Process()
        slow.executableURL = URL(fileURLWithPath: "/bin/sh")
        slow.arguments = ["-c", "sleep 0.3; exit 4"]
        try slow.run()
        #expect(await RefbotTestSupport.exitStatus(of: slow) == 4)
        let quick = Process()
        quick.executableURL = URL(fileURLWithPath: "/bin/sh")
        quick.arguments = ["-c", "exit 5"]
        try quick.run()
        try await Task.sleep(for: .milliseconds(300))
        #expect(await RefbotTestSupport.exitStatus(of: quick) == 5)
        let killed = Process()
        killed.executableURL = URL(fileURLWithPath: "/bin/sleep")
        killed.arguments = ["10"]
        try killed.run()
        kill(killed.processIdentifier, SIGKILL)
        #expect(await RefbotTestSupport.exitStatus(of: killed) == SIGKILL)
    }
}
