import Foundation
import RefbotMail
import Testing

@Suite("MessageBuilder")
struct MessageBuilderTests {
    static let bot = EmailAddress(localPart: "referrals", domain: "example.org", displayName: "Refbot")
    static let owner = EmailAddress(localPart: "joerg", domain: "kaefer-bau.example", displayName: "Jörg Käfer")

    static func builder() -> MessageBuilder {
        var builder = MessageBuilder(
            from: bot, to: [owner], subject: SafeHeaderValue("[R-12] Neue Empfehlung: Zoë Müller für „Küchen“ 🎉"),
            messageID: MessageID.make(unique: "r12-1", domain: "example.org"),
            date: Date(timeIntervalSince1970: 1_772_442_840), text: "Hallo Jörg,\n\nReply ACCEPT or REJECT.\n")
        builder.replyTo = EmailAddress("referrals+tok123@example.org")
        builder.inReplyTo = "<r12-sent-1@example.org>"
        builder.references = ["<r12-sent-1@example.org>"]
        builder.extraHeaders = [
            (name: "X-Refbot-Event", value: "referral.received"), (name: "Auto-Submitted", value: "auto-generated"),
        ]
        return builder
    }

    static func lines(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        bytes.split(separator: 10, omittingEmptySubsequences: false)
    }

    @Test("output re-parses to the same subject, text, html and attachment bytes")
    func roundTrip() throws {
        var builder = Self.builder()
        builder.html = "<p>Hallo J&ouml;rg, <b>ACCEPT</b></p>"
        let binary: [UInt8] = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        builder.attachments = [
            MailAttachment(filename: "Vereinbarung für Küche.txt", contentType: "text/plain", data: Array("Text €\n".utf8)),
            MailAttachment(filename: "data.bin", contentType: "application/octet-stream", data: binary),
        ]
        let message = try MessageParser.parse(builder.build())
        #expect(message.subject == "[R-12] Neue Empfehlung: Zoë Müller für „Küchen“ 🎉")
        #expect(message.from?.address == "referrals@example.org")
        #expect(message.from?.displayName == "Refbot")
        #expect(message.to.first?.displayName == "Jörg Käfer")
        #expect(message.replyTo.first?.address == "referrals+tok123@example.org")
        #expect(message.messageID == "r12-1@example.org")
        #expect(message.inReplyTo == ["r12-sent-1@example.org"])
        #expect(message.header("X-Refbot-Event") == "referral.received")
        #expect(message.header("MIME-Version") == "1.0")
        #expect(message.contentType == "multipart/mixed")
        #expect(message.textBody == "Hallo Jörg,\n\nReply ACCEPT or REJECT.\n")
        #expect(message.htmlBody?.trimmingCharacters(in: .whitespacesAndNewlines) == "<p>Hallo J&ouml;rg, <b>ACCEPT</b></p>")
        let files = message.parts.filter(\.isAttachment)
        #expect(files.map(\.filename) == ["Vereinbarung für Küche.txt", "data.bin"])
        #expect(files.first?.body == Array("Text €\n".utf8))
        #expect(files.last?.body == binary)
    }

    @Test("a part that holds the boundary refbot would pick gets another one, and the mail still reads back")
    func boundaryAvoidsTheParts() throws {
        var builder = Self.builder()
        builder.html = "<p>Hallo</p>"
        func boundary(of mail: [UInt8]) throws -> String {
            let text = String(decoding: mail, as: UTF8.self)
            let start = try #require(text.range(of: "boundary=\"")).upperBound
            return String(text[start...].prefix { $0 != "\"" })
        }
        let first = try boundary(of: builder.build())
        #expect(first.hasPrefix("=_rb_"))
        // the same Message-ID makes the same first choice; now the text and the HTML hold it
        builder.text = "Hallo,\n--\(first)\nnot a delimiter\n"
        builder.html = "<p>\(first)</p>"
        let mail = builder.build()
        let second = try boundary(of: mail)
        #expect(second != first && second.hasPrefix("=_rb_"))
        let message = try MessageParser.parse(mail)
        #expect(message.textBody == "Hallo,\n--\(first)\nnot a delimiter\n")
        #expect(message.htmlBody?.contains(first) == true)
    }

