/// Everything wrong with a configuration file, each as `key: problem; remedy`.
public struct ConfigError: Error, Sendable, CustomStringConvertible, Equatable {
    /// One problem with one key.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        /// The TOML key, such as `imap.poll_seconds`, or the file.
        public var key: String
        public var problem: String
        public var remedy: String
        public var description: String { "\(key): \(problem); \(remedy)" }
    }

    public var problems: [Problem]

    public init(problems: [Problem]) { self.problems = problems }

    public var description: String { problems.map { "error: \($0)" }.joined(separator: "\n") }
}
