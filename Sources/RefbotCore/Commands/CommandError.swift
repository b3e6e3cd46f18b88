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
    public var problem: String {
        get {
            if let unknownWord {
                // made only when read: most mail without a command is never answered with this text
                let suggestion = CommandParser.closest(to: unknownWord).map { " Did you mean \($0)?" } ?? ""
                return "\"\(unknownWord.prefix(40))\" is not a command we know.\(suggestion)"
            }
            return storedProblem
        }
        set {
            storedProblem = newValue
            unknownWord = nil
        }
    }
    /// What would work instead.
    public var remedy: String

    public init(line: String, problem: String, remedy: String) {
        self.line = line
        self.storedProblem = problem
        self.remedy = remedy
    }

    /// The error for a line whose first word is not a command word; ``problem`` names the word and the
    /// closest command word in spelling.
    init(line: String, unknownWord: String, remedy: String) {
        self.line = line
        self.storedProblem = ""
        self.unknownWord = unknownWord
        self.remedy = remedy
    }

    private var storedProblem: String
    private var unknownWord: String?

    public static func == (lhs: CommandError, rhs: CommandError) -> Bool {
        lhs.line == rhs.line && lhs.remedy == rhs.remedy && lhs.problem == rhs.problem
    }

    public var description: String { "\(problem) \(remedy)" }
}
