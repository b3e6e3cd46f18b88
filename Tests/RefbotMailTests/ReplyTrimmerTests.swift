import Foundation
import RefbotMail
import Testing

@Suite("ReplyTrimmer")
struct ReplyTrimmerTests {
    static let notification = """
        > Carol Diaz was referred to you for "Kitchen remodels".
        > Reply ACCEPT to take this referral or REJECT with a reason.
        """

    @Test("attributions in many languages cut the quote below the answer", arguments: [
        "On Mon, Mar 2, 2026 at 9:14 AM Refbot <referrals@example.org> wrote:",
        "Am Mo., 2. März 2026 um 09:14 Uhr schrieb Refbot <referrals@example.org>:",
        "Le lun. 2 mars 2026 à 09:14, Refbot <referrals@example.org> a écrit :",
        "El lun, 2 mar 2026 a las 9:14, Refbot (<referrals@example.org>) escribió:",
        "Il giorno lun 2 mar 2026 alle ore 09:14 Refbot <referrals@example.org> ha scritto:",
        "Op ma 2 mrt 2026 om 09:14 schreef Refbot <referrals@example.org>:",
        "Em seg., 2 de mar. de 2026 às 09:14, Refbot <referrals@example.org> escreveu:",
        "pon., 2 mar 2026 o 09:14 Refbot <referrals@example.org> napisał(a):",
        "Den mån 2 mars 2026 kl 09:14 skrev Refbot <referrals@example.org>:",
        "man. 2. mar. 2026 kl. 09:14 skrev Refbot <referrals@example.org>:",
        "Den 2. mar. 2026 kl. 09.14 skrev Refbot <referrals@example.org>:",
        "пн, 2 мар. 2026 г. в 09:14, Refbot <referrals@example.org>:",
        "2 марта 2026 г., в 09:14, Refbot <referrals@example.org> написал(а):",
        "Refbot <referrals@example.org> 于2026年3月2日周一 09:14写道：",
        "2026年3月2日(月) 9:14 Refbot <referrals@example.org>:",
        "2026/03/02 9:14、Refbot <referrals@example.org>のメール:",
    ])
    func attributions(_ attribution: String) {
        let body = "ACCEPT\n\n\(attribution)\n\n\(Self.notification)\n"
        #expect(ReplyTrimmer.trim(body).newText == "ACCEPT")
        // the attribution is cut even when nothing is quoted after it
        let unquoted = "ACCEPT\n\n\(attribution)\n\nCarol Diaz was referred to you.\n"
        #expect(ReplyTrimmer.trim(unquoted).newText == "ACCEPT")
    }

    @Test("an attribution that wraps over lines is recognised")
    func wrappedAttribution() {
        let body = "REJECT too far\n\nOn Mon, Mar 2, 2026 at 9:14 AM Refbot <\nreferrals+r12@example.org> wrote:\n\n\(Self.notification)"
        #expect(ReplyTrimmer.trim(body).newText == "REJECT too far")
        let german = "REJECT zu weit\n\nRefbot <referrals@example.org> schrieb am Mo., 2.\nMärz 2026 um 09:14 Uhr:\n\n\(Self.notification)"
        #expect(ReplyTrimmer.trim(german).newText == "REJECT zu weit")
    }

    @Test("Outlook From:/Sent: blocks and Original Message markers cut the rest", arguments: [
        "From: Refbot <referrals@example.org>\nSent: Monday, March 2, 2026 9:14 AM\nTo: Bob\nSubject: [R-12] New referral",
        "De : Refbot\nEnvoyé : lundi 2 mars 2026 09:14\nÀ : Bob\nObjet : [R-12] New referral",
        "-----Original Message-----\nFrom: Refbot",
        "---------- Forwarded message ---------\nFrom: Refbot <referrals@example.org>",
        "Begin forwarded message:",
    ])
    func outlookBlocks(_ block: String) {
        let body = "ACCEPT\n\n\(block)\n\nCarol Diaz was referred to you.\nReply ACCEPT to take this referral or REJECT with a reason.\n"
        #expect(ReplyTrimmer.trim(body).newText == "ACCEPT")
    }

    @Test("signatures are removed", arguments: [
        "-- \nBob Lee\nLee Plumbing", "Sent from my iPhone", "Envoyé de mon iPhone", "Von meinem iPhone gesendet",
        "Enviado desde mi iPhone", "Verstuurd vanaf mijn iPhone", "Inviato da iPhone", "Skickat från min iPhone",
        "Sendt fra min iPhone", "Wysłane z mojego iPhone'a", "Отправлено с iPhone", "iPhoneから送信",
        "Get Outlook for iOS", "Get Outlook for Android<https://aka.ms/AAb9ysg>", "__________\nBob Lee",
    ])
    func signatures(_ signature: String) {
        #expect(ReplyTrimmer.trim("ACCEPT\n\n\(signature)\n").newText == "ACCEPT")
    }

