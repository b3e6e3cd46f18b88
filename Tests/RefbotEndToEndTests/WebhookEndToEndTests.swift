import Foundation
import GRDB
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `scripts/webhook-receiver.py` on a loopback port: checks each POST's signature as a receiver
/// should (HMAC over "t.body", constant-time compare, stale t refused) and logs every request.
final class WebhookReceiver: @unchecked Sendable {
    struct Request: Decodable {
        var delivery: String
        var event: String
        var signature: String
        var duplicate: Bool
        var status: Int?
        var body: String
    }

    let process: Process
    let port: Int
    let logPath: String
    let secretPath: String
    var url: String { "http://127.0.0.1:\(port)/events" }

    static let script = RefbotProcess.packageRoot + "/scripts/webhook-receiver.py"

    /// Starts a receiver; `statuses` are answered in turn, `hang` never answers.
    init(directory: String, name: String, secret: String, statuses: String = "200", hang: Bool = false, port: Int = 0) async throws {
        secretPath = directory + "/\(name)-secret"
        logPath = directory + "/\(name)-requests.jsonl"
        try secret.write(toFile: secretPath, atomically: true, encoding: .utf8)
        chmod(secretPath, 0o600)
        let portFile = directory + "/\(name)-port-\(UUID().uuidString)"
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.script, "--secret-file", secretPath, "--port", "\(port)", "--port-file", portFile,
                             "--log", logPath, "--statuses", statuses] + (hang ? ["--hang"] : [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + .seconds(20)
        var found: Int?
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let value = Int(text) {
                found = value
                break
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        guard let found else {
            process.terminate()
            throw RefbotProcessError("the webhook receiver did not start")
        }
        self.port = found
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The requests logged so far.
    var requests: [Request] {
        guard let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { try? JSONDecoder().decode(Request.self, from: Data($0.utf8)) }
    }

    /// Waits (up to 30 s) until at least `count` requests are logged.
    func waitFor(_ count: Int) async throws -> [Request] {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let now = requests
            if now.count >= count { return now }
            try await Task.sleep(for: .milliseconds(100))
        }
        return requests
    }

    /// `webhook-receiver.py verify`: the receiver's own check of one saved request.
    func verify(signature: String, body: String, directory: String) throws -> String {
        let bodyPath = directory + "/body-\(UUID().uuidString)"
        try body.write(toFile: bodyPath, atomically: true, encoding: .utf8)
        let check = Process()
        check.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        check.arguments = ["python3", Self.script, "verify", "--secret-file", secretPath, "--signature", signature, "--body-file", bodyPath]
        let pipe = Pipe()
        check.standardOutput = pipe
        check.standardError = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        return String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Webhooks against a real HTTP receiver on loopback, with the real mail stack and the refbot binary.
@Suite("Webhooks against a real HTTP receiver", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct WebhookEndToEndTests {
    static let secret = "e2e-webhook-secret-0123456789abcdef"

    /// `[[webhooks]]` lines for `receivers` (url, extra lines).
    static func config(_ entries: [(WebhookReceiver, String)]) -> String {
        entries.map { receiver, extra in
            "[[webhooks]]\nurl = \"\(receiver.url)\"\nsecret_file = \"\(receiver.secretPath)\"\n\(extra)"
        }.joined(separator: "\n")
    }

    /// Writes the fixture's configuration again with `extra` appended.
    static func append(_ extra: String, to bot: BotFixture) throws {
        let text = try String(contentsOfFile: bot.configPath, encoding: .utf8)
        try (text + "\n" + extra + "\n").write(toFile: bot.configPath, atomically: true, encoding: .utf8)
    }

    func join(_ bot: BotFixture, _ who: String = "carol@example.test") async throws {
        try await bot.send(from: who, name: "Carol Diaz", subject: "JOIN", body: "Name: Carol Diaz\nBusiness: Diaz Kitchens")
        _ = try await bot.mailbox("bot@example.test", atLeast: 1)
    }

    @Test("A JOIN is posted signed; the receiver's check passes; a tampered body and a stale t fail it; a hanging receiver does not hold back another")
    func signedDeliveryAndHang() async throws {
        try await BotFixture.with { bot in
            let good = try await WebhookReceiver(directory: bot.directory, name: "good", secret: Self.secret)
            let hanging = try await WebhookReceiver(directory: bot.directory, name: "hang", secret: Self.secret, hang: true)
            defer {
                good.stop()
                hanging.stop()
            }
            // The hanging receiver is listed first: the other still gets its event in the same pass.
            try Self.append(Self.config([(hanging, "timeout_seconds = 2"), (good, "events = [\"member.confirm\"]")]), to: bot)
            try await join(bot)
            let result = try await bot.runOnce()
            #expect(result.status == 0, "stderr: \(result.stderr)")

            let requests = try await good.waitFor(1)
            let request = try #require(requests.first)
            #expect(request.event == "member.confirm")
            #expect(request.signature == "ok", "the receiver's HMAC check of refbot's signature")
            #expect(request.status == 200)
            let payload = try #require(try JSONSerialization.jsonObject(with: Data(request.body.utf8)) as? [String: Any])
            #expect(payload["event"] as? String == "member.confirm")
            #expect((payload["object"] as? [String: Any])?["id"] as? String == "carol@example.test")
            #expect(((payload["actor"] as? [String: Any])?["email"] as? String) == "carol@example.test")

            // The hanging receiver got the POST and was cut off after timeout_seconds: pending, retried later.
            #expect(try await hanging.waitFor(1).count == 1)
            let store = try Store(path: bot.databasePath)
            let rows = try await store.read { db in try WebhookQueue.all(in: db) }
            let cutOff = try #require(rows.first { $0.url == hanging.url })
            #expect(cutOff.state == .pending && cutOff.attempts == 1)
            #expect(cutOff.lastError?.contains("did not answer within 2 s") == true, "\(cutOff.lastError ?? "-")")
            #expect(rows.first { $0.url == good.url }?.state == .delivered)

            // What a receiver sees of refbot's signature, checked again with the receiver's own code:
            let signature = WebhookSignature.header(body: request.body, secret: Self.secret, timestamp: Int64(Date().timeIntervalSince1970))
            #expect(try good.verify(signature: signature, body: request.body, directory: bot.directory) == "ok")
            let tampered = request.body.replacingOccurrences(of: "carol@example.test", with: "mallory@example.test")
            #expect(tampered != request.body)
            #expect(try good.verify(signature: signature, body: tampered, directory: bot.directory) == "mismatch")
            let old = WebhookSignature.header(body: request.body, secret: Self.secret, timestamp: Int64(Date().timeIntervalSince1970) - 3600)
            #expect(try good.verify(signature: old, body: request.body, directory: bot.directory) == "stale")
            let otherSecret = WebhookSignature.header(body: request.body, secret: "not-the-secret-0123456789", timestamp: Int64(Date().timeIntervalSince1970))
            #expect(try good.verify(signature: otherSecret, body: request.body, directory: bot.directory) == "mismatch")
        }
    }

    @Test("A receiver that answers 500 then 200 gets the event again, with the same Refbot-Delivery, and the next event of the member after it")
    func retriedInOrder() async throws {
        try await BotFixture.with(extraSMTP: "[auth]\ntrusted_authserv_id = \"mx.example.test\"") { bot in
            let receiver = try await WebhookReceiver(directory: bot.directory, name: "flaky", secret: Self.secret, statuses: "500,200")
            defer { receiver.stop() }
            try Self.append(Self.config([(receiver, "min_backoff_seconds = 1\nmax_backoff_seconds = 1")]), to: bot)
            try await join(bot)
            #expect(try await bot.runOnce().status == 0)
            #expect(try await receiver.waitFor(1).map(\.status) == [500])

            let confirm = try #require(try await bot.mailbox("carol@example.test", atLeast: 1).first { $0.header("X-Refbot-Event") == "member.confirm" })
            try await bot.reply(from: "carol@example.test", to: confirm, body: "CONFIRM")
            _ = try await bot.mailbox("bot@example.test", atLeast: 1)
            // Passes until both events are delivered (each pass posts what is due; the retry waits ~1 s).
            for _ in 0..<20 where receiver.requests.filter({ $0.status == 200 }).count < 2 {
                #expect(try await bot.runOnce().status == 0)
                try await Task.sleep(for: .milliseconds(300))
            }
            let requests = receiver.requests
            #expect(requests.map(\.event) == ["member.confirm", "member.confirm", "member.welcome"])
            #expect(requests.map(\.status) == [500, 200, 200])
            #expect(requests[0].delivery == requests[1].delivery && requests[0].body == requests[1].body)
            #expect(requests[2].delivery != requests[0].delivery)
            #expect(requests.allSatisfy { $0.signature == "ok" })
        }
    }

    @Test("Given up after max_attempts: webhook.failed reaches the admin's INBOX; refbot admin webhooks --failed lists it and --retry posts it again")
    func giveUpNoticeAndRetry() async throws {
        try await BotFixture.with { bot in
            let receiver = try await WebhookReceiver(directory: bot.directory, name: "down", secret: Self.secret, statuses: "500,500,200")
            defer { receiver.stop() }
            try Self.append(Self.config([(receiver, "max_attempts = 2\nmin_backoff_seconds = 1\nmax_backoff_seconds = 1")]), to: bot)
            try await join(bot)
            #expect(try await bot.runOnce().status == 0)
            for _ in 0..<20 where receiver.requests.count < 2 {
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await bot.runOnce().status == 0)
            }
            let notices = try await bot.mailbox("admin@example.test", atLeast: 1)
            let notice = try #require(notices.first { $0.header("X-Refbot-Event") == "webhook.failed" })
            #expect(notice.subject.contains(receiver.url))
            #expect(notice.textBody.contains("member.confirm about carol@example.test"))
            #expect(notice.textBody.contains("refbot admin webhooks --failed --retry"))

            let listed = try await RefbotProcess.run(["admin", "webhooks", "--failed", "--config", bot.configPath])
            #expect(listed.status == 0, "\(listed.stderr)")
            #expect(listed.stdout.contains("member.confirm") && listed.stdout.contains("HTTP 500"), "\(listed.stdout)")
            let retried = try await RefbotProcess.run(["admin", "webhooks", "--failed", "--retry", "--config", bot.configPath])
            #expect(retried.stdout.contains("1 failed webhook delivery queued again"), "\(retried.stdout)")
            #expect(try await bot.runOnce().status == 0)
            let requests = try await receiver.waitFor(3)
            #expect(requests.map(\.status) == [500, 500, 200])
            #expect(Set(requests.map(\.delivery)).count == 1, "the retry keeps its Refbot-Delivery id")
        }
    }

    @Test("kill -9 while the POST is in flight: after the restart the event is delivered, with the same Refbot-Delivery id")
    func killNineMidPost() async throws {
        try await BotFixture.with { bot in
            let hanging = try await WebhookReceiver(directory: bot.directory, name: "slow", secret: Self.secret, hang: true)
            let port = hanging.port
            try Self.append(Self.config([(hanging, "timeout_seconds = 30")]), to: bot)
            try await join(bot)
            let daemon = try RefbotProcess.start(["run", "--config", bot.configPath], environment: bot.environment)
            let first = try await hanging.waitFor(1)
            daemon.signal(SIGKILL)
            _ = await daemon.wait()
            hanging.stop()
            let inFlight = try #require(first.first)
            #expect(inFlight.event == "member.confirm")

            // The receiver is back, answering at once, on the same url.
            let back = try await WebhookReceiver(directory: bot.directory, name: "back", secret: Self.secret, port: port)
            defer { back.stop() }
            #expect(try await bot.runOnce().status == 0)
            let after = try await back.waitFor(1)
            #expect(after.map(\.delivery) == [inFlight.delivery], "at least once, with the same id to drop a duplicate by")
            #expect(after.first?.body == inFlight.body)
            #expect(after.first?.signature == "ok")
            let store = try Store(path: bot.databasePath)
            #expect(try await store.read { db in try WebhookQueue.all(in: db) }.map(\.state) == [.delivered])
        }
    }
}
