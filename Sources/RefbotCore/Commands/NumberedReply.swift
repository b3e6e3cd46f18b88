/// One line of a numbered reply to a dashboard or digest: `1 ACCEPT`, `2 REJECT not my area`,
/// `3 WON $1,200`; also `1. ACCEPT`, `#1 accept`, `1) accept`, `1: accept`.
public struct NumberedLine: Sendable, Equatable {
    /// The item number the line names.
    public var number: Int
    /// The command word after the number, when it is one.
    public var word: CommandWord?
    /// The word as written (for answers when it is not a command word).
    public var wordText: String
    /// The rest of the line after the word, trimmed (a reason, an amount).
    public var arguments: String
    /// The line as the member wrote it, trimmed.
    public var line: String

    public init(number: Int, word: CommandWord?, wordText: String, arguments: String, line: String) {
        self.number = number
        self.word = word
        self.wordText = wordText
        self.arguments = arguments
        self.line = line
    }
}

/// Reads the numbered lines of a reply's new text (quotes and signatures already cut away).
///
/// A reply is numbered when its first non-empty line is (`1 ACCEPT`); every numbered line after it
/// is read, one command per line, in any order. Lines without a number are not commands here;
/// those that start with a command word are reported so the member can add the number.
///
/// ```swift
/// NumberedReply.parse("1 ACCEPT\n2 REJECT not my area")?.lines.map(\.number)   // [1, 2]
/// NumberedReply.parse("ACCEPT")                                             // nil
/// ```
public enum NumberedReply {
    /// At most this many numbered lines are acted on from one reply (as many as a mail lists);
    /// the rest are counted and answered, not run.
    public static let maxLines = 30
    /// Numbers past this are no item number (a year, an amount), so the line is not numbered.
    static let maxNumber = 999

    /// What a numbered reply says.
    public struct Parsed: Sendable, Equatable {
        /// The numbered lines to act on, in the order written (at most ``NumberedReply/maxLines``).
        public var lines: [NumberedLine]
        /// How many numbered lines came after the first ``NumberedReply/maxLines`` and were not read.
        public var skipped: Int
        /// Lines with no number that start with a command word (`ACCEPT` alone), at most 10.
        public var unnumbered: [String]
    }

    /// The numbered lines of `newText`, or `nil` when its first non-empty line has no item number.
    public static func parse(_ newText: String) -> Parsed? {
        let lines = newText.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
        guard let first = lines.first(where: { !$0.trimmedOfWhitespace.isEmpty }), numbered(first) != nil else {
            return nil
        }
        var parsed = Parsed(lines: [], skipped: 0, unnumbered: [])
        for raw in lines {
            let trimmed = raw.trimmedOfWhitespace
            if trimmed.isEmpty { continue }
            if let line = numbered(raw) {
                if parsed.lines.count < maxLines {
                    parsed.lines.append(line)
                } else {
                    parsed.skipped += 1
                }
            } else if parsed.unnumbered.count < 10, let first = trimmed.split(separator: " ").first,
                CommandWord(word: first) != nil
            {
                parsed.unnumbered.append(String(trimmed.prefix(200)))
            }
        }
        return parsed
    }

    /// Reads one line as `[#]n[.):] WORD rest`; `nil` when it does not start with an item number
    /// followed by a word.
    public static func numbered(_ raw: some StringProtocol) -> NumberedLine? {
        let line = String(raw.trimmedOfWhitespace.prefix(2000))
        var rest = Substring(line)
        if rest.first == "#" { rest = rest.dropFirst() }
        let digits = rest.prefix(while: { $0.isASCII && $0.isNumber })
        guard !digits.isEmpty, digits.count <= 3, let number = Int(digits), number >= 1, number <= maxNumber else {
            return nil
        }
        rest = rest.dropFirst(digits.count)
        var punctuated = false
        if let mark = rest.first, [".", ")", ":"].contains(mark) {
            rest = rest.dropFirst()
            punctuated = true
        }
        let spaced = rest.first.map { $0 == " " || $0 == "\t" } ?? false
        guard spaced || punctuated else { return nil }
        let text = rest.trimmedOfWhitespace
        guard !text.isEmpty else { return nil }
        let parts = text.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
        guard let wordText = parts.first.map(String.init) else { return nil }
        // A word must start with a letter: `1 200` or `3 $5` is no numbered command.
        guard wordText.first?.isLetter == true else { return nil }
        let arguments = parts.count > 1 ? String(parts[1]).trimmedOfWhitespace : ""
        return NumberedLine(
            number: number, word: CommandWord(word: wordText), wordText: String(wordText.prefix(40)), arguments: arguments,
            line: line)
    }
}
