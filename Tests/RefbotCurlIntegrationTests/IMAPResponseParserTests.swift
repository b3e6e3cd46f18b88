import Testing

@testable import RefbotCurl

/// The IMAP response parser on its own: bytes in, responses out. No server needed.
@Suite("IMAP response parser")
struct IMAPResponseParserTests {
    /// Every response in `text`, fed in one piece.
    private func parse(_ text: String, chunk: Int? = nil) throws -> [IMAPServerResponse] {
        try parse(Array(text.utf8), chunk: chunk)
    }

    private func parse(_ bytes: [UInt8], chunk: Int? = nil, parser: IMAPResponseParser = IMAPResponseParser())
        throws -> [IMAPServerResponse]
    {
        var parser = parser
        var out: [IMAPServerResponse] = []
        var index = 0
        let step = chunk ?? max(bytes.count, 1)
        repeat {
            parser.append(bytes[index..<min(index + step, bytes.count)])
            index += step
            while let response = try parser.next() { out.append(response) }
        } while index < bytes.count
        return out
    }

    static let select =
        "* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 3 EXISTS\r\n* 0 RECENT\r\n"
        + "* OK [UIDVALIDITY 1733300000] UIDs valid\r\n* OK [UIDNEXT 12] Predicted next UID\r\n"
        + "R2 OK [READ-WRITE] Select completed.\r\n"

    @Test("a SELECT answer: EXISTS, UIDVALIDITY, UIDNEXT, flags and the tagged OK with its code")
    func selectAnswer() throws {
        let responses = try parse(Self.select)
        #expect(responses.count == 6)
        #expect(responses[0] == .untagged(.flags(["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"])))
        #expect(responses[1] == .untagged(.exists(3)))
        #expect(responses[2] == .untagged(.recent(0)))
        #expect(responses[3] == .untagged(.status(IMAPStatusResponse(status: .ok, code: .uidValidity(1_733_300_000), text: "UIDs valid"))))
        #expect(responses[4] == .untagged(.status(IMAPStatusResponse(status: .ok, code: .uidNext(12), text: "Predicted next UID"))))
        #expect(responses[5] == .tagged(tag: "R2", IMAPStatusResponse(status: .ok, code: .other("READ-WRITE", ""), text: "Select completed.")))
    }

    static let fetch =
        "* 1 FETCH (UID 7 RFC822.SIZE 28 BODY[] {28}\r\nSubject: hi\r\n\r\nhello there\r\n)\r\n"
        + "* 2 FETCH (UID 9 RFC822.SIZE 3 BODY[] \"a\\\"b\")\r\n* 3 FETCH (FLAGS (\\Seen) UID 10)\r\n"
        + "R3 OK Fetch completed.\r\n"

