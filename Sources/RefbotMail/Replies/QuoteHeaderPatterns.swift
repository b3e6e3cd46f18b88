import Foundation

/// The word lists the reply trimmer matches lines against, one example line above each entry.
///
/// All entries are lowercased; lines are lowercased and trimmed before matching. Matching is by prefix,
/// suffix or containment as each table says, with no regular expressions, so the cost per line is bounded.
enum QuoteHeaderPatterns {
    /// How an attribution line may end ("On … wrote:"), matched against the end of the joined line.
    static let attributionEndings: [String] = [
        // On Mon, Feb 1, 2016 at 4:58 AM, Some One <foo@bar.com> wrote:
        "wrote:", "wrote :", "writes:",
        // ---- On Tue, 22 Dec 2015 14:17:36 +0530 Sam Saffron<info@discourse.org> wrote ----
        "wrote ----",
        // Am 03.02.2016 3:35 nachm. schrieb Max Mustermann <noreply@meta.discourse.org>:
        "schrieb:", "schrieb :", "geschrieben:",
        // Max Mustermann <max@example.com> schrieb am Fr., 28. Apr. 2017 um 11:53 Uhr:
        "uhr:",
        // Le 4 janv. 2016 19:03, "Neil Lalonde" <info@discourse.org> a écrit :
        "a écrit :", "a écrit:", "a ecrit :", "a ecrit:",
        // Le 02/03/2026 à 09:14, Refbot a
        // écrit :
        "écrit :", "écrit:",
        // El jueves, 21 de noviembre de 2013, codinghorror escribió:
        "escribió:", "escribio:", "escribió :",
        // Il 26 marzo 2016 alle 13.16 Sam Saffron <info@discourse.org> ha scritto:
        "ha scritto:", "ha scritto :",
        // Op 16 aug. 2014 05:13 schreef "codinghorror" <info@discourse.org> het volgende geschreven:
        "geschreven:", "schreef:",
        // Em 2 de fevereiro de 2015 10:58, discourse <info@discourse.org> escreveu:
        "escreveu:", "escreveu :",
        // Dnia 14 lip 2015 o godz. 00:25 Michael Downey <info@discourse.org> napisał(a):
        "napisał(a):", "napisał:", "napisała:", "napisal(a):",
        // Den 15. jun. 2016 kl. 20.42 skrev Jeff Atwood <info@discourse.org>:
        "skrev:", "skrev følgende:", "skrev följande:", "skrev fölgende:",
        // понедельник, 6 октября 2014 г. пользователь lidel написал:
        "написал:", "написал(а):", "написала:", "пишет:",
        // 30 серп. 2016 р. 20:45 "Arpit" <no-reply@example.com> пише:
        "пише:", "написав:",
        // pe 4.12.2026 klo 9.15 Refbot <referrals@example.org> kirjoitti:
        "kirjoitti:", "kirjoitti :",
        // 在 2016年12月12日，下午8:45，Erlend Sogge Heggen <meta@discoursemail.com> 写道：
        "写道：", "写道:", "寫道：", "寫道:",
        // 2024/03/01 10:00、Refbot <referrals@example.org>のメール:
        "のメール:", "のメール：", "書きました:", "書きました：", "wrote：",
        // 2016-10-24 15:36 GMT+02:00 Foo bar <info@foo.bar>:
        ">:", ">：",
    ]

    /// How an attribution may begin, matched against the start of the first line.
    static let attributionStarts: [String] = [
        // On Thu, Jun 20, 2013 at 4:18 PM, matt2 via Discourse Meta <info@discourse.org> wrote:
        "on ",
        // Am 21.04.2016 17:48 schrieb "Einz Zwei" <noreply@discourse.pseuco.com>:
        "am ",
        // Le 2016-11-16 02:22, Erlend Sogge Heggen a écrit :
        "le ",
        // El jueves, 21 de noviembre de 2013, codinghorror escribió:
        "el ",
        // Il 26 marzo 2016 alle 13.16 Sam Saffron <info@discourse.org> ha scritto:
        "il ",
        // Op 2 feb. 2015 om 05:28 heeft VannillaSky <info@discourse.org> het volgende geschreven:
        "op ",
        // Em 2 de fevereiro de 2015 10:58, discourse <info@discourse.org> escreveu:
        "em ",
        // Dnia 14 lip 2015 o godz. 00:25 Michael Downey <info@discourse.org> napisał(a):
        "dnia ", "w dniu ",
        // Den 15. jun. 2016 kl. 20.42 skrev Jeff Atwood <info@discourse.org>:
        "den ",
        // At 6/16/2016 08:32 PM, you wrote:
        "at ",
        // ---- On Tue, 22 Dec 2015 14:17:36 +0530 Sam Saffron wrote ----
        "---- on ",
        // 在 2016年12月12日，下午8:45，Erlend <meta@discoursemail.com> 写道：
        "在 ",
    ]