    @Test("every line ends in CRLF, none is over 998 octets, and headers are ASCII")
    func lineRules() throws {
        var builder = Self.builder()
        builder.text = String(repeating: "word ", count: 400) + "\n" + String(repeating: "x", count: 5000) + "\nÄ"
        builder.subject = SafeHeaderValue(String(repeating: "long-subject-", count: 200))
        let bytes = builder.build()
        for (index, byte) in bytes.enumerated() where byte == 10 {
            #expect(index > 0 && bytes[index - 1] == 13)
        }
        for line in Self.lines(bytes) { #expect(line.count <= 1000) }
        let headerEnd = try #require(bytes.firstRange(of: [13, 10, 13, 10]))
        #expect(bytes[..<headerEnd.lowerBound].allSatisfy { $0 < 128 })
        let message = try MessageParser.parse(bytes)
        // the text part always ends with a line break
        #expect(message.textBody == builder.text + "\n")
        #expect(message.subject == builder.subject.value)
    }

    @Test("header lines fold at 78 characters where they can")
    func folding() {
        var builder = Self.builder()
        builder.references = (1...12).map { "<ref-\($0)-abcdefgh@example.org>" }
        let text = String(decoding: builder.build(), as: UTF8.self)
        let header = text.components(separatedBy: "\r\n\r\n")[0]
        for line in header.components(separatedBy: "\r\n") { #expect(line.count <= 78, "\(line)") }
    }

    @Test("runs of spaces in a header value fold as one; a space before a combining mark is kept in its character")
    func headerWords() throws {
        var builder = Self.builder()
        builder.subject = SafeHeaderValue("Re:   HELP    now")
        builder.extraHeaders = [(name: "X-Refbot-Note", value: SafeHeaderValue("a \u{301}b  c"))]
        let mail = builder.build()
        let header = String(decoding: mail, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        #expect(header.contains("\r\nSubject: Re: HELP now\r\n"))
        let message = try MessageParser.parse(mail)
        #expect(message.subject == "Re: HELP now")
        #expect(message.header("X-Refbot-Note") == "a \u{301}b c")
    }

    @Test("the Date header is RFC 5322")
    func date() throws {
        let message = try MessageParser.parse(Self.builder().build())
        #expect(message.header("Date") == "Mon, 02 Mar 2026 09:14:00 +0000")
    }

    @Test("CR and LF in untrusted subject and header values never reach the output")
    func injection() throws {
        var builder = Self.builder()
        builder.subject = SafeHeaderValue("Hi\r\nBcc: victim@example.com")
        builder.extraHeaders = [(name: "X-Refbot-Ref\r\nBcc", value: SafeHeaderValue("R-1\nBcc: x@y.z"))]
        let message = try MessageParser.parse(builder.build())
        #expect(message.header("Bcc") == nil)
        #expect(message.subject == "Hi Bcc: victim@example.com")
    }

    @Test("SafeHeaderValue turns controls into single spaces and trims")
    func safeHeaderValue() {
        #expect(SafeHeaderValue("  a\r\n\tb\u{0}c \u{7F} d  ").value == "a b c d")
        #expect(SafeHeaderValue("line\u{2028}sep\u{85}x").value == "line sep x")
        #expect(SafeHeaderValue("Zoë „ok“").value == "Zoë „ok“")
    }

    @Test("plain ASCII text is sent 7bit and other text quoted-printable")
    func transferEncoding() {
        var builder = Self.builder()
        builder.text = "plain"
        #expect(String(decoding: builder.build(), as: UTF8.self).contains("Content-Transfer-Encoding: 7bit"))
        builder.text = "Grüße"
        #expect(String(decoding: builder.build(), as: UTF8.self).contains("Content-Transfer-Encoding: quoted-printable"))
    }
}
