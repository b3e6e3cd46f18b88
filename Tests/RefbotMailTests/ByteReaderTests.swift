import Foundation
import RefbotMail
import Testing

/// The reader works on UTF-8 bytes and falls back to `String` for text whose scalars join into one
/// character (combining marks, emoji sequences) or whose lowercase it does not map itself. These tests pin
/// the cases where the byte path and the character path could part ways.
@Suite("Reader on bytes")
struct ByteReaderTests {
    static func message(headers: String, body: [UInt8]) throws -> ParsedMessage {
        let head = "From: Dana <dana@example.net>\r\nTo: referrals@example.org\r\nSubject: Re: [R-3] New referral\r\n"
            + headers + "\r\n"
        return try MessageParser.parse(Array(head.utf8) + body)
    }

    @Test("Windows-1252 text decodes by table: euro sign, curly quotes and Y with diaeresis")
    func windows1252() throws {
        let body: [UInt8] = [0x80, 0x20, 0x93] + Array("ACCEPT".utf8) + [0x94, 0x20, 0x9F, 0xE9]
        for charset in ["windows-1252", "iso-8859-1", "us-ascii"] {
            let message = try Self.message(headers: "Content-Type: text/plain; charset=\(charset)\r\n", body: body)
            #expect(message.textBody == "€ “ACCEPT” Ÿé", "charset \(charset)")
        }
    }

    @Test("A byte Windows-1252 leaves undefined is still read, as a replacement character")
    func windows1252Undefined() throws {
        let message = try Self.message(
            headers: "Content-Type: text/plain; charset=windows-1252\r\n", body: Array("ACCEPT ".utf8) + [0x81])
        #expect(message.textBody == "ACCEPT \u{FFFD}")
    }

    @Test("base64 with line breaks, stray characters and padding between groups decodes whole")
    func base64() throws {
        let message = try Self.message(
            headers: "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
            body: Array("QUND\r\nRVBU*IHRo\r\nYW5r cw==IQ==\r\n".utf8))
        #expect(message.textBody == "ACCEPT thanks!")
    }

    @Test("quoted-printable: soft breaks, escapes, transport padding and a stray = kept")
    func quotedPrintable() throws {
        let message = try Self.message(
            headers: "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
            body: Array("ACC=\r\nEPT Gr=C3=BC=C3=9Fe   \r\n1+1=3D2 a=b =ZZ\r\n".utf8))
        #expect(message.textBody == "ACCEPT Grüße\n1+1=2 a=b =ZZ\n")
    }

    @Test("an encoded word whose charset name runs past 40 characters is left as it is")
    func longCharsetName() throws {
        let charset = String(repeating: "x", count: 42)
        let message = try Self.message(headers: "X-Note: =?\(charset)?Q?hi?=\r\n", body: Array("hi".utf8))
        #expect(message.header("X-Note") == "=?\(charset)?Q?hi?=")
    }

    @Test("upper-case Cyrillic, Latin-1 and full-width attributions and header blocks are cut")
    func upperCaseAttributions() {
        let cyrillic = ReplyTrimmer.trim(
            "Спасибо, ACCEPT\n\nПОНЕДЕЛЬНИК, 6 ОКТЯБРЯ 2014 Г. ПОЛЬЗОВАТЕЛЬ REFBOT НАПИСАЛ:\n> Reply ACCEPT or REJECT")
        #expect(cyrillic.newText == "Спасибо, ACCEPT")
        let french = ReplyTrimmer.trim(
            "ACCEPT merci\n\nDE : Refbot <referrals@example.org>\nENVOYÉ : lundi 2 mars 2026 09:14\nÀ : Dana\nOBJET : [R-3]\n\nCarol Diaz")
        #expect(french.newText == "ACCEPT merci")
        let japanese = ReplyTrimmer.trim("ACCEPT\n\n2024/03/01 10:00、Refbot <referrals@example.org>のメール：\n> 元の本文")
        #expect(japanese.newText == "ACCEPT")
    }

    @Test("lines with emoji or combining marks are classified as characters: signatures and quotes still go")
    func joiningCharacters() {
        let reply = ReplyTrimmer.trim("ACCEPT 👍🏽\n\nSent from my iPhone 📱\n\nOn Mon, Mar 2, 2026 Refbot 🤖 wrote:\n> Re\u{301}ferral")
        #expect(reply.newText == "ACCEPT 👍🏽")
        #expect(reply.elided.contains("Sent from my iPhone 📱"))
    }

    @Test("a client-signature opening that goes on as the member's sentence is kept alike in ASCII and beyond it")
    func signatureOrSentence() {
        // (line, kept as the member's words): a clause of three words after , ; . ! ? and a space, not an
        // excuse, and no device named before it
        let cases: [(String, Bool)] = [
            ("Sent from my office, the quote is attached", true),
            ("Sent from my laptop; we can meet on Friday", true),
            ("Sent from my desk! Call me on Friday please", true),
            ("Sent from my iPhone, the quote is attached", false),
            ("Sent from my HTC phone. Please call me tomorrow", false),
            ("Sent from my laptop. Please excuse the brevity", false),
            ("Sent from my laptop, sorry for the typos here", false),
            ("Sent from my laptop,\tthe quote is attached", false),
            ("Sent from my laptop,   two words  ", false),
            ("Sent from my laptop", false),
        ]
        for (line, kept) in cases {
            // the same line with one letter outside ASCII takes the scalar path; the decision must not change
            for variant in [line, line.replacingOccurrences(of: "my ", with: "mý ")] {
                let body = "Thanks, see you then.\n\n\(variant)\n"
                let newText = ReplyTrimmer.trim(body).newText
                #expect(newText.contains(variant.trimmingCharacters(in: .whitespaces)) == kept, "\(variant): \(newText)")
                #expect(newText.hasPrefix("Thanks, see you then."))
            }
        }
    }

    @Test("the first line is trimmed by scalars: a combining mark after a leading space stays with the text")
    func combiningAfterSpace() throws {
        let reply = ReplyTrimmer.trim("\n \u{301}ACCEPT  \n\n> quoted")
        #expect(reply.newText == "\u{301}ACCEPT")
        #expect(reply.elided == "> quoted")
    }

    @Test("a name in an address list with folded whitespace and an encoded word reads as one line")
    func displayNames() {
        let list = EmailAddress.parseList("Dana \t\r\n  Whitfield <dana@example.net>, =?utf-8?Q?Gr=C3=BC=C3=9Fe?=  Team <team@example.net>")
        #expect(list.map(\.displayName) == ["Dana Whitfield", "Grüße Team"])
        #expect(list.map(\.address) == ["dana@example.net", "team@example.net"])
    }

    @Test("a vacation subject in upper case or after a wide space is still an auto-reply; a member's subject is not")
    func outOfOffice() throws {
        for subject in ["AUTOMATIC REPLY: [R-3]", "\u{3000}Réponse automatique : x", "АВТООТВЕТ: x", "Abwesenheitsnotiz"] {
            let raw = "From: a@example.net\r\nSubject: \(subject)\r\n\r\nhi"
            #expect(AutoReplySignals.reason(for: try MessageParser.parse(Array(raw.utf8))) == "out-of-office", "\(subject)")
        }
        let member = try MessageParser.parse(Array("From: a@example.net\r\nSubject: Re: out of office plans\r\n\r\nhi".utf8))
        #expect(AutoReplySignals.reason(for: member) == nil)
    }
}
