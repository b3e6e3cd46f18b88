import Foundation
import RefbotMail
import Testing

/// Full replies to refbot's notifications (`Fixtures/replies/<case>.eml`) and the new text each must yield
/// (`<case>.new.txt`): parse, take the text body, trim.
@Suite("Reply fixtures")
struct ReplyFixtureTests {
    static let folder = "replies"

    /// Case names: every `.eml` file's stem.
    static func cases() -> [String] {
        let names = (try? FixtureFiles.names(in: folder)) ?? []
        return names.filter { $0.hasSuffix(".eml") }.map { String($0.dropLast(4)) }
    }

    @Test("every .eml has a .new.txt and every .new.txt has an .eml")
    func pairsAreComplete() throws {
        let names = Set(try FixtureFiles.names(in: Self.folder))
        let emls = names.filter { $0.hasSuffix(".eml") }.map { $0.dropLast(4) }
        let expected = names.filter { $0.hasSuffix(".new.txt") }.map { $0.dropLast(8) }
        #expect(emls.count >= 12)
        #expect(Set(emls) == Set(expected))
        #expect(names.allSatisfy { $0.hasSuffix(".eml") || $0.hasSuffix(".new.txt") }, "stray file in replies/")
    }

    @Test("the reply's new text is what the member wrote", arguments: cases())
    func newText(_ name: String) throws {
        let message = try MessageParser.parse(try FixtureFiles.bytes("\(Self.folder)/\(name).eml"))
        let expected = try FixtureFiles.text("\(Self.folder)/\(name).new.txt")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let reply = ReplyTrimmer.trim(message.textBody)
        #expect(reply.newText == expected)
        if !expected.isEmpty {
            let command = expected.split(whereSeparator: \.isWhitespace).first.map(String.init)
            #expect(["ACCEPT", "REJECT", "WON", "LOST", "CONTACTED"].contains(command ?? ""))
        }
        // the quoted notification never survives as new text
        #expect(!reply.newText.contains("Reply ACCEPT to take this referral"))
    }

    @Test("encoded-word subjects of the fixtures decode to readable text")
    func subjectsDecode() throws {
        for name in Self.cases() {
            let message = try MessageParser.parse(try FixtureFiles.bytes("\(Self.folder)/\(name).eml"))
            #expect(!message.subject.contains("=?"), "\(name): \(message.subject)")
            #expect(message.subject.contains("R-12"), "\(name): \(message.subject)")
        }
    }
}
