import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

#if canImport(Glibc)
import Glibc
#endif

/// A person in a real browser: the link comes from a mail delivered through the real servers, the page is
/// rendered by headless Chromium, the button is pressed with the mouse. Screenshots are kept in
/// `.build/artefacts/browser/` (or `$REFBOT_ARTEFACTS/browser/`).
@Suite(
    "One-click links in a real browser", .serialized,
    .enabled(if: (TestEnvironment.serversAvailable && HeadlessBrowser.executable != nil) || TestEnvironment.isCI))
struct BrowserEndToEndTests {
    static var artefacts: String {
        (ProcessInfo.processInfo.environment["REFBOT_ARTEFACTS"] ?? RefbotProcess.packageRoot + "/.build/artefacts") + "/browser"
    }

    /// The web links of one action word in a mail's text body (`  WORD: http://…/a/…`).
    static func webLink(_ word: String, in message: ParsedMessage, base: String) -> String? {
        message.textBody.split(separator: "\n").lazy
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("\(word): \(base)/a/") || $0.hasPrefix("on the web: \(base)/a/") }
            .map { String($0[$0.range(of: base)!.lowerBound...]) }
    }

    /// `user`'s mail once there is some, while the daemon runs; on a time-out the daemon is stopped
    /// and its log shown, so a slow or stuck first pass says why.
    static func mail(_ bot: BotFixture, _ user: String, from daemon: RefbotProcess) async throws -> [ParsedMessage] {
        do {
            return try await bot.mailbox(user, atLeast: 1, timeout: .seconds(120))
        } catch {
            daemon.signal(SIGTERM)
            _ = await daemon.wait()
            Issue.record("refbot run's log:\n\(daemon.stderr.suffix(4000))")
            throw error
        }
    }

    /// Runs `body` with a fresh browser tab; afterwards closes the browser and stops the daemon,
    /// which must exit 0 when `body` succeeded.
    static func inBrowser(stopping daemon: RefbotProcess, _ body: (BrowserPage) async throws -> Void) async throws {
        let browser = try HeadlessBrowser.launch(width: 800, height: 720)
        do {
            try await body(try await browser.newPage())
        } catch {
            await browser.close()
            daemon.signal(SIGTERM)
            _ = await daemon.wait()
            throw error
        }
        await browser.close()
        daemon.signal(SIGTERM)
        #expect(await daemon.wait() == 0, "graceful stop: \(daemon.stderr.suffix(2000))")
    }

    @Test("JOIN → member.confirm → Chromium opens its link, the page acts on nothing, the button confirms")
    func confirmJoinInBrowser() async throws {
        try await BotFixture.with { bot in
            try await bot.send(
                from: "carol@example.test", name: "Carol Diaz", subject: "JOIN",
                body: "Name: Carol Diaz\nBusiness: Diaz Kitchens\nCity: Springfield", messageID: "join-web@example.test")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            let store = try Store(path: bot.databasePath)
            func carolState() async throws -> MemberState? {
                try await store.read { db in try StoreLedger(db).member(email: "carol@example.test")?.state }
            }

            let confirm = try #require(
                try await Self.mail(bot, "carol@example.test", from: daemon)
                    .first { $0.header("X-Refbot-Event") == "member.confirm" })
            let link = try #require(Self.webLink("CONFIRM", in: confirm, base: bot.webBase), "no web link in:\n\(confirm.textBody)")

            // A mail scanner fetches the link three times and asks for its headers: nothing happens.
            let session = URLSession(configuration: .ephemeral)
            for method in ["GET", "GET", "GET", "HEAD"] {
                var request = URLRequest(url: try #require(URL(string: link)))
                request.httpMethod = method
                let (_, response) = try await session.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(method) \(link)")
            }
            #expect(try await carolState() == .pending)

            try await Self.inBrowser(stopping: daemon) { page in
                // Opening the page (a person, or a scanner) changes nothing.
                #expect(try await page.navigate(to: link) == 200)
                let text = try await page.text()
                #expect(text.contains("Nothing happens until you press the button"), "page: \(text)")
                #expect(text.contains("CONFIRM"))
                try await page.screenshot(to: Self.artefacts + "/confirm-page.png")
                #expect(try await carolState() == .pending)

                // The mouse presses the button: the same command a CONFIRM reply runs.
                #expect(try await page.click("button[type=submit]") == 200)
                let done = try await page.text()
                #expect(done.contains("Done"), "page after the click: \(done)")
                try await page.screenshot(to: Self.artefacts + "/confirm-done.png")
                #expect(try await carolState() == .active)

                // The welcome arrives by mail, once.
                let mail = try await bot.mailbox("carol@example.test", atLeast: 2, timeout: .seconds(60))
                #expect(mail.filter { $0.header("X-Refbot-Event") == "member.welcome" }.count == 1)

                // The link is spent: opening it again says so and offers no button.
                #expect(try await page.navigate(to: link) == 410)
                #expect(try await page.evaluate("document.querySelectorAll('button').length") as? Int == 0)
                try await page.screenshot(to: Self.artefacts + "/confirm-used.png")
            }
            #expect(FileManager.default.fileExists(atPath: Self.artefacts + "/confirm-page.png"))
        }
    }

    @Test("CONNECT → connection.request → Chromium opens REJECT, types a reason, presses the button; the reason reaches the requester")
    func rejectWithReasonInBrowser() async throws {
        let trusted = "mx.example.test"
        try await BotFixture.with(extraSMTP: "[auth]\ntrusted_authserv_id = \"\(trusted)\"") { bot in
            // Alice and Bob are members; the database is made by a first pass.
            _ = try await bot.runOnce()
            let store = try Store(path: bot.databasePath)
            try await store.write { db in
                let ledger = StoreLedger(db)
                var alice = Member(email: "alice@example.test", name: "Alice Example", state: .active, credits: 10, joinedAt: 1_790_000_000)
                var bob = Member(
                    email: "bob@example.test", name: "Bob Roe", business: "Roe Kitchens", state: .active, credits: 10,
                    joinedAt: 1_790_000_000)
                try ledger.save(&alice)
                try ledger.save(&bob)
            }
            try await bot.send(
                subject: "CONNECT bob@example.test", body: "We share customers in Springfield.",
                extraHeaders: [SenderProof.header()])
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            func connectionState() async throws -> String? {
                try await store.read { db in try String.fetchOne(db, sql: "SELECT state FROM connection") }
            }

            let request = try #require(
                try await Self.mail(bot, "bob@example.test", from: daemon)
                    .first { $0.header("X-Refbot-Event") == "connection.request" })
            let link = try #require(Self.webLink("REJECT", in: request, base: bot.webBase), "no web link in:\n\(request.textBody)")

            try await Self.inBrowser(stopping: daemon) { page in
                #expect(try await page.navigate(to: link) == 200)
                #expect(try await page.text().contains("REJECT"))
                try await page.type("Thanks, but I only take work north of the river.", into: "#reason")
                try await page.screenshot(to: Self.artefacts + "/reject-page.png")
                #expect(try await connectionState() == "pending")

                #expect(try await page.click("button[type=submit]") == 200)
                #expect(try await page.text().contains("Done"))
                #expect(try await connectionState() == "rejected")

                // Alice already has the answer to her CONNECT: wait for the rejection itself.
                var answer: ParsedMessage?
                let deadline = ContinuousClock.now + .seconds(60)
                while answer == nil, ContinuousClock.now < deadline {
                    answer = try await bot.mailbox("alice@example.test", atLeast: 1, timeout: .seconds(60))
                        .first { $0.header("X-Refbot-Event") == "connection.rejected" }
                    if answer == nil { try await Task.sleep(for: .milliseconds(200)) }
                }
                let rejected = try #require(answer, "no connection.rejected for alice within 60 s")
                #expect(rejected.textBody.contains("Thanks, but I only take work north of the river."))
            }
        }
    }
}
