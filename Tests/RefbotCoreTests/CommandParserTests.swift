import RefbotCore
import Testing

@Suite("Command parser")
struct CommandParserTests {
    @Test("The subject's first word is the command when it is one", arguments: [
        ("HELP", "HELP"), ("help me please", "HELP"), ("Re: [R-12] ACCEPT", "ACCEPT"), ("AW: Re: status", "STATUS"),
        ("Fwd: SEARCH plumbers", "SEARCH"), ("RE[2]: show L-3", "SHOW"),
    ])
    func subject(subject: String, word: String) throws {
        let command = try CommandParser.parse(subject: subject, newText: "").get()
        #expect(command.word.rawValue == word)
        #expect(command.source == .subject)
    }

    @Test("Otherwise the first non-empty line of the new text, with its arguments and following lines")
    func body() throws {
        let command = try CommandParser.parse(
            subject: "Re: [R-12] New referral", newText: "\n  reject   Not our area.\nWe only do kitchens.\n").get()
        #expect(command.word == .reject)
        #expect(command.arguments == "Not our area.")
        #expect(command.line == "reject   Not our area.")
        #expect(command.followingLines.first == "We only do kitchens.")
        #expect(command.source == .body)
    }

    @Test("A reply that keeps a command subject but answers in the body is read from the body")
    func bodyWinsInReplies() throws {
        let command = try CommandParser.parse(subject: "Re: HELP", newText: "STATUS").get()
        #expect(command.word == .status)
    }

    @Test("Trailing punctuation and case do not matter", arguments: ["accept.", "Accept!", "ACCEPT,", "*ACCEPT*"])
    func punctuation(word: String) throws {
        #expect(try CommandParser.parse(subject: "", newText: word).get().word == .accept)
    }

    @Test("An unknown word is refused with the line quoted and a likely command suggested", arguments: [
        ("Hepl me", "HELP"), ("acept", "ACCEPT"), ("STAUTS", "STATUS"), ("Rejetc", "REJECT"),
    ])
    func typo(line: String, suggestion: String) {
        guard case .failure(let error) = CommandParser.parse(subject: "Question", newText: line) else {
            Issue.record("\(line) was read as a command")
            return
        }
        #expect(error.line == line)
        #expect(error.problem.contains("Did you mean \(suggestion)?"))
        #expect(error.remedy.contains("HELP"))
    }

    @Test("Words far from every command get no suggestion")
    func noSuggestion() {
        guard case .failure(let error) = CommandParser.parse(subject: "", newText: "Hello there") else {
            Issue.record("read as a command")
            return
        }
        #expect(!error.problem.contains("Did you mean"))
    }

    @Test("An empty message says there was no command")
    func empty() {
        guard case .failure(let error) = CommandParser.parse(subject: "", newText: "\n\n") else {
            Issue.record("read as a command")
            return
        }
        #expect(error.problem.contains("no command"))
    }

    @Test("Every command word has a synopsis and a summary for HELP")
    func helpTexts() {
        for word in CommandWord.allCases {
            #expect(word.synopsis.hasPrefix(word.rawValue))
            #expect(word.summary.hasSuffix("."))
        }
    }
}
