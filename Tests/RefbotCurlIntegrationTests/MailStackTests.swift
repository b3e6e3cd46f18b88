import Foundation
import RefbotCurl
import RefbotTestSupport
import RefbotTransport
import Testing

@Suite("MailStack", .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct MailStackTests {
    @Test("two stacks run side by side on different ports; stop removes the directory and frees the ports")
    func twoStacks() async throws {
        try TestEnvironment.requireServers()
        async let first = MailStack.start()
        async let second = MailStack.start()
        let stacks = try await [first, second]
        #expect(stacks[0].portBase != stacks[1].portBase)
        #expect(stacks[0].directory != stacks[1].directory)
        for (n, stack) in stacks.enumerated() {
            try await stack.deliver(
                testMessage(id: "side-\(n)@example.test"), from: "alice@example.test", to: ["bob@example.test"])
        }
        for (n, stack) in stacks.enumerated() {
            let inbox = try await stack.messages(user: "bob@example.test", password: "bobpass")
            #expect(inbox.count == 1)
            #expect(headerValue("Message-ID", in: inbox[0].raw) == "<side-\(n)@example.test>")
        }
        for stack in stacks {
            await stack.stop()
            #expect(!FileManager.default.fileExists(atPath: stack.directory))
            let pool = CurlThreadPool(threads: 1)
            let mailbox = IMAPMailbox(
                settings: stack.imapSettings(user: "bob@example.test", password: "bobpass"), pool: pool)
            let error = await transportError { try await mailbox.checkLogin() }
            #expect(error?.code == .connection)
            await pool.shutdown()
        }
    }

    @Test("a stack left running by a test process that died is stopped by the next process's reaper; live stacks are left alone")
    func abandonedStackIsReaped() async throws {
        try TestEnvironment.requireServers()
        let live = try await MailStack.start()
        let abandoned = try await MailStack.start()
        let pool = CurlThreadPool(threads: 1)
        func canLogIn(_ stack: MailStack) async -> Bool {
            let mailbox = IMAPMailbox(settings: stack.imapSettings(user: "bob@example.test", password: "bobpass"), pool: pool)
            return await transportError { try await mailbox.checkLogin() } == nil
        }
        await abandoned.abandonAsIfCrashed()
        #expect(await canLogIn(abandoned), "the abandoned stack's servers still run after its lock is let go")
        let reaped = try await MailStack.reapAbandoned()
        #expect(reaped.contains(abandoned.directory))
        #expect(!reaped.contains(live.directory))
        #expect(!FileManager.default.fileExists(atPath: abandoned.directory))
        #expect(await !canLogIn(abandoned), "its servers are stopped")
        #expect(await canLogIn(live), "the stack whose process lives still runs")
        await live.stop()
        await pool.shutdown()
    }

    @Test("users given to start and added later receive mail, also in another domain")
    func extraUsers() async throws {
        try await withMailStack(extraUsers: ["dave@example.org": "davepass"]) { stack, _ in
            try await stack.addUser("erin@example.test", password: "erinpass")
            try await stack.deliver(
                testMessage(id: "dave@example.org", to: "dave@example.org"), from: "alice@example.test",
                to: ["dave@example.org", "erin@example.test"])
            #expect(try await stack.messages(user: "dave@example.org", password: "davepass").count == 1)
            #expect(try await stack.messages(user: "erin@example.test", password: "erinpass").count == 1)
        }
    }

    @Test("messages(atLeast:timeout:) gives up at the deadline and says how many it saw")
    func messagesTimeout() async throws {
        try await withMailStack { stack, _ in
            do {
                _ = try await stack.messages(
                    user: "bob@example.test", password: "bobpass", atLeast: 1, timeout: .milliseconds(300))
                Issue.record("an empty inbox satisfied atLeast: 1")
            } catch let error as MailStackError {
                #expect(error.description.contains("held 0 of the 1"))
            }
        }
    }
}
