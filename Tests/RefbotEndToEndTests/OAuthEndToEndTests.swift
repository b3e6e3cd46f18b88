import Foundation

import Logging
import RefbotCore
import RefbotCurl
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// OAuth2 logins (issue 11 §1) against the real Dovecot and Postfix, which check each token with the
/// test OAuth2 server (`scripts/mailstack/oauth-server.py`) through Dovecot's oauth2 passdb; refbot
/// gets its tokens from that server's token endpoint, or from a `token_command`.
@Suite("OAuth2 logins against real mail servers", .serialized, .enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
struct OAuthEndToEndTests {
    /// Runs `body` with a stack whose Dovecot and Postfix take `mechanisms`, and a scratch folder.
    static func withStack(
        mechanisms: String = "xoauth2 oauthbearer", _ body: (MailStack, OAuthTestServer, String) async throws -> Void
    ) async throws {
        try TestEnvironment.requireServers()
        let stack = try await MailStack.start(oauthMechanisms: mechanisms)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-oauth-\(UUID().uuidString)").path
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try await body(stack, OAuthTestServer(stack: stack), folder)
        } catch {
            await stack.stop()
            try? FileManager.default.removeItem(atPath: folder)
            throw error
        }
        await stack.stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    static func oauthSettings(_ server: OAuthTestServer, folder: String, refreshToken: String) throws -> Configuration.OAuth {
        var settings = Configuration.OAuth()
        settings.tokenURL = server.tokenURL
        settings.clientID = "refbot-test"
        settings.refreshTokenFile = folder + "/refresh-token"
        try RefreshTokenFile.write(refreshToken, to: settings.refreshTokenFile)
        return settings
    }

    static func mailboxSettings(_ stack: MailStack, auth: MailAuthMechanism) -> IMAPServerSettings {
        var settings = stack.imapSettings(user: "bot@example.test", password: "")
        settings.auth = auth
        return settings
    }

    static func submitterSettings(_ stack: MailStack, auth: MailAuthMechanism) -> SMTPServerSettings {
        var settings = stack.smtpSettings(user: "bot@example.test", password: "")
        settings.auth = auth
        return settings
    }

    static func mail(to recipient: String, subject: String) -> OutgoingMail {
        let raw = "From: bot@example.test\r\nTo: \(recipient)\r\nSubject: \(subject)\r\nMessage-ID: <\(UUID().uuidString)@example.test>\r\n\r\nHello.\r\n"
        return OutgoingMail(envelopeFrom: "bot@example.test", recipients: [recipient], data: Array(raw.utf8))
    }

    static func dovecotLog(_ stack: MailStack) -> String {
        (try? String(contentsOfFile: stack.directory + "/log/dovecot.log", encoding: .utf8)) ?? ""
    }

    // MARK: - Reading and sending with a token

    @Test("with XOAUTH2 (all Exchange Online offers), a token from the refresh token reads the inbox and sends through Postfix")
    func xoauth2ReadsAndSends() async throws {
        try await Self.withStack(mechanisms: "xoauth2") { stack, server, folder in
            let refresh = try server.setUp()
            let pool = CurlThreadPool(threads: 1)
            let tokens = OAuthTokenSource(
                settings: try Self.oauthSettings(server, folder: folder, refreshToken: refresh), pool: pool, logger: .quiet)
            try await stack.deliver(Array("Subject: hello\r\n\r\nHi\r\n".utf8), from: "alice@example.test", to: ["bot@example.test"])
            let mailbox = IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens)
            var listing = try await mailbox.listInbox()
            for _ in 0..<100 where listing.uids.isEmpty {
                try await Task.sleep(for: .milliseconds(50))
                listing = try await mailbox.listInbox()
            }
            #expect(listing.uids.count == 1)
            let submitter = CurlSMTPSubmitter(settings: Self.submitterSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens)
            let results = await submitter.submit([Self.mail(to: "alice@example.test", subject: "over xoauth2")])
            #expect(results.count == 1)
            if case .failure(let error)? = results.first { Issue.record("submission failed: \(error)") }
            let received = try await stack.messages(user: "alice@example.test", password: "alicepass")
            #expect(received.contains { String(decoding: $0.raw, as: UTF8.self).contains("Subject: over xoauth2") })
            #expect(try server.count("refresh_token") == 1, "one token served both logins")
            #expect(Self.dovecotLog(stack).contains("method=XOAUTH2"))
            await pool.shutdown()
        }
    }

    @Test("with OAUTHBEARER, the token logs in to IMAP and to SMTP")
    func oauthbearerLogsIn() async throws {
        try await Self.withStack { stack, server, folder in
            let refresh = try server.setUp()
            let pool = CurlThreadPool(threads: 1)
            let tokens = OAuthTokenSource(
                settings: try Self.oauthSettings(server, folder: folder, refreshToken: refresh), pool: pool, logger: .quiet)
            try await IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .oauthbearer), pool: pool, tokens: tokens)
                .checkLogin()
            try await CurlSMTPSubmitter(settings: Self.submitterSettings(stack, auth: .oauthbearer), pool: pool, tokens: tokens)
                .checkLogin()
            #expect(Self.dovecotLog(stack).contains("method=OAUTHBEARER"))
            await pool.shutdown()
        }
    }

    // MARK: - Refreshing

    @Test("an access token the provider no longer takes is refreshed once, and IMAP and SMTP then succeed")
    func expiredTokenIsRefreshedOnce() async throws {
        try await Self.withStack { stack, server, folder in
            let refresh = try server.setUp()
            let pool = CurlThreadPool(threads: 1)
            let tokens = OAuthTokenSource(
                settings: try Self.oauthSettings(server, folder: folder, refreshToken: refresh), pool: pool, logger: .quiet)
            try await IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens).checkLogin()
            #expect(try server.count("refresh_token") == 1)

            // the provider expires the token early (revoked, or its clock differs); refbot still thinks it good
            try server.expireAccessTokens()
            _ = try await IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens)
                .listInbox()
            #expect(try server.count("refresh_token") == 2)

            try server.expireAccessTokens()
            let results = await CurlSMTPSubmitter(settings: Self.submitterSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens)
                .submit([Self.mail(to: "carol@example.test", subject: "after refresh")])
            if case .failure(let error)? = results.first { Issue.record("submission failed: \(error)") }
            #expect(try server.count("refresh_token") == 3)
            _ = try await stack.messages(user: "carol@example.test", password: "carolpass")
            await pool.shutdown()
        }
    }

    @Test("a server that refuses even the refreshed token gets no further refresh: never a loop")
    func refusedAfterRefreshDoesNotLoop() async throws {
        try await Self.withStack { stack, server, folder in
            // tokens for another user: Dovecot refuses every one of them for bot@
            let refresh = try server.setUp(user: "mallory@example.test")
            let pool = CurlThreadPool(threads: 1)
            let tokens = OAuthTokenSource(
                settings: try Self.oauthSettings(server, folder: folder, refreshToken: refresh), pool: pool, logger: .quiet)
            for _ in 0..<3 {
                let mailbox = IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens)
                await #expect(throws: TransportError.permanent(.authentication, "")) { try await mailbox.listInbox() }
                let results = await CurlSMTPSubmitter(
                    settings: Self.submitterSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens
                ).submit([Self.mail(to: "carol@example.test", subject: "never")])
                #expect(results.count == 1)
                if case .success? = results.first { Issue.record("the refused login sent mail") }
            }
            #expect(try server.count("refresh_token") == 2, "the first token, and one refresh after the first refusal")
            await pool.shutdown()
        }
    }

    @Test("after a refused refresh the token endpoint is left alone, and reported once, until the refresh token file is replaced")
    func refusedRefreshQuietsUntilNewToken() async throws {
        try await Self.withStack { _, server, folder in
            let refresh = try server.setUp()
            let settings = try Self.oauthSettings(server, folder: folder, refreshToken: "rt-revoked")
            let pool = CurlThreadPool(threads: 1)
            let reports = Mutex(0)
            let tokens = OAuthTokenSource(
                settings: settings, pool: pool, logger: .quiet, onRefusal: { _ in reports.withLock { $0 += 1 } })
            for _ in 0..<3 {
                do {
                    _ = try await tokens.accessToken(replacing: nil)
                    Issue.record("a revoked refresh token gave an access token")
                } catch let error as TransportError {
                    #expect(error.isTemporary, "mail waits; nothing fails for good")
                    #expect(error.message.contains("invalid_grant"))
                }
            }
            #expect(try server.count("refresh_token") == 1, "one request, then quiet")
            #expect(reports.withLock { $0 } == 1)

            // the admin signs in again (refbot auth login replaces the file)
            try RefreshTokenFile.write(refresh, to: settings.refreshTokenFile)
            _ = try await tokens.accessToken(replacing: nil)
            #expect(try server.count("refresh_token") == 2)
            await pool.shutdown()
        }
    }

    @Test("a rotated refresh token is written back atomically with mode 0600, and the old one is not used again")
    func rotatedRefreshTokenIsSaved() async throws {
        try await Self.withStack { stack, server, folder in
            let refresh = try server.setUp()
            try server.update { $0["rotate"] = true }
            let settings = try Self.oauthSettings(server, folder: folder, refreshToken: refresh)
            chmod(settings.refreshTokenFile, 0o644)  // the rewrite must not keep a looser mode
            let pool = CurlThreadPool(threads: 1)
            let tokens = OAuthTokenSource(settings: settings, pool: pool, logger: .quiet)
            try await IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens).checkLogin()

            let saved = try String(contentsOfFile: settings.refreshTokenFile, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(saved != refresh)
            #expect(try server.refreshTokens() == [saved], "the file holds the one refresh token the provider still honours")
            var info = stat()
            #expect(stat(settings.refreshTokenFile, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".tmp") }
            #expect(leftovers.isEmpty)

            // a second rotation starts from the saved token
            try server.expireAccessTokens()
            try await IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens).checkLogin()
            let second = try String(contentsOfFile: settings.refreshTokenFile, encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(second != saved)
            #expect(try server.refreshTokens() == [second])
            await pool.shutdown()
        }
    }

    @Test("the client-credentials grant (Microsoft 365 app-only) logs in with the client secret alone")
    func clientCredentialsLogIn() async throws {
        try await Self.withStack(mechanisms: "xoauth2") { stack, server, folder in
            try server.setUp(clientID: "refbot-app", secret: "s3cret")
            var settings = Configuration.OAuth()
            settings.grant = "client_credentials"
            settings.tokenURL = server.tokenURL
            settings.clientID = "refbot-app"
            settings.clientSecret = "s3cret"
            settings.scope = "https://outlook.office365.com/.default"
            let pool = CurlThreadPool(threads: 1)
            let tokens = OAuthTokenSource(settings: settings, pool: pool, logger: .quiet)
            try await IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens).checkLogin()
            #expect(try server.count("client_credentials") == 1)
            await pool.shutdown()
        }
    }

    /// Makes a self-signed certificate and its RSA key with the openssl program; returns their paths.
    static func makeCertificate(in folder: String, name: String) throws -> (certificate: String, key: String) {
        let certificate = folder + "/\(name).pem"
        let key = folder + "/\(name)-key.pem"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=refbot-\(name)",
            "-keyout", key, "-out", certificate,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw MailStackError("openssl could not make a certificate") }
        return (certificate, key)
    }

    @Test("the client-credentials grant with a certificate signs a client assertion the token endpoint verifies; another key is refused")
    func clientCertificateLogsIn() async throws {
        try await Self.withStack(mechanisms: "xoauth2") { stack, server, folder in
            try server.setUp(clientID: "refbot-app", secret: "unused")
            let registered = try Self.makeCertificate(in: folder, name: "registered")
            let other = try Self.makeCertificate(in: folder, name: "other")
            try server.update { $0["client_certs"] = ["refbot-app": registered.certificate] }
            var settings = Configuration.OAuth()
            settings.grant = "client_credentials"
            settings.tokenURL = server.tokenURL
            settings.clientID = "refbot-app"
            settings.clientCertificateFile = registered.certificate
            settings.clientKeyFile = registered.key
            let pool = CurlThreadPool(threads: 1)
            let tokens = OAuthTokenSource(settings: settings, pool: pool, logger: .quiet)
            try await IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens).checkLogin()
            #expect(try server.count("assertion_verified") == 1)

            // the registered certificate with someone else's key: the signature does not verify
            settings.clientKeyFile = other.key
            let forged = OAuthTokenSource(settings: settings, pool: pool, logger: .quiet)
            do {
                _ = try await forged.accessToken(replacing: nil)
                Issue.record("an assertion signed with another key was taken")
            } catch let error as TransportError {
                #expect(error.message.contains("invalid_client"))
            }
            #expect(try server.count("assertion_verified") == 1)
            await pool.shutdown()
        }
    }

    // MARK: - token_command

    @Test("a token_command's token logs in; its standard error is logged")
    func tokenCommandLogsIn() async throws {
        try await Self.withStack { stack, server, folder in
            let token = try server.issueAccessToken()
            let script = folder + "/get-token"
            try "#!/bin/sh\necho 'helper: using cached token' >&2\necho '\(token)'\n".write(toFile: script, atomically: true, encoding: .utf8)
            chmod(script, 0o755)
            var settings = Configuration.OAuth()
            settings.tokenCommand = [script]
            let pool = CurlThreadPool(threads: 1)
            let log = LogCapture()
            let tokens = OAuthTokenSource(settings: settings, pool: pool, logger: log.logger)
            try await IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens).checkLogin()
            #expect(log.lines.contains { $0.contains("stderr=helper: using cached token") })
            #expect(try server.count("refresh_token") == 0)
            await pool.shutdown()
        }
    }

    @Test("a token_command that prints garbage is refused with a clear error and nothing reaches the server")
    func tokenCommandGarbage() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-oauth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = folder + "/get-token"
        // a SASL-breaking token: a space and ^A would end the XOAUTH2 message and start another field
        try "#!/bin/sh\nprintf 'abc\\001auth=Bearer x def\\n'\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        var settings = Configuration.OAuth()
        settings.tokenCommand = [script]
        let pool = CurlThreadPool(threads: 1)
        let tokens = OAuthTokenSource(settings: settings, pool: pool, logger: .quiet)
        do {
            _ = try await tokens.accessToken(replacing: nil)
            Issue.record("garbage was taken as a token")
        } catch {
            #expect(error.isTemporary)
            #expect(error.message.contains("did not print an access token"))
        }
        await pool.shutdown()
    }

    @Test("a token_command that hangs is killed after its timeout and reported")
    func tokenCommandHangs() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-oauth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let script = folder + "/get-token"
        try "#!/bin/sh\necho $$ > '\(folder)/pid'\nexec sleep 600\n".write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        var settings = Configuration.OAuth()
        settings.tokenCommand = [script]
        settings.tokenCommandTimeoutSeconds = 1
        let pool = CurlThreadPool(threads: 1)
        let tokens = OAuthTokenSource(settings: settings, pool: pool, logger: .quiet)
        do {
            _ = try await tokens.accessToken(replacing: nil)
            Issue.record("a hanging command gave a token")
        } catch {
            #expect(error.message.contains("still running after 1 s and was killed"))
        }
        let pid = pid_t(try String(contentsOfFile: folder + "/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        #expect(pid > 0)
        #expect(kill(pid, 0) != 0, "the program is gone")
        await pool.shutdown()
    }

    // MARK: - refbot auth login

    @Test("auth login's device-code flow shows the page and code, polls until approved, and writes the refresh token 0600")
    func deviceCodeLogin() async throws {
        try await Self.withStack { stack, server, folder in
            try server.setUp()
            try server.update { $0["device_approve_after"] = 2 }
            var settings = Configuration.OAuth()
            settings.tokenURL = server.tokenURL
            settings.deviceCodeURL = server.deviceCodeURL
            settings.clientID = "refbot-test"
            settings.scope = "offline_access https://outlook.office365.com/IMAP.AccessAsUser.All"
            settings.refreshTokenFile = folder + "/refresh-token"
            let pool = CurlThreadPool(threads: 1)
            let printed = Mutex<[String]>([])
            var login = OAuthLogin(
                settings: settings, pool: pool, say: { line in printed.withLock { $0.append(line) } }, readLine: { nil })
            login.sleep = { _ in }
            let refresh = try await login.deviceCode()
            let text = printed.withLock { $0.joined(separator: "\n") }
            #expect(text.contains("http://127.0.0.1/device"))
            #expect(text.contains("TEST-CODE"))
            #expect(try server.count("urn:ietf:params:oauth:grant-type:device_code") == 3, "two pending answers, then the token")
            #expect(try server.refreshTokens().contains(refresh))
            #expect(try String(contentsOfFile: settings.refreshTokenFile, encoding: .utf8).trimmingCharacters(in: .newlines) == refresh)
            var info = stat()
            #expect(stat(settings.refreshTokenFile, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            // and the token it wrote works for the daemon
            let tokens = OAuthTokenSource(settings: settings, pool: pool, logger: .quiet)
            try await IMAPMailbox(settings: Self.mailboxSettings(stack, auth: .xoauth2), pool: pool, tokens: tokens).checkLogin()
            await pool.shutdown()
        }
    }

    @Test("refbot auth login (device code) prints the page and the code, and writes the token file for the daemon")
    func authLoginCommand() async throws {
        try await Self.withStack { stack, server, folder in
            try server.setUp()
            try server.update { $0["device_approve_after"] = 0 }
            let configPath = folder + "/refbot.toml"
            try """
                [bot]
                address = "bot@example.test"
                database = "\(folder)/refbot.sqlite"
                [imap]
                url = "imaps://127.0.0.1:\(stack.imapsPort)/INBOX"
                username = "bot@example.test"
                auth = "xoauth2"
                [smtp]
                url = "smtps://127.0.0.1:\(stack.smtpsPort)"
                username = "bot@example.test"
                auth = "xoauth2"
                [oauth]
                token_url = "\(server.tokenURL)"
                device_code_url = "\(server.deviceCodeURL)"
                client_id = "refbot-test"
                refresh_token_file = "\(folder)/refresh-token"
                """.write(toFile: configPath, atomically: true, encoding: .utf8)
            let result = try await RefbotProcess.run(["auth", "login", "--config", configPath])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stdout.contains("http://127.0.0.1/device"))
            #expect(result.stdout.contains("TEST-CODE"))
            let saved = try String(contentsOfFile: folder + "/refresh-token", encoding: .utf8).trimmingCharacters(in: .newlines)
            #expect(try server.refreshTokens().contains(saved))
        }
    }

    @Test("check-config gets a token and logs in with it; a missing or refused refresh token is answered with refbot auth login")
    func checkConfigWithOAuth() async throws {
        try await Self.withStack { stack, server, folder in
            let refresh = try server.setUp()
            let configPath = folder + "/refbot.toml"
            try """
                [bot]
                address = "bot@example.test"
                database = "\(folder)/refbot.sqlite"
                templates = "\(RefbotProcess.packageRoot)/mail-templates"
                secret_file = "\(folder)/secret"
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
                refresh_token_file = "\(folder)/refresh-token"
                """.write(toFile: configPath, atomically: true, encoding: .utf8)
            let check = { try await RefbotProcess.run(["check-config", "--config", configPath]) }

            let missing = try await check()
            #expect(missing.status == 78)
            #expect(missing.stderr.contains("does not exist yet; run refbot auth login"), "\(missing.stderr)")

            try RefreshTokenFile.write(refresh, to: folder + "/refresh-token")
            let good = try await check()
            #expect(good.status == 0, "\(good.stdout)\n\(good.stderr)")
            #expect(good.stdout.contains("ok    OAuth2 access token from \(server.tokenURL)"))
            #expect(good.stdout.contains("ok    IMAP login"))
            #expect(good.stdout.contains("ok    SMTP login"))

            try server.update { $0["refuse"] = true }
            let refused = try await check()
            #expect(refused.status == 78)
            #expect(refused.stderr.contains("invalid_grant"))
            #expect(refused.stderr.contains("run refbot auth login"))
        }
    }

    @Test("auth login's PKCE flow sends an S256 challenge, takes the pasted redirect address and writes the refresh token")
    func pkceLogin() async throws {
        try await Self.withStack { _, server, folder in
            try server.setUp()
            var settings = Configuration.OAuth()
            settings.tokenURL = server.tokenURL
            settings.authorizeURL = server.authorizeURL
            settings.clientID = "refbot-test"
            settings.scope = "https://mail.google.com/"
            settings.refreshTokenFile = folder + "/refresh-token"
            let pool = CurlThreadPool(threads: 1)
            let printed = Mutex<[String]>([])
            let login = OAuthLogin(
                settings: settings, pool: pool, say: { line in printed.withLock { $0.append(line) } },
                readLine: {
                    // the admin opens the printed address, consents, and pastes where the browser went
                    let address = printed.withLock { $0 }.map { $0.trimmingCharacters(in: .whitespaces) }
                        .first { $0.hasPrefix("http://127.0.0.1:\(server.port)/authorize?") } ?? ""
                    return try? OAuthTestServer.consent(at: address)
                })
            let refresh = try await login.pkce(redirectURI: "http://127.0.0.1:8976/")
            #expect(printed.withLock { $0 }.contains { $0.contains("code_challenge_method=S256") })
            #expect(try server.count("authorization_code") == 1)
            #expect(try server.count("pkce_mismatch") == 0, "the verifier matched the challenge")
            #expect(try server.refreshTokens().contains(refresh))
            #expect(FileManager.default.fileExists(atPath: settings.refreshTokenFile))
            await pool.shutdown()
        }
    }

    @Test("auth login refuses a pasted address from another sign-in (state mismatch) and writes nothing")
    func pkceLoginRefusesForeignState() async throws {
        try await Self.withStack { _, server, folder in
            try server.setUp()
            var settings = Configuration.OAuth()
            settings.tokenURL = server.tokenURL
            settings.authorizeURL = server.authorizeURL
            settings.clientID = "refbot-test"
            settings.refreshTokenFile = folder + "/refresh-token"
            let pool = CurlThreadPool(threads: 1)
            // an attacker's own authorization code, planted through a link the admin pastes
            let login = OAuthLogin(
                settings: settings, pool: pool, say: { _ in },
                readLine: { "http://127.0.0.1:8976/?code=attacker-code&state=guessed" })
            await #expect(throws: OAuthLogin.Failure.self) { try await login.pkce(redirectURI: "http://127.0.0.1:8976/") }
            #expect(try server.count("authorization_code") == 0, "the code was never exchanged")
            #expect(!FileManager.default.fileExists(atPath: settings.refreshTokenFile))
            await pool.shutdown()
        }
    }
}

/// Collects log lines as `message key=value …`.
final class LogCapture: Sendable {
    private let stored = Mutex<[String]>([])
    var lines: [String] { stored.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in Handler(capture: self) }
    }

    fileprivate func add(_ line: String) { stored.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(
            level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String,
            function: String, line: UInt
        ) {
            let fields = (self.metadata.merging(metadata ?? [:]) { $1 }).sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.add("\(message) \(fields)")
        }
    }
}

extension Logger {
    static var quiet: Logger { Logger(label: "test") { _ in SwiftLogNoOpLogHandler() } }
}
