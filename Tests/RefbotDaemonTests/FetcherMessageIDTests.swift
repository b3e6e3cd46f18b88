@testable import RefbotDaemon
import Testing

/// `Fetcher.messageID(in:)` reads the Message-ID the Fetcher stores with each mail (to know a mail
/// again after a UIDVALIDITY change), on the bytes of the header.
@Suite("Fetcher: the Message-ID of a stored mail")
struct FetcherMessageIDTests {
    private func id(_ text: String) -> String? { Fetcher.messageID(in: Array(text.utf8)) }

    @Test("the first Message-ID field of the header, any case, without its angle brackets")
    func plain() {
        #expect(id("From: a@example.org\r\nMessage-ID: <one@example.org>\r\nSubject: x\r\n\r\nbody\r\n") == "one@example.org")
        #expect(id("message-id:<two@example.org>\r\n\r\n") == "two@example.org")
        #expect(id("MESSAGE-ID:   <three@example.org>  \r\n\r\n") == "three@example.org")
        #expect(id("Message-ID: <first@x>\r\nMessage-ID: <second@x>\r\n\r\n") == "first@x")
        #expect(id("X-Message-ID: <not@x>\r\nSubject: none\r\n\r\n") == nil)
    }

    @Test("a folded field is joined; LF and lone CR end lines as CRLF does")
    func foldedAndLineEnds() {
        #expect(id("Subject: x\r\nMessage-ID:\r\n <folded@example.org>\r\n\r\n") == "folded@example.org")
        #expect(id("Message-ID:\r\n\t<tab@example.org>\r\nTo: b\r\n\r\n") == "tab@example.org")
        #expect(id("Subject: x\nMessage-ID: <lf@example.org>\n\nbody\n") == "lf@example.org")
        #expect(id("Subject: x\rMessage-ID: <cr@example.org>\r\rbody\r") == "cr@example.org")
    }

    @Test("nothing past the blank line, nothing for empty brackets, a bare value as it is, at most 250 characters")
    func edges() {
        #expect(id("Subject: x\r\n\r\nMessage-ID: <body@example.org>\r\n") == nil)
        #expect(id("Subject: x\n\rMessage-ID: <after-blank@example.org>\r\n") == nil, "LF then CR is a blank line")
        #expect(id("Message-ID: <>\r\n\r\n") == nil)
        #expect(id("Message-ID:    \r\n\r\n") == nil)
        #expect(id("Message-Id: bare-value@example.org\r\n\r\n") == "bare-value@example.org")
        #expect(id("Message-ID: <unclosed@example.org\r\n\r\n") == "<unclosed@example.org")
        let long = String(repeating: "a", count: 300) + "@example.org"
        #expect(id("Message-ID: <\(long)>\r\n\r\n") == String(long.prefix(250)))
        #expect(id("Message-ID: <ünï@exämple.org>\r\n\r\n") == "ünï@exämple.org")
        #expect(id("Message-ID: <truncated@example.org") == "<truncated@example.org", "a header cut short still reads")
        #expect(id("") == nil)
    }

    @Test("only the first 64 KB are read")
    func first64KB() {
        let filler = "X-Filler: " + String(repeating: "f", count: 70_000) + "\r\n"
        #expect(id(filler + "Message-ID: <late@example.org>\r\n\r\n") == nil)
        #expect(id("Message-ID: <early@example.org>\r\n" + filler + "\r\n") == "early@example.org")
    }
}
