import Foundation
import GRDB
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Testing

/// The daemon (`refbot run --once`) on OAuth2 against the real servers: what an admin sees when the
/// provider refuses the refresh token, and that no mail is lost meanwhile.
@Suite("refbot on OAuth2 against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct OAuthDaemonEndToEndTests {
    @Test("a refused refresh is logged once a run, mails the admins once, and mail waits until the token works again")
    func refusedRefreshKeepsQueues() async throws {
        try TestEnvironment.requireServers()
        let stack = try await MailStack.start(oauthMechanisms: "xoauth2")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-oauth-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let server = OAuthTestServer(stack: stack)
            let refresh = try server.setUp()
            try "\(refresh)\n".write(toFile: directory + "/refresh-token", atomically: true, encoding: .utf8)
            let configPath = directory + "/refbot.toml"
            let httpPort = try freeLoopbackPort()
            try """
                [bot]
                address = "bot@example.test"
                name = "Test Referral Network"
                admins = ["admin@example.test"]
                database = "\(directory)/refbot.sqlite"
                templates = "\(RefbotProcess.packageRoot)/mail-templates"
                secret_file = "\(directory)/secret"
                base_url = "http://127.0.0.1:\(httpPort)"
                [http]
                listen = "127.0.0.1:\(httpPort)"
                metrics_listen = ""
                [imap]
                url = "imaps://127.0.0.1:\(stack.imapsPort)/INBOX"
                username = "bot@example.test"
                auth = "xoauth2"
                ca_file = "\(stack.caFile)"
                [smtp]
                url = "smtps://127.0.0.1:\(stack.smtpsPort)"
                username = "bot@example.test"
                auth = "xoauth2"
                ca_file = "\(stack.caFile)"
                [oauth]
                token_url = "\(server.tokenURL)"
                client_id = "refbot-test"
                refresh_token_file = "\(directory)/refresh-token"
                """.write(toFile: configPath, atomically: true, encoding: .utf8)
            let run = { try await RefbotProcess.run(["run", "--once", "--config", configPath]) }

            // a first run takes a HELP in and queues its answer
            let help = "From: Alice <alice@example.test>\r\nTo: bot@example.test\r\nSubject: help\r\nMessage-ID: <\(UUID().uuidString)@example.test>\r\n\r\nHELP\r\n"
            try await stack.deliver(Array(help.utf8), from: "alice@example.test", to: ["bot@example.test"])
            try server.update { $0["refuse"] = true }
            let first = try await run()
            let refusals = first.stderr.components(separatedBy: "OAuth2 token refused").count - 1
            #expect(refusals == 1, "one log line for the refusal: \(first.stderr)")
            _ = try await run()

            // nothing lost: the HELP is still in the bot's inbox (read with its password), nothing was sent
            let inbox = try await stack.messages(user: "bot@example.test", password: "botpass")
            #expect(inbox.contains { String(decoding: $0.raw, as: UTF8.self).contains("Subject: help") })
            let store = try Store(path: directory + "/refbot.sqlite")
            let notices = try await store.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE event = 'oauth.refused'") ?? 0
            }
            #expect(notices == 1, "two runs, one notice for the admins")
            let sent = try await store.read { db in
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outboxMessage WHERE state != 'pending'") ?? 0
            }
            #expect(sent == 0)

            // the admin signs in again: the next run reads the HELP, answers it, and the notice goes out
            // (its retry time, pushed back while SMTP could not log in, has come by then)
            try server.update { $0["refuse"] = false }
            try await store.write { db in
                try db.execute(sql: "UPDATE outboxMessage SET nextAttemptAt = 0 WHERE event = 'oauth.refused'")
            }
            _ = try await run()
            let alice = try await stack.messages(user: "alice@example.test", password: "alicepass")
            #expect(alice.contains { String(decoding: $0.raw, as: UTF8.self).contains("X-Refbot-Event: help") })
            let admin = try await stack.messages(user: "admin@example.test", password: "adminpass")
            let refusedMails = try admin.map { try MessageParser.parse($0.raw) }.filter { $0.header("X-Refbot-Event") == "oauth.refused" }
            #expect(refusedMails.count == 1)
            #expect(refusedMails.first?.header("Subject")?.contains("cannot log in") == true)
        } catch {
            await stack.stop()
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        await stack.stop()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
