import Foundation

/// Reads the test target's bundled fixtures.
enum FixtureFiles {
    /// The `Fixtures` folder inside the test bundle.
    static var root: URL {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            preconditionFailure("the test bundle has no Fixtures folder")
        }
        return url
    }

    /// A fixture folder, e.g. `corpus/emails`.
    static func folder(_ path: String) -> URL { root.appendingPathComponent(path, isDirectory: true) }

    /// The file names in a fixture folder, sorted, without hidden files.
    static func names(in path: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder(path).path)
            .filter { !$0.hasPrefix(".") }
            .sorted()
    }

    /// A fixture's bytes.
    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: root.appendingPathComponent(path)))
    }

    /// A fixture's text (UTF-8).
    static func text(_ path: String) throws -> String {
        String(decoding: try bytes(path), as: UTF8.self)
    }
}
