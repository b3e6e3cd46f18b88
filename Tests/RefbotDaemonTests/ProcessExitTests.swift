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
}
