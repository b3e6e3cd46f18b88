import Foundation
import RefbotMail
import Testing

func raw(_ text: String) -> [UInt8] {
    Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)
}

@Suite("MessageParser: headers")
struct MessageParserHeaderTests {
    @Test("folded header lines are unfolded and duplicates kept in order")
    func foldingAndDuplicates() throws {
        let message = try MessageParser.parse(
            raw(
                """
                Received: from a.example
                \tby b.example; Mon, 2 Mar 2026 09:00:00 +0000
                Received: from c.example by d.example
                Subject: a long subject
                  that was folded
                X-Tag: one
                x-tag: two

                body
                """))
        #expect(message.headers.count == 5)
        #expect(message.headers[0].rawValue == "from a.example\tby b.example; Mon, 2 Mar 2026 09:00:00 +0000")
        #expect(message.subject == "a long subject  that was folded")
        #expect(message.headers(named: "X-TAG") == ["one", "two"])
        #expect(message.header("received") == "from a.example\tby b.example; Mon, 2 Mar 2026 09:00:00 +0000")
        #expect(message.textBody == "body")
    }

    @Test("B and Q encoded words decode, and adjacent words join without the space between them")
    func encodedWords() throws {
        let message = try MessageParser.parse(
            raw(
                """
                From: =?ISO-8859-1?Q?Andr=E9?= Pirard <pirard@example.be>
                Subject: =?UTF-8?B?S8O8Y2hl?= =?UTF-8?Q?n_und_B=C3=A4der?= fertig
                To: =?koi8-r?B?8NLJ18XU?= <privet@example.ru>

                x
                """))
        #expect(message.subject == "Küchen und Bäder fertig")
        #expect(message.from?.displayName == "André Pirard")
        #expect(message.to.first?.displayName == "Привет")
    }

    @Test("a multibyte character split across two encoded words survives")
    func splitCharacter() throws {
        // "ä" is C3 A4, split between the two words
        let message = try MessageParser.parse(raw("Subject: =?utf-8?Q?B=C3?= =?utf-8?Q?=A4r?=\n\nx"))
        #expect(message.subject == "Bär")
    }

    @Test("encoded words in mixed charsets decode each in its own charset")
    func mixedCharsets() throws {
        let message = try MessageParser.parse(
            raw("Subject: =?iso-8859-1?q?caf=E9?= und =?windows-1252?Q?=80?= =?shift_jis?B?gqA=?=\n\nx"))
        #expect(message.subject == "café und €あ")
    }

    @Test("malformed encoded words are left as they are")
    func malformedEncodedWords() throws {
        let message = try MessageParser.parse(raw("Subject: =?utf-8?X?abc?= and =?broken\n\nx"))
        #expect(message.subject == "=?utf-8?X?abc?= and =?broken")
    }

    @Test("Message-ID, In-Reply-To and References lose their angle brackets; Return-Path <> is empty")
    func identifiers() throws {
        let message = try MessageParser.parse(
            raw(
                """
                Message-ID: <abc.123@example.org>
                In-Reply-To: <parent@example.org> (comment)
                References: <one@example.org>
                 <two@example.org> <three@example.org>
                Return-Path: <>

                x
                """))
        #expect(message.messageID == "abc.123@example.org")
        #expect(message.inReplyTo == ["parent@example.org"])
        #expect(message.references == ["one@example.org", "two@example.org", "three@example.org"])
        #expect(message.returnPath == "")
        let other = try MessageParser.parse(raw("Subject: x\n\nx"))
        #expect(other.returnPath == nil)
        #expect(other.messageID == nil)
    }

    @Test("NUL bytes in the header section are malformed")
    func nulInHeaders() {
        var bytes = raw("Subject: a\nX-Bad: b")
        bytes.insert(0, at: 12)
        bytes += raw("\n\nbody")
        #expect(throws: MailParseError(code: .malformed, message: "")) { try MessageParser.parse(bytes) }
    }

    @Test("input without any header field is malformed")
    func noHeaders() {
        #expect(throws: MailParseError(code: .malformed, message: "")) { try MessageParser.parse(raw("\nhello")) }
    }

    @Test("an mbox From_ line and LF-only line ends are accepted")
    func mboxAndBareLF() throws {
        let message = try MessageParser.parse(Array("From bob@example.org Mon Mar  2 09:00:00 2026\nSubject: hi\n\nbody\n".utf8))
        #expect(message.subject == "hi")
        #expect(message.textBody == "body\n")
    }
}

