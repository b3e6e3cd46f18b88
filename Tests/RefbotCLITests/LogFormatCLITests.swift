import Foundation
import RefbotTestSupport
import Testing

/// `--log-format text|json` on the built binary.
@Suite("refbot --log-format")
struct LogFormatCLITests {
    @Test("run and admin announce explain --log-format in --help")
    func help() async throws {
        for arguments in [["run", "--help"], ["admin", "announce", "--help"]] {
            let result = try await RefbotProcess.run(arguments)
            #expect(result.status == 0)
            #expect(result.stdout.contains("--log-format"), "\(arguments): \(result.stdout)")
            #expect(result.stdout.contains("json"), "\(arguments): \(result.stdout)")
        }
    }

    @Test("Any value but text or json is a usage error that names the two that work")
    func badValue() async throws {
        let result = try await RefbotProcess.run(["run", "--once", "--config", "/nonexistent/refbot.toml", "--log-format", "xml"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("xml"), "\(result.stderr)")
        #expect(result.stderr.contains("'text'") && result.stderr.contains("'json'"), "\(result.stderr)")
    }

    @Test("refbot run --log-format json writes its log lines as JSON objects")
    func jsonLines() async throws {
        // The mail servers at port 1 do not answer: the pass logs its failure and exits 75.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let port = try freeLoopbackPort()
        let config = """
            [bot]
            address = "referrals@example.org"
            admins = ["admin@example.org"]
            database = "\(dir)/refbot.sqlite"
            templates = "\(RefbotProcess.packageRoot)/mail-templates"
            secret_file = "\(dir)/secret"
            [http]
            listen = "127.0.0.1:\(port)"
            metrics_listen = ""
            [imap]
            url = "imap://127.0.0.1:1/INBOX"
            username = "referrals@example.org"
            [smtp]
            url = "smtp://127.0.0.1:1"
            """
        try config.write(toFile: dir + "/refbot.toml", atomically: true, encoding: .utf8)
        let result = try await RefbotProcess.run(
            ["run", "--once", "--config", dir + "/refbot.toml", "--log-format", "json"],
            environment: ["REFBOT_IMAP_PASSWORD": "x", "REFBOT_SMTP_PASSWORD": "x"])
        #expect(result.status == 75, "\(result.stderr)")
        let lines = result.stderr.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("\"message\":\"Daemon starting\"") }, "\(result.stderr)")
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["level"] is String && object?["timestamp"] is String, "not a JSON log line: \(line)")
        }
    }
}