    @Test("FETCH: UID, size and the body from a literal (with CRLF inside) or a quoted string; flags-only updates")
    func fetchAnswer() throws {
        let responses = try parse(Self.fetch)
        #expect(responses.count == 4)
        #expect(
            responses[0]
                == .untagged(.fetch(sequence: 1, IMAPFetchAttributes(uid: 7, size: 28, body: Array("Subject: hi\r\n\r\nhello there\r\n".utf8)))))
        #expect(responses[1] == .untagged(.fetch(sequence: 2, IMAPFetchAttributes(uid: 9, size: 3, body: Array("a\"b".utf8)))))
        #expect(responses[2] == .untagged(.fetch(sequence: 3, IMAPFetchAttributes(uid: 10, flags: ["\\Seen"]))))
    }

    @Test("bytes arriving one at a time, or in chunks that cut literals and line ends, read the same as all at once")
    func incremental() throws {
        let text = Self.select + Self.fetch
        let whole = try parse(text)
        for chunk in [1, 2, 3, 7, 29, 31] {
            #expect(try parse(text, chunk: chunk) == whole, "chunk \(chunk)")
        }
    }

    @Test("a response cut inside its literal asks for more, then completes")
    func needMore() throws {
        var parser = IMAPResponseParser()
        parser.append(Array("* 1 FETCH (UID 4 BODY[] {10}\r\nabcde".utf8))
        #expect(try parser.next() == nil)
        parser.append(Array("fghij)\r\nR1 OK done\r\n".utf8))
        #expect(try parser.next() == .untagged(.fetch(sequence: 1, IMAPFetchAttributes(uid: 4, body: Array("abcdefghij".utf8)))))
        #expect(try parser.next() == .tagged(tag: "R1", IMAPStatusResponse(status: .ok, code: nil, text: "done")))
        #expect(try parser.next() == nil)
        #expect(parser.bufferedCount == 0)
    }

    @Test("COPYUID from an untagged OK (MOVE) and a tagged OK (COPY), ranges expanded in order")
    func copyUID() throws {
        let responses = try parse(
            "* OK [COPYUID 1733300001 7:9,11 20:23] Moved UIDs.\r\n* 1 EXPUNGE\r\nR4 OK [COPYUID 99 3 4] Copy completed.\r\n")
        #expect(responses[0] == .untagged(.status(IMAPStatusResponse(
            status: .ok, code: .copyUID(validity: 1_733_300_001, source: [7, 8, 9, 11], destination: [20, 21, 22, 23]),
            text: "Moved UIDs."))))
        #expect(responses[1] == .untagged(.expunge(1)))
        #expect(responses[2] == .tagged(tag: "R4", IMAPStatusResponse(
            status: .ok, code: .copyUID(validity: 99, source: [3], destination: [4]), text: "Copy completed.")))
        // sets of different lengths are not a COPYUID refbot can use
        let broken = try parse("R5 OK [COPYUID 9 1:3 2] odd\r\n")
        #expect(broken == [.tagged(tag: "R5", IMAPStatusResponse(status: .ok, code: .other("COPYUID", "9 1:3 2"), text: "odd"))])
    }

    @Test("LIST with quoted, atom and literal names and a NIL delimiter; SEARCH; CAPABILITY; continuation; NO with a code")
    func otherResponses() throws {
        let responses = try parse(
            "* LIST (\\HasNoChildren \\Junk) \"/\" Junk\r\n* LIST (\\HasNoChildren) \"/\" \"Entw&APw-rfe\"\r\n"
                + "* LIST (\\Noselect) NIL {3}\r\nOdd\r\n* SEARCH 3 4 9\r\n* SEARCH\r\n"
                + "* CAPABILITY IMAP4rev1 idle MOVE\r\n+ idling\r\nR6 NO [TRYCREATE] Mailbox does not exist\r\n* BYE bye\r\n")
        #expect(responses == [
            .untagged(.list(attributes: ["\\HasNoChildren", "\\Junk"], delimiter: "/", name: "Junk")),
            .untagged(.list(attributes: ["\\HasNoChildren"], delimiter: "/", name: "Entw&APw-rfe")),
            .untagged(.list(attributes: ["\\Noselect"], delimiter: nil, name: "Odd")),
            .untagged(.search([3, 4, 9])),
            .untagged(.search([])),
            .untagged(.capability(["IMAP4REV1", "IDLE", "MOVE"])),
            .continuation("idling"),
            .tagged(tag: "R6", IMAPStatusResponse(status: .no, code: .other("TRYCREATE", ""), text: "Mailbox does not exist")),
            .untagged(.status(IMAPStatusResponse(status: .bye, code: nil, text: "bye"))),
        ])
    }

    @Test(
        "hostile or broken input is an error, never a crash",
        arguments: [
            "R1 MAYBE fine\r\n", "(\r\n", "* 1 FETCH (UID\r\n", "* 1 FETCH (UID 4 BODY[] )\r\n", "\r\n",
            "* 1 FETCH (UID 99999999999 RFC822.SIZE 1)\r\n", "* LIST (\\A \"/\"\r\n",
            "* 1 FETCH " + String(repeating: "(", count: 100) + "\r\n", "* 1 FETCH (UID 4 BODY[] {99999999999999}\r\n",
        ])
    func hostile(text: String) {
        #expect(throws: IMAPParseError.self) { _ = try parse(text) }
    }

    @Test("a literal over the limit and a line over the limit are refused before they are buffered whole")
    func limits() throws {
        let small = IMAPResponseParser(maxLineBytes: 100, maxLiteralBytes: 10)
        #expect(throws: IMAPParseError.self) {
            _ = try parse(Array("* 1 FETCH (UID 1 BODY[] {11}\r\n".utf8), parser: small)
        }
        #expect(throws: IMAPParseError.self) {
            _ = try parse(Array(("* OK " + String(repeating: "x", count: 200)).utf8), parser: small)
        }
        #expect(try parse(Array("* 1 FETCH (UID 1 BODY[] {10}\r\n0123456789)\r\n".utf8), parser: small).count == 1)
    }

    @Test("unknown untagged responses and FETCH items are passed over")
    func unknown() throws {
        let responses = try parse(
            "* ENABLED CONDSTORE\r\n* 2 FETCH (UID 5 MODSEQ (12) X-GM-LABELS (\\Inbox) INTERNALDATE \"1-Jan-2026 00:00:00 +0000\")\r\n")
        #expect(responses == [.untagged(.other("ENABLED")), .untagged(.fetch(sequence: 2, IMAPFetchAttributes(uid: 5)))])
    }
}
