import Foundation
import RefbotTestSupport
import Testing

/// What the package relies on: one version, and units systemd accepts.
@Suite("Packaging: version and units")
struct PackagingCLITests {
    @Test("refbot --version prints the version in the VERSION file")
    func versionFromFile() async throws {
        let expected = try String(contentsOfFile: RefbotProcess.packageRoot + "/VERSION", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let result = try await RefbotProcess.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == expected)
    }

    @Test("systemd-analyze verify accepts the instance unit refbot@.service as refbot@shop.service (where systemd is installed)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze")))
    func instanceUnitVerifies() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-unit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let unit = try String(contentsOfFile: RefbotProcess.packageRoot + "/systemd/refbot@.service", encoding: .utf8)
        #expect(unit.contains("--config ${CONFIGURATION_DIRECTORY}/%i.toml"))
        #expect(unit.contains("StateDirectory=refbot/%i\n"))
        try unit.replacingOccurrences(of: "/usr/local/bin/refbot", with: try RefbotProcess.binaryPath())
            .write(toFile: dir + "/refbot@.service", atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", "--man=no", dir + "/refbot@shop.service"]
        let output = Pipe()
        process.standardError = output
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(!text.contains("refbot@"), "\(text)")
    }
}
