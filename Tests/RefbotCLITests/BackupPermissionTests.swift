import Foundation
import RefbotTestSupport
import Testing

/// `refbot admin backup` writes a file only its owner can read, whatever the umask.
@Suite("refbot admin backup: file mode")
struct BackupPermissionTests {
    @Test("the backup is created 0600 even under umask 000")
    func backupIsPrivate() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-backup-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = dir + "/refbot.toml"
        try """
            [bot]
            address = "referrals@example.org"
            admins = ["admin@example.org"]
            database = "\(dir)/refbot.sqlite"
            templates = "\(RefbotProcess.packageRoot)/mail-templates"
            [imap]
            url = "imaps://127.0.0.1:1/INBOX"
            username = "referrals@example.org"
            [smtp]
            url = "smtps://127.0.0.1:1"
            """.write(toFile: config, atomically: true, encoding: .utf8)
        try await RefbotProcess.createDatabase(configPath: config, environment: ["REFBOT_IMAP_PASSWORD": "x"])
        let binary = try RefbotProcess.binaryPath()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "umask 000 && exec \"$0\" admin backup --config \"$1\" \"$2\"", binary, config, dir + "/copy.sqlite"]
        process.environment = ["REFBOT_IMAP_PASSWORD": "x", "REFBOT_SMTP_PASSWORD": "x", "PATH": "/usr/bin:/bin"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        process.waitUntilExit()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(stderr)")
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/copy.sqlite")
        let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
        #expect(mode == 0o600, "mode \(String(mode, radix: 8))")
        #expect((attributes[.size] as? NSNumber)?.intValue ?? 0 > 0)
    }
}