    @Test("a 'Sent from my …' line that goes on as a sentence is the member's own text", arguments: [
        "Sent from my office, the quote is attached.", "Sent from the site; photos follow tomorrow morning.",
    ])
    func sentFromOwnWords(_ line: String) {
        #expect(ReplyTrimmer.trim("WON Carol signed.\n\(line)\n").newText == "WON Carol signed.\n\(line)")
    }

    @Test("a device signature with an apology after it is still a signature", arguments: [
        "Sent from my iPhone, please excuse typos", "Sent from my HTC M8 Android phone.  Please excuse typoze",
        "Lähetetty iPhonesta",
    ])
    func sentFromDevice(_ line: String) {
        #expect(ReplyTrimmer.trim("ACCEPT\n\n\(line)\n").newText == "ACCEPT")
    }

    @Test("a signature block above the quote goes and the text under the quote stays")
    func signatureAboveQuote() {
        let body = "\n-- \nJane Doe\nDoe Plumbing\n\nOn Fri, Dec 4, 2026 at 9:15 AM Refbot <r@example.org> wrote:\n"
            + "\(Self.notification)\n\nACCEPT Happy to take it.\n"
        #expect(ReplyTrimmer.trim(body).newText == "ACCEPT Happy to take it.")
        // a delimiter after the member's text still cuts everything below it
        #expect(ReplyTrimmer.trim("ACCEPT\n-- \nJane Doe\n\nREJECT\n").newText == "ACCEPT")
    }

    @Test("attributions in Finnish, Danish, Norwegian, Portuguese, Italian and Russian end the new text", arguments: [
        "pe 4.12.2026 klo 9.15 Refbot <r@example.org> kirjoitti:",
        "Den 4. dec. 2026 kl. 09.15 skrev Refbot <r@example.org>:",
        "Den fre. 4. des. 2026 kl. 09:15 skrev Refbot <r@example.org>:",
        "Em sex., 4 de dez. de 2026 às 09:15, Refbot <r@example.org> escreveu:",
        "Il giorno ven 4 dic 2026 alle ore 09:15 Refbot <r@example.org> ha scritto:",
        "пт, 4 дек. 2026 г. в 09:15, Refbot <r@example.org>:",
        "4 дек. 2026 г., в 09:15, Refbot <r@example.org> пишет:",
        "-----Oprindelig meddelelse-----", "-----Opprinnelig melding-----", "-----Alkuperäinen viesti-----",
    ])
    func nordicSouthernRussianAttributions(_ attribution: String) {
        let body = "ACCEPT\n\n\(attribution)\n\(Self.notification)\n"
        #expect(ReplyTrimmer.trim(body).newText == "ACCEPT")
    }

    @Test("a reply whose only content is the quoted notification has no new text")
    func quotedOnly() {
        let reply = ReplyTrimmer.trim("\n\(Self.notification)\n")
        #expect(reply.newText == "")
        #expect(reply.elided.contains("Reply ACCEPT"))
        #expect(ReplyTrimmer.trim("On Mon, Mar 2, 2026 at 9:14 AM Refbot <r@example.org> wrote:\n\(Self.notification)").newText == "")
    }

    @Test("an unquoted copy of the notification below the answer is not new text")
    func unquotedNotification() {
        let body = "ACCEPT\n\nCarol Diaz was referred to you for \"Kitchen remodels\".\nReply ACCEPT to take this referral or REJECT with a reason.\n"
        #expect(ReplyTrimmer.trim(body).newText == "ACCEPT")
    }

    @Test("an answer written inline below the quoted instruction is kept")
    func inlineAnswer() {
        let body = "On Mon, Mar 2, 2026 at 9:14 AM Refbot <r@example.org> wrote:\n\(Self.notification)\n\nREJECT we are booked until May\n\n> refbot\n"
        #expect(ReplyTrimmer.trim(body).newText == "REJECT we are booked until May")
    }

    @Test("the answer's reason lines are kept up to the quote")
    func reasonLines() {
        let body = "REJECT\nWe only take jobs\nnorth of the river.\n\nOn Mon, Mar 2, 2026 at 9:14 AM Refbot <r@example.org> wrote:\n\(Self.notification)"
        #expect(ReplyTrimmer.trim(body).newText == "REJECT\nWe only take jobs\nnorth of the river.")
    }

    @Test("CRLF and CR line ends are treated as LF")
    func lineEnds() {
        #expect(ReplyTrimmer.trim("ACCEPT\r\n\r\n> quoted\r\n").newText == "ACCEPT")
        #expect(ReplyTrimmer.trim("ACCEPT\r\r> quoted\r").newText == "ACCEPT")
    }
}
