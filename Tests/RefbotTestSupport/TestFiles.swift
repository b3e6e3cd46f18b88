import Foundation

/// A temporary folder, removed when the value goes away.
public final class TemporaryDirectory: Sendable {
    /// The folder's absolute path.
    public let path: String

    public init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// The repository's mail-templates folder.
public let templatesDirectory: String = RefbotProcess.packageRoot + "/mail-templates"