@Suite("MessageParser: MIME")
struct MessageParserMIMETests {
    @Test("nested mixed/alternative/related parts are walked in order")
    func nested() throws {
        let message = try MessageParser.parse(
            raw(
                """
                Subject: nested
                Content-Type: multipart/mixed; boundary="outer"

                preamble
                --outer
                Content-Type: multipart/alternative; boundary=inner

                --inner
                Content-Type: text/plain; charset=utf-8

                plain text
                --inner
                Content-Type: multipart/related; boundary="rel"

                --rel
                Content-Type: text/html; charset=utf-8

                <p>html <b>text</b></p>
                --rel
                Content-Type: image/png
                Content-ID: <img1>
                Content-Transfer-Encoding: base64

                iVBORw0KGgo=
                --rel--
                --inner--
                --outer
                Content-Type: application/pdf; name="offer.pdf"
                Content-Disposition: attachment; filename="offer.pdf"
                Content-Transfer-Encoding: base64

                JVBERi0xLjQK
                --outer--
                epilogue
                """))
        #expect(message.contentType == "multipart/mixed")
        #expect(message.parts.map(\.contentType) == ["text/plain", "text/html", "image/png", "application/pdf"])
        #expect(message.textBody == "plain text")
        #expect(message.htmlBody == "<p>html <b>text</b></p>")
        #expect(message.parts[2].body == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(message.parts[3].filename == "offer.pdf")
        #expect(message.parts[3].disposition == "attachment")
        #expect(message.parts[3].body == Array("%PDF-1.4\n".utf8))
    }

    @Test("multipart/signed yields the signed text and the signature as parts")
    func signed() throws {
        let message = try MessageParser.parse(
            raw(
                """
                Subject: signed
                Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig"

                --sig
                Content-Type: text/plain; charset=us-ascii

                ACCEPT
                --sig
                Content-Type: application/pgp-signature; name="signature.asc"

                -----BEGIN PGP SIGNATURE-----
                -----END PGP SIGNATURE-----
                --sig--
                """))
        #expect(message.textBody == "ACCEPT")
        #expect(message.parts.count == 2)
    }