    /// Lines that open a forwarded or original message, matched by containment in a short line whose
    /// dashes, asterisks and underscores are removed.
    static let embeddedMessageMarkers: [String] = [
        // -----Original Message-----
        "original message",
        // ---------- Forwarded message ----------
        "forwarded message",
        // Begin forwarded message:
        "begin forwarded message",
        // -----Ursprüngliche Nachricht-----
        "ursprüngliche nachricht",
        // ---------- Weitergeleitete Nachricht ----------
        "weitergeleitete nachricht",
        // Anfang der weitergeleiteten Nachricht:
        "anfang der weitergeleiteten nachricht",
        // -----Message d'origine-----
        "message d'origine",
        // -------- Message transféré --------
        "message transféré",
        // Début du message réexpédié :
        "début du message réexpédié",
        // -----Mensaje original-----
        "mensaje original",
        // ---------- Mensaje reenviado ----------
        "mensaje reenviado",
        // -----Messaggio originale-----
        "messaggio originale",
        // ---------- Messaggio inoltrato ----------
        "messaggio inoltrato",
        // -----Oorspronkelijk bericht-----
        "oorspronkelijk bericht",
        // ---------- Doorgestuurd bericht ----------
        "doorgestuurd bericht",
        // -----Mensagem original-----
        "mensagem original",
        // -----Wiadomość oryginalna-----
        "wiadomość oryginalna",
        // -----Ursprungligt meddelande-----
        "ursprungligt meddelande",
        // -----Opprinnelig melding-----
        "opprinnelig melding",
        // -----Oprindelig meddelelse-----
        "oprindelig meddelelse",
        // -----Исходное сообщение-----
        "исходное сообщение",
        // -----Alkuperäinen viesti-----
        "alkuperäinen viesti",
        // -------- Пересылаемое сообщение --------
        "пересылаемое сообщение",
        // ------------------ 原始邮件 ------------------
        "原始邮件",
        // -------- 元のメッセージ --------
        "元のメッセージ",
        // -------- 転送メッセージ --------
        "転送メッセージ",
    ]

    /// Field names of a quoted message's header block (Outlook "From:/Sent:/To:/Subject:"), lowercased,
    /// without the colon.
    static let headerNames: Set<String> = [
        // From: Discourse <info@discourse.org>  /  Sent: Thursday, 28 January 2016  /  To: Someone
        "from", "sent", "to", "cc", "bcc", "subject", "date", "reply-to",
        // Von: Discourse Team <team@discourse.org>  /  Gesendet: Don 11 Februar 2016  /  An:  /  Betreff:
        "von", "gesendet", "an", "betreff", "datum", "kopie",
        // De : Refbot  /  Envoyé : lundi 3 mars 2025  /  À :  /  Objet :
        "de", "envoyé", "à", "objet", "date d'envoi",
        // De: "Miguel" <foo@bar.es>  /  Enviado:  /  Para:  /  Asunto:  /  Fecha:
        "enviado", "para", "asunto", "fecha", "enviado el",
        // Da: Sally54721  /  Risposta:  /  Data:  /  A:  /  Oggetto:  /  Inviato:
        "da", "risposta", "data", "a", "oggetto", "inviato",
        // Van: Refbot  /  Verzonden:  /  Aan:  /  Onderwerp:
        "van", "verzonden", "aan", "onderwerp", "datum",
        // De: Refbot  /  Enviada em:  /  Para:  /  Assunto:
        "enviada em", "assunto",
        // Od: Refbot  /  Wysłano:  /  Do:  /  Temat:
        "od", "wysłano", "do", "temat",
        // Från: Foo Bar  /  Skickat: den 5 juni 2017 12:22  /  Till:  /  Ämne:
        "från", "skickat", "till", "ämne",
        // Fra: Refbot  /  Sendt:  /  Til:  /  Emne:
        "fra", "sendt", "til", "emne",
        // От: Refbot  /  Отправлено:  /  Кому:  /  Тема:
        "от", "отправлено", "кому", "тема", "дата",
        // Lähettäjä: Refbot  /  Lähetetty:  /  Vastaanottaja:  /  Aihe:
        "lähettäjä", "lähetetty", "vastaanottaja", "aihe", "kopio",
        // 发件人: Refbot  /  发送时间:  /  收件人:  /  主题:
        "发件人", "发送时间", "收件人", "主题", "日期",
        // 差出人: Refbot  /  送信日時:  /  宛先:  /  件名:
        "差出人", "送信日時", "宛先", "件名", "日付",
    ]

