import Foundation
import RefbotMail
import Testing

/// An RFC 2047 encoded word that decodes to CR/LF (`=0D=0A`) stays part of one header line.
@Suite("Encoded line breaks in headers")
struct HeaderLineBreakTests {
    static func message(subject: String) throws -> ParsedMessage {
        let raw = """
            From: Mallory <mallory@example.net>\r
            To: referrals@example.org\r
            Subject: \(subject)\r
            Message-ID: <inject-1@example.net>\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            hello\r

            """
        return try MessageParser.parse(Array(raw.utf8))
    }

    @Test("a Q-encoded CR/LF in the Subject decodes to a space, so HELP still opens it")
    func quotedPrintableBreak() throws {
        let message = try Self.message(subject: "=?utf-8?Q?HELP=0D=0ABcc:_x@y?=")
        #expect(!message.subject.contains("\r") && !message.subject.contains("\n"))
        #expect(message.subject == "HELP Bcc: x@y")
        #expect(message.subject.split(separator: " ").first == "HELP")
        // the forged line never becomes a header of the parsed message
        #expect(message.headers(named: "Bcc").isEmpty)
    }

    @Test("a B-encoded CR, LF, NUL and line separator each decode to one space")
    func base64Breaks() throws {
        let payload = "HELP\r\n\r\nBcc: x@y\u{0}\u{2028}To: z@w"
        let encoded = "=?utf-8?B?\(Data(payload.utf8).base64EncodedString())?="
        let message = try Self.message(subject: encoded)
        #expect(message.subject == "HELP Bcc: x@y To: z@w")
    }

    @Test("an answer whose Subject copies the forged one holds no CR/LF and no injected header")
    func answerSubjectStaysOneLine() throws {
        let inbound = try Self.message(subject: "=?utf-8?Q?HELP=0D=0ABcc:_x@y?=")
        let answer = MessageBuilder(
            from: EmailAddress(localPart: "referrals", domain: "example.org", displayName: "Refbot"),
            to: [EmailAddress("mallory@example.net")!], subject: SafeHeaderValue("Re: \(inbound.subject)"),
            messageID: MessageID.make(unique: "answer-1", domain: "example.org"),
            date: Date(timeIntervalSince1970: 1_772_442_840), text: "Here is how refbot works.\n")
        let bytes = answer.build()
        let text = String(decoding: bytes, as: UTF8.self)
        let headerSection = text.components(separatedBy: "\r\n\r\n").first ?? ""
        let lines = headerSection.components(separatedBy: "\r\n")
        // no bare CR or LF inside a header line
        #expect(lines.allSatisfy { !$0.contains("\r") && !$0.contains("\n") })
        // no line (folded or not) starts a Bcc header
        #expect(!lines.contains { $0.lowercased().hasPrefix("bcc:") })
        let reparsed = try MessageParser.parse(bytes)
        #expect(reparsed.subject == "Re: HELP Bcc: x@y")
        #expect(reparsed.headers(named: "Bcc").isEmpty)
        #expect(reparsed.to.map(\.address) == ["mallory@example.net"])
    }
}
