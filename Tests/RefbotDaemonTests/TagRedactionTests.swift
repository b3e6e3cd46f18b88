import RefbotDaemon
import RefbotMail
import Testing

@Suite("Mail copies the database keeps show no reply tag")
struct TagRedactionTests {
    let bot = EmailAddress("referrals@example.org")!

    func redact(_ text: String) -> String {
        String(decoding: TagRedaction.redact(Array(text.utf8), bot: bot), as: UTF8.self)
    }

    @Test("Every tagged form of refbot's address is blanked, in any case, byte for byte")
    func blanked() {
        let text = "Reply-To: referrals+abcdefghij2345672345@example.org\r\n\r\nmailto:Referrals+ABCDEFGHIJ2345672345@example.org?subject=STOP"
        let result = redact(text)
        #expect(result.utf8.count == text.utf8.count)
        #expect(!result.lowercased().contains("abcdefghij2345672345"))
        #expect(result.contains("referrals+xxxxxxxxxxxxxxxxxxxx@example.org"))
    }

    @Test("A tag split by a quoted-printable soft line break is found")
    func softBreak() {
        let result = redact("<a href=3D\"mailto:referrals+abcdefghij=\r\n2345672345@example.org\">")
        #expect(!result.contains("abcdefghij") && !result.contains("2345672345"))
        #expect(result.contains("=\r\n"))
    }

    @Test("Other addresses and the VERP bounce address stay as they are")
    func untouched() {
        for text in [
            "Return-Path: <referrals+bounce-42@example.org>", "To: referrals@example.org", "ann+newsletters@example.org",
            "referrals+short@example.org",
        ] {
            #expect(redact(text) == text)
        }
    }
}