    /// Mobile and client signatures, matched against the start of a short line.
    static let signatureStarts: [String] = [
        // Sent from my iPhone
        "sent from ", "sent with ", "sent via ", "sent using ",
        // Get Outlook for iOS
        "get outlook for", "get [outlook for",
        // Envoyé depuis mon iPhone
        "envoyé de ", "envoyé depuis ", "envoye de ", "envoyé à partir de ", "envoyé avec ",
        // Enviado desde mi iPhone
        "enviado desde ", "enviado de ", "enviado con ", "enviado do meu ",
        // Inviato da iPhone
        "inviato da ", "inviato dal mio ",
        // Verzonden met BlackBerry Work  /  Verstuurd vanaf mijn iPhone
        "verzonden met ", "verzonden vanaf ", "verstuurd vanaf ", "verstuurd met ",
        // Von meinem Mobilgerät gesendet  /  Gesendet von meinem iPhone
        "von meinem ", "gesendet von ", "gesendet mit ",
        // Diese Nachricht wurde von meinem Android-Mobiltelefon mit K-9 Mail gesendet.
        "diese nachricht wurde von meinem ",
        // Skickat från min iPhone  /  Sendt fra min iPad
        "skickat från ", "sendt fra ", "sendt från ",
        // Wysłane z mojego iPhone'a
        "wysłane z ", "wysłano z ",
        // Lähetetty iPhonesta  /  Lähetetty Android-laitteesta
        "lähetetty iphone", "lähetetty android", "lähetetty ipad", "lähetetty mobiili", "lähetetty outlook",
        // Отправлено с iPhone
        "отправлено с ", "отправлено из ",
        // 從我的 iPhone 傳送  /  从我的 iPhone 发送
        "從我的 ", "从我的 ",
        // iPhoneから送信
        "iphoneから送信", "androidから送信",
    ]

    /// Mobile signatures matched against the end of a short line.
    static let signatureEndings: [String] = [
        // Someone from mobile
        "from mobile",
        // <<sent by galaxy>>  /  (sent from a phone)
        "sent by galaxy>>", "from a phone)", "from mobile device)",
        // iPhoneから送信
        "から送信",
    ]

    /// ``attributionEndings`` as UTF-8, for fast matching.
    static let attributionEndingBytes = attributionEndings.map { Array($0.utf8) }
    /// ``attributionStarts`` as UTF-8, for fast matching.
    static let attributionStartBytes = attributionStarts.map { Array($0.utf8) }
    /// ``signatureStarts`` as UTF-8, for fast matching.
    static let signatureStartBytes = signatureStarts.map { Array($0.utf8) }
    /// ``signatureEndings`` as UTF-8, for fast matching.
    static let signatureEndingBytes = signatureEndings.map { Array($0.utf8) }
    /// ``embeddedMessageMarkers`` as UTF-8, for fast matching.
    static let embeddedMessageMarkerBytes = embeddedMessageMarkers.map { Array($0.utf8) }
}