    @Test("a multipart without a boundary parameter is malformed")
    func missingBoundary() {
        #expect(throws: MailParseError(code: .malformed, message: "")) {
            try MessageParser.parse(raw("Content-Type: multipart/mixed\n\n--x\n\nbody\n--x--"))
        }
    }

    @Test("quoted-printable soft breaks and escapes decode, and 8bit passes through")
    func quotedPrintable() throws {
        let message = try MessageParser.parse(
            raw(
                """
                Content-Type: text/plain; charset=utf-8
                Content-Transfer-Encoding: quoted-printable

                Gr=C3=BC=C3=9Fe aus K=C3=B6ln, dies ist eine lange Zeile, die umbroch=
                en wurde. A=3DB and a lone = stays.
                """))
        #expect(message.textBody == "Grüße aus Köln, dies ist eine lange Zeile, die umbrochen wurde. A=B and a lone = stays.")
        let eight = try MessageParser.parse(
            Array("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÄpfel".utf8))
        #expect(eight.textBody == "Äpfel")
        let binary = try MessageParser.parse(
            Array("Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n".utf8) + [0, 1, 2, 255])
        #expect(binary.parts.first?.body == [0, 1, 2, 255])
    }

    @Test("base64 with line breaks and junk characters decodes")
    func base64() throws {
        let message = try MessageParser.parse(
            raw("Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: BASE64\n\nSGVsbG8s\nIHfDtnJs\r\nZCE=\n"))
        #expect(message.textBody == "Hello, wörld!")
    }

    @Test("RFC 2231 parameters with continuations and charset'lang' decode")
    func rfc2231() throws {
        let message = try MessageParser.parse(
            raw(
                """
                Content-Type: multipart/mixed; boundary=b

                --b
                Content-Type: application/pdf;
                 name*0*=utf-8'de'Angebot%20f%C3%BCr;
                 name*1*=%20K%C3%BCche;
                 name*2=".pdf"
                Content-Disposition: attachment; filename*=iso-8859-1'fr'r%E9sum%E9.pdf

                x
                --b
                Content-Type: application/pdf; name*0="long"; name*1="name.pdf"

                y
                --b--
                """))
        #expect(message.parts[0].filename == "résumé.pdf")
        #expect(message.parts[1].filename == "longname.pdf")
    }

    @Test("every supported charset decodes its own bytes", arguments: [
        ("utf-8", [0xC3, 0xA9], "é"), ("us-ascii", [0x41], "A"), ("iso-8859-1", [0xE9], "é"),
        ("iso-8859-2", [0xB1], "ą"), ("iso-8859-5", [0xBF], "П"), ("iso-8859-7", [0xE1], "α"),
        ("iso-8859-9", [0xFD], "ı"), ("iso-8859-15", [0xA4], "€"), ("windows-1250", [0x9A], "š"),
        ("windows-1251", [0xCF], "П"), ("windows-1252", [0x80], "€"), ("windows-1253", [0xE1], "α"),
        ("windows-1254", [0xFD], "ı"), ("windows-1255", [0xE0], "א"), ("windows-1256", [0xC7], "ا"),
        ("windows-1257", [0xE0], "ą"), ("windows-1258", [0x80], "€"), ("koi8-r", [0xF0, 0xD2, 0xC9], "При"),
        ("gb2312", [0xC4, 0xE3], "你"), ("gbk", [0x81, 0x40], "丂"), ("shift_jis", [0x82, 0xA0], "あ"),
        ("iso-2022-jp", [0x1B, 0x24, 0x42, 0x24, 0x22, 0x1B, 0x28, 0x42], "あ"), ("euc-kr", [0xB0, 0xA1], "가"),
        ("big5", [0xA4, 0x40], "一"),
    ] as [(String, [UInt8], String)])
    func charsets(_ charset: String, _ bytes: [UInt8], _ expected: String) throws {
        let message = try MessageParser.parse(
            Array("Content-Type: text/plain; charset=\"\(charset)\"\r\n\r\n".utf8) + bytes)
        #expect(message.textBody == expected)
    }

    @Test("an unknown or lying charset falls back without failing")
    func lossyFallback() throws {
        let unknown = try MessageParser.parse(Array("Content-Type: text/plain; charset=x-unknown\r\n\r\nna\u{EF}ve".utf8))
        #expect(unknown.textBody == "naïve")
        let lying = try MessageParser.parse(Array("Content-Type: text/plain; charset=utf-8\r\n\r\n".utf8) + [0x63, 0x61, 0x66, 0xE9])
        #expect(lying.textBody == "café")
    }

    @Test("format=flowed joins soft-broken lines, with DelSp removing the space")
    func formatFlowed() throws {
        let plain = try MessageParser.parse(
            raw("Content-Type: text/plain; format=flowed\n\nREJECT not \nour area.\n> quoted \n> more\n-- \nsig"))
        #expect(plain.textBody == "REJECT not our area.\n> quoted more\n-- \nsig")
        let delsp = try MessageParser.parse(
            raw("Content-Type: text/plain; format=flowed; delsp=yes\n\n\u{3042}\u{3044} \n\u{3046}\n  stuffed"))
        #expect(delsp.textBody == "\u{3042}\u{3044}\u{3046}\n stuffed")
    }

    @Test("HTML-only mail becomes readable text with quotes marked")
    func htmlOnly() throws {
        let html = """
            <html><head><style>p { color: red }</style><script>alert(1)</script><title>t</title></head>
            <body><div>ACCEPT &amp; thanks&nbsp;&mdash; Bob</div><p>Second&#x20;para &lt;ok&gt; &#233;</p>
            <ul><li>one</li><li>two</li></ul>
            <blockquote type="cite">On Monday Refbot wrote:<br>Reply ACCEPT or REJECT</blockquote>
            <div class="gmail_quote">quoted by gmail</div></body></html>
            """
        let message = try MessageParser.parse(raw("Content-Type: text/html; charset=utf-8\n\n" + html))
        let lines = message.textBody.components(separatedBy: "\n")
        #expect(lines.first == "ACCEPT & thanks — Bob")
        #expect(lines.contains("Second para <ok> é"))
        #expect(lines.contains("- one"))
        #expect(lines.contains("> On Monday Refbot wrote:"))
        #expect(lines.contains("> Reply ACCEPT or REJECT"))
        #expect(lines.contains("> quoted by gmail"))
        #expect(!message.textBody.contains("alert"))
        #expect(!message.textBody.contains("color"))
        #expect(ReplyTrimmer.trim(message.textBody).newText.hasPrefix("ACCEPT & thanks — Bob"))
    }

    @Test("Outlook's divRplyFwdMsg header block and what follows it are quoted")
    func outlookWeb() throws {
        let html = """
            <div>REJECT busy</div><hr><div id="divRplyFwdMsg"><b>From:</b> Refbot<br><b>Sent:</b> today</div>
            <div>Reply ACCEPT to take this referral or REJECT with a reason.</div>
            """
        let message = try MessageParser.parse(raw("Content-Type: text/html\n\n" + html))
        #expect(message.textBody.hasPrefix("REJECT busy\n"))
        #expect(message.textBody.contains("> Reply ACCEPT to take this referral"))
        #expect(ReplyTrimmer.trim(message.textBody).newText == "REJECT busy")
    }
}
