import Foundation
import RefbotTestSupport

/// A configuration in a new folder whose mail servers are never reached, for admin commands run
/// as the built binary against its database; the sqlite3 shell sets the database up and reads it.
struct AdminCLIDatabase {
    /// The sqlite3 shell, when installed.
    static let sqlite3: String? = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// Removed with the last copy of this value.
    private let folder: TemporaryDirectory
    var directory: String { folder.path }
    let configPath: String
    let environment = ["REFBOT_IMAP_PASSWORD": "x", "REFBOT_SMTP_PASSWORD": "x"]

    init() throws {
        folder = try TemporaryDirectory()
        let directory = folder.path
        configPath = directory + "/refbot.toml"
        try """
            [bot]
            address = "referrals@example.org"
            admins = ["admin@example.org"]
            database = "\(directory)/refbot.sqlite"
            templates = "\(RefbotProcess.packageRoot)/mail-templates"
            [imap]
            url = "imaps://127.0.0.1:1/INBOX"
            username = "referrals@example.org"
            [smtp]
            url = "smtps://127.0.0.1:1"
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Runs SQL on the database with the sqlite3 shell; returns its output lines.
    @discardableResult
    func sql(_ statement: String) throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.sqlite3 ?? "sqlite3")
        process.arguments = [directory + "/refbot.sqlite", statement]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
