/// A command refbot could not carry out, in words for the member who sent it.
///
/// The Processor turns it into a `command.error` reply that quotes ``line``, says what was
/// wrong (``problem``) and what would work (``remedy``).
///
/// ```swift
/// throw CommandError(line: "ACCEPT", problem: "R-12 was already accepted on 3 March.",
///                    remedy: "Reply CONTACTED, WON or LOST to move it on.")
/// ```
public struct CommandError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The line of the member's mail that could not be used, as they wrote it.
    public var line: String
    /// What was wrong, in one or two sentences.
    public var problem: String
    /// What would work instead.
    public var remedy: String

    public init(line: String, problem: String, remedy: String) {
        self.line = line
        self.problem = problem
        self.remedy = remedy
    }

    public var description: String { "\(problem) \(remedy)" }
}
