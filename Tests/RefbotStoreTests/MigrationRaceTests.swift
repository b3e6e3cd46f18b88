import Foundation
import RefbotStore
import Testing

/// Several processes opening one new database at once (the daemon starting while `refbot admin`
/// or a test reads it) must bring it up to date once, not fail on each other's half.
@Suite("Migrating one database from several openers")
struct MigrationRaceTests {
    @Test("Eight openers of one new database at once all succeed and leave every migration applied once", arguments: 0..<5)
    func concurrentOpeners(round: Int) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-race-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/refbot.sqlite"
        let failures = try await withThrowingTaskGroup(of: String?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    // Each opener has its own connections to the file, as another process would.
                    await Task.detached {
                        do {
                            _ = try Store(path: path)
                            return nil
                        } catch {
                            return "\(error)"
                        }
                    }.value
                }
            }
            var failures: [String] = []
            for try await failure in group { if let failure { failures.append(failure) } }
            return failures
        }
        #expect(failures.isEmpty, "\(failures)")
        let store = try Store(path: path)
        #expect(try store.appliedMigrations() == Store.migrationNames)
    }
}
