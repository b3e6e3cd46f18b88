/// A command as read from a mail: the word, the rest of its line, and the lines after it.
public struct ParsedCommand: Sendable, Equatable {
    /// The command word.
    public var word: CommandWord
    /// The rest of the command's line after the word, trimmed (`L-12`, a reason, search words).
    public var arguments: String
    /// The command's line as the member wrote it, for quoting back.
    public var line: String
    /// The lines of new text after the command's line (form fields, a reason, an announcement).
    public var followingLines: [String]
    /// Where the word was found.
    public var source: Source

    /// Where a command word was found.
    public enum Source: String, Sendable, Equatable {
        case subject, body
    }

    public init(word: CommandWord, arguments: String, line: String, followingLines: [String], source: Source) {
        self.word = word
        self.arguments = arguments
        self.line = line
        self.followingLines = followingLines
        self.source = source
    }
}

/// Finds the command in a mail (spec §2).
///
/// The command is the first word of the Subject when that is a command word (after any
/// `Re:`/`Fwd:`/`AW:`/`SV:` prefixes and `[R-12]` tags); otherwise the first word of the first
/// non-empty line of the new text (quotes and signatures already cut away).
///
/// ```swift
/// switch CommandParser.parse(subject: message.subject, newText: trimmed.newText) {
/// case .success(let command): …
/// case .failure(let error): … command.error reply …
/// }
/// ```
public enum CommandParser {
    /// Reads the command from a subject and the new text of a body.
    public static func parse(subject: String, newText: String) -> Result<ParsedCommand, CommandError> {
        let bodyLines = newText.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        let firstIndex = bodyLines.firstIndex { !$0.trimmingCharacters(in: whitespace).isEmpty }

        // A reply names the command in its body; a fresh mail may name it in the subject.
        let cleanedSubject = stripReplyPrefixes(subject)
        if let (word, rest) = splitWord(cleanedSubject), let command = CommandWord(word: word) {
            // When the body starts with a command too (a reply that keeps the subject), the body wins.
            if let firstIndex, let (bodyWord, _) = splitWord(bodyLines[firstIndex]), CommandWord(word: bodyWord) != nil {
                return .success(bodyCommand(bodyLines, at: firstIndex))
            }
            let following = firstIndex.map { Array(bodyLines[$0...]) } ?? []
            return .success(
                ParsedCommand(
                    word: command, arguments: rest, line: cleanedSubject, followingLines: following, source: .subject))
        }

        guard let firstIndex else {
            return .failure(
                CommandError(
                    line: subject.isEmpty ? "(an empty message)" : "Subject: \(subject)",
                    problem: "Your message had no command in it that we could find.",
                    remedy: "Write a command such as HELP, SEARCH or STATUS as the first word of the subject or of the first line."))
        }
        let line = bodyLines[firstIndex]
        guard let (word, _) = splitWord(line), CommandWord(word: word) != nil else {
            return .failure(unknown(line: line))
        }
        return .success(bodyCommand(bodyLines, at: firstIndex))
    }

    private static func bodyCommand(_ lines: [String], at index: Int) -> ParsedCommand {
        let line = lines[index].trimmingCharacters(in: whitespace)
        let (word, rest) = splitWord(line) ?? (line, "")
        return ParsedCommand(
            word: CommandWord(word: word) ?? .help, arguments: rest, line: line,
            followingLines: Array(lines[(index + 1)...]), source: .body)
    }

    /// The error for a line that does not start with a command word.
    public static func unknown(line: String) -> CommandError {
        let trimmed = line.trimmingCharacters(in: whitespace)
        let first = splitWord(trimmed)?.0 ?? trimmed
        let suggestion = closest(to: first).map { " Did you mean \($0)?" } ?? ""
        return CommandError(
            line: trimmed,
            problem: "\"\(first.prefix(40))\" is not a command we know.\(suggestion)",
            remedy: "Send HELP for the list of commands, or put the command word first on the line.")
    }

    /// The command word closest in spelling, when one is close enough to be a likely typo.
    static func closest(to word: String) -> CommandWord? {
        let upper = word.uppercased()
        guard upper.count >= 3, upper.count <= 12 else { return nil }
        var best: (CommandWord, Int)?
        for candidate in CommandWord.allCases {
            let distance = editDistance(Array(upper), Array(candidate.rawValue))
            if distance <= (candidate.rawValue.count > 5 ? 2 : 1), distance < (best?.1 ?? Int.max) {
                best = (candidate, distance)
            }
        }
        return best?.0
    }

    /// Edits (insert, delete, substitute, or swap two neighbours) between two words, so `HEPL` is one from `HELP`.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var beforePrevious = Array(repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], beforePrevious[j - 2] + 1)
                }
            }
            beforePrevious = previous
            previous = current
        }
        return previous[b.count]
    }

    /// The first word of a line and the rest, trimmed.
    static func splitWord(_ line: String) -> (String, String)? {
        let trimmed = line.trimmingCharacters(in: whitespace)
        guard !trimmed.isEmpty else { return nil }
        if let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) {
            return (String(trimmed[..<space]), String(trimmed[space...]).trimmingCharacters(in: whitespace))
        }
        return (trimmed, "")
    }

    /// Removes `Re:`, `Fwd:`, `AW:`, `SV:`, `Antw:`, `RE :` … prefixes and `[R-12]`-style tags.
    public static func stripReplyPrefixes(_ subject: String) -> String {
        var text = Substring(subject.trimmingCharacters(in: whitespace))
        let prefixes = ["re", "fw", "fwd", "aw", "wg", "sv", "vs", "antw", "tr", "rv", "r", "odp", "ynt", "res", "enc"]
        var changed = true
        while changed {
            changed = false
            if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
                text = text[text.index(after: close)...].drop(while: { $0 == " " || $0 == "\t" })
                changed = true
                continue
            }
            guard let colon = text.firstIndex(where: { $0 == ":" || $0 == "：" }) else { break }
            let head = text[..<colon].trimmingCharacters(in: whitespace).lowercased()
            let base = head.split(separator: "[").first.map(String.init) ?? head  // "Re[2]:"
            if prefixes.contains(base) {
                text = text[text.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
                changed = true
            }
        }
        return String(text)
    }

    private static let whitespace: Set<Character> = [" ", "\t", "\u{00A0}", "\r", "\n"]
}

extension StringProtocol {
    /// The string without leading and trailing characters from `set`.
    func trimmingCharacters(in set: Set<Character>) -> String {
        var start = startIndex
        var end = endIndex
        while start < end, set.contains(self[start]) { start = index(after: start) }
        while end > start, set.contains(self[index(before: end)]) { end = index(before: end) }
        return String(self[start..<end])
    }
}
