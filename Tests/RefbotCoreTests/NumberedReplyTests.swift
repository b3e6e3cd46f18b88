import Testing

@testable import RefbotCore

@Suite("Numbered replies")
struct NumberedReplyTests {
    @Test("1 ACCEPT, 2 REJECT with a reason and 3 WON with an amount are three lines, in the order written")
    func threeLines() throws {
        let parsed = try #require(NumberedReply.parse("3 WON $1,200\n1 ACCEPT\n\n2 REJECT not my area\n"))
        #expect(parsed.lines.map(\.number) == [3, 1, 2])
        #expect(parsed.lines.map(\.word) == [.won, .accept, .reject])
        #expect(parsed.lines.map(\.arguments) == ["$1,200", "", "not my area"])
        #expect(parsed.lines[2].line == "2 REJECT not my area")
        #expect(parsed.skipped == 0)
    }

    @Test("1. ACCEPT, #1 accept, 1) accept and 1: accept all name item 1 with ACCEPT", arguments: [
        "1. ACCEPT", "#1 accept", "1) accept", "1: Accept", "  1.accept", "#1. ACCEPT.",
    ])
    func spellings(_ text: String) throws {
        let line = try #require(NumberedReply.numbered(text))
        #expect(line.number == 1)
        #expect(line.word == .accept)
    }

    @Test("A line that starts with an amount, a year or a bare number is not a numbered command", arguments: [
        "1,200 dollars", "2026 was a good year", "3 $5", "12", "0 ACCEPT", "12345 ACCEPT", "1ACCEPT", "ACCEPT 1",
    ])
    func notNumbered(_ text: String) {
        #expect(NumberedReply.numbered(text) == nil)
    }

    @Test("A reply whose first line has no number is not a numbered reply (an ordinary command)")
    func ordinaryCommand() {
        #expect(NumberedReply.parse("ACCEPT\n1 ACCEPT") == nil)
        #expect(NumberedReply.parse("") == nil)
    }

    @Test("A word that is no command is kept as written, so the answer can name it")
    func unknownWord() throws {
        let line = try #require(NumberedReply.numbered("2 maybe later"))
        #expect(line.word == nil)
        #expect(line.wordText == "maybe")
    }

    @Test("200 numbered lines: the first 30 are read and the other 170 counted, not read")
    func bounded() throws {
        let text = (1...200).map { "\($0) ACCEPT" }.joined(separator: "\n")
        let parsed = try #require(NumberedReply.parse(text))
        #expect(parsed.lines.count == NumberedReply.maxLines)
        #expect(parsed.skipped == 200 - NumberedReply.maxLines)
    }

    @Test("Lines without a number that start with a command word are reported; other text (a signature) is not")
    func unnumbered() throws {
        let parsed = try #require(NumberedReply.parse("1 ACCEPT\nREJECT R-4\nThanks, Bob"))
        #expect(parsed.lines.count == 1)
        #expect(parsed.unnumbered == ["REJECT R-4"])
    }
}
