import Foundation

/// Builds an RFC 5322 / MIME message ready for SMTP submission.
///
/// ```swift
/// var builder = MessageBuilder(from: bot, to: [owner], subject: SafeHeaderValue("[R-12] New referral"),
///                              messageID: MessageID.make(unique: "r12-1", domain: "example.org"),
///                              date: now, text: body)
/// builder.replyTo = EmailAddress(TaggedAddress.make(base: bot, tag: token))
/// builder.extraHeaders = [(name: "X-Refbot-Event", value: "referral.received")]
/// let bytes = builder.build()
/// ```
///
/// Output uses CRLF line ends, carries `MIME-Version: 1.0`, encodes non-ASCII header text as RFC 2047
/// encoded words, folds header lines at 78 characters where it can, and never writes a line over 998
/// octets: bodies that would need one are quoted-printable, attachments base64.
public struct MessageBuilder: Sendable {
    /// The author (`From`).
    public var from: EmailAddress
    /// The recipients (`To`).
    public var to: [EmailAddress]
    /// Where replies should go (`Reply-To`), when set.
    public var replyTo: EmailAddress?
    /// The subject, already free of control characters.
    public var subject: SafeHeaderValue
    /// The `Message-ID`, with angle brackets.
    public var messageID: String
    /// The origination date (`Date`).
    public var date: Date
    /// The parent's `Message-ID`, with angle brackets, when this is a reply.
    public var inReplyTo: String?
    /// The thread's message ids, with angle brackets, oldest first.
    public var references: [String]
    /// Further fields, e.g. `X-Refbot-Event`, `Auto-Submitted`, `List-Unsubscribe`.
    public var extraHeaders: [(name: String, value: SafeHeaderValue)]
    /// The plain-text body.
    public var text: String
    /// An HTML alternative to the text, when set.
    public var html: String?
    /// Files attached with base64.
    public var attachments: [MailAttachment]

    /// Creates a builder for a plain-text message; the other fields start empty.
    public init(from: EmailAddress, to: [EmailAddress], subject: SafeHeaderValue, messageID: String, date: Date, text: String) {
        self.from = from
        self.to = to
        self.replyTo = nil
        self.subject = subject
        self.messageID = messageID
        self.date = date
        self.inReplyTo = nil
        self.references = []
        self.extraHeaders = []
        self.text = text
        self.html = nil
        self.attachments = []
    }

    /// The message as bytes with CRLF line ends; the text (and HTML) part always ends with a line break.
    public func build() -> [UInt8] {
        var out = ""
        out += HeaderFolder.fold(name: "From", structured: from.description)
        if !to.isEmpty { out += HeaderFolder.fold(name: "To", structured: to.map(\.description).joined(separator: ", ")) }
        if let replyTo { out += HeaderFolder.fold(name: "Reply-To", structured: replyTo.description) }
        out += HeaderFolder.fold(name: "Subject", unstructured: subject.value)
        out += HeaderFolder.fold(name: "Date", structured: MessageBuilder.rfc5322Date(date))
        out += HeaderFolder.fold(name: "Message-ID", structured: SafeHeaderValue(messageID).value)
        if let inReplyTo {
            out += HeaderFolder.fold(name: "In-Reply-To", structured: SafeHeaderValue(inReplyTo).value)
        }
        if !references.isEmpty {
            out += HeaderFolder.fold(
                name: "References", structured: references.map { SafeHeaderValue($0).value }.joined(separator: " "))
        }
        out += "MIME-Version: 1.0\r\n"
        for (name, value) in extraHeaders {
            let cleanName = String(name.unicodeScalars.filter { $0.value > 32 && $0.value < 127 && $0 != ":" }.map(Character.init))
            guard !cleanName.isEmpty else { continue }
            out += HeaderFolder.fold(name: cleanName, unstructured: value.value)
        }
        var boundaries = BoundaryMaker(seed: messageID)
        let textEntity = MessageBuilder.textEntity(text, subtype: "plain")
        var bodyEntity = textEntity
        if let html {
            let htmlEntity = MessageBuilder.textEntity(html, subtype: "html")
            bodyEntity = MessageBuilder.multipart("alternative", [textEntity, htmlEntity], boundaries: &boundaries)
        }
        if !attachments.isEmpty {
            let files = attachments.map(MessageBuilder.attachmentEntity)
            bodyEntity = MessageBuilder.multipart("mixed", [bodyEntity] + files, boundaries: &boundaries)
        }
        out += bodyEntity.headers
        out += "\r\n"
        out += bodyEntity.body
        return Array(out.utf8)
    }

    /// A MIME entity as text: header lines (each ending in CRLF) and a body.
    private struct Entity {
        var headers: String
        var body: String
    }

    private static func textEntity(_ text: String, subtype: String) -> Entity {
        // One pass over the bytes: CRLF and a lone CR become LF, the text ends with a line break,
        // and whether it can go as 7bit (ASCII, no control but tab, no line over 988 octets).
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var normalized: [UInt8] = []
        normalized.reserveCapacity(text.utf8.count + 1)
        var sevenBit = true
        var lineLength = 0
        var afterCR = false
        for byte in text.utf8 {
            if byte == lf && afterCR {
                afterCR = false
                continue
            }
            afterCR = byte == cr
            if byte == lf || byte == cr {
                normalized.append(lf)
                lineLength = 0
                continue
            }
            normalized.append(byte)
            lineLength += 1
            if byte >= 0x80 || (byte < 32 && byte != UInt8(ascii: "\t")) || lineLength > 76 * 13 { sevenBit = false }
        }
        if normalized.last != lf { normalized.append(lf) }
        var headers = "Content-Type: text/\(subtype); charset=utf-8\r\n"
        let body: String
        if sevenBit {
            headers += "Content-Transfer-Encoding: 7bit\r\n"
            var crlf: [UInt8] = []
            crlf.reserveCapacity(normalized.count + normalized.count / 32 + 2)
            for byte in normalized {
                if byte == lf { crlf.append(cr) }
                crlf.append(byte)
            }
            body = String(decoding: crlf, as: UTF8.self)
        } else {
            headers += "Content-Transfer-Encoding: quoted-printable\r\n"
            body = TransferEncoding.encodeQuotedPrintable(String(decoding: normalized, as: UTF8.self))
        }
        return Entity(headers: headers, body: body.hasSuffix("\r\n") ? body : body + "\r\n")
    }

    private static func attachmentEntity(_ attachment: MailAttachment) -> Entity {
        var type = SafeHeaderValue(attachment.contentType).value.lowercased()
        let pieces = type.split(separator: "/")
        let token = { (s: Substring) in
            !s.isEmpty && s.unicodeScalars.allSatisfy { $0.value > 32 && $0.value < 127 && !"()<>@,;:\\\"/[]?=".unicodeScalars.contains($0) }
        }
        if pieces.count != 2 || !pieces.allSatisfy(token) { type = "application/octet-stream" }
        let filename = SafeHeaderValue(attachment.filename).value
        var headers = "Content-Type: \(type)"
        var disposition = "Content-Disposition: attachment"
        if !filename.isEmpty {
            if EncodedWord.needsEncoding(filename) || filename.utf8.count > 60 {
                let encoded = filename.utf8.map { byte -> String in
                    let unreserved = (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A)
                        || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x2E || byte == 0x5F
                    return unreserved ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
                }.joined()
                // RFC 2231 continuations keep each line short
                var sections: [String] = []
                var rest = Substring(encoded)
                while !rest.isEmpty {
                    var cut = rest.index(rest.startIndex, offsetBy: min(60, rest.count))
                    // never split a %XX escape
                    let tail = rest[rest.startIndex..<cut].suffix(2)
                    if let percent = tail.firstIndex(of: "%") { cut = percent }
                    sections.append(String(rest[rest.startIndex..<cut]))
                    rest = rest[cut...]
                }
                for (number, section) in sections.enumerated() {
                    disposition += ";\r\n filename*\(number)*=" + (number == 0 ? "utf-8''" : "") + section
                }
                headers += ";\r\n name=\"" + EncodedWord.encode(filename).joined(separator: " ") + "\""
            } else {
                let quoted = filename.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                headers += ";\r\n name=\"\(quoted)\""
                disposition += ";\r\n filename=\"\(quoted)\""
            }
        }
        headers += "\r\n" + disposition + "\r\nContent-Transfer-Encoding: base64\r\n"
        return Entity(headers: headers, body: TransferEncoding.encodeBase64(attachment.data) + "\r\n")
    }

    private static func multipart(_ subtype: String, _ children: [Entity], boundaries: inout BoundaryMaker) -> Entity {
        let boundary = boundaries.next(avoiding: children)
        var body = ""
        // the line break before each delimiter belongs to the delimiter, not to the part
        for (index, child) in children.enumerated() {
            body += (index == 0 ? "" : "\r\n") + "--\(boundary)\r\n" + child.headers + "\r\n" + child.body
        }
        body += "\r\n--\(boundary)--\r\n"
        return Entity(headers: "Content-Type: multipart/\(subtype);\r\n boundary=\"\(boundary)\"\r\n", body: body)
    }

    /// Makes boundaries that appear in none of the parts they separate.
    private struct BoundaryMaker {
        var state: UInt64
        init(seed: String) {
            // FNV-1a of the seed: stable output for the same message
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in seed.utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01b3
            }
            state = hash
        }
        /// Whether `needle` (not empty) occurs in the text's UTF-8 bytes.
        static func occurs(_ needle: [UInt8], in text: String) -> Bool {
            var text = text
            return text.withUTF8 { bytes in
                guard needle.count <= bytes.count, let first = needle.first else { return false }
                var start = 0
                while start <= bytes.count - needle.count {
                    if bytes[start] == first {
                        var matched = 1
                        while matched < needle.count && bytes[start + matched] == needle[matched] { matched += 1 }
                        if matched == needle.count { return true }
                    }
                    start += 1
                }
                return false
            }
        }

        mutating func next(avoiding children: [Entity]) -> String {
            while true {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let boundary = "=_rb_" + String(state, radix: 36)
                let needle = Array(boundary.utf8)
                if !children.contains(where: { Self.occurs(needle, in: $0.body) || Self.occurs(needle, in: $0.headers) }) {
                    return boundary
                }
            }
        }
    }

    /// `Tue, 03 Mar 2026 09:05:00 +0000` in UTC (RFC 5322 §3.3).
    static func rfc5322Date(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // civil-from-days (proleptic Gregorian)
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = Int((days % 7 + 7 + 4) % 7)  // 1970-01-01 was a Thursday
        let names = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(names[weekday]), \(two(day)) \(months[Int(month - 1)]) \(year) "
            + "\(two(secondOfDay / 3600)):\(two(secondOfDay % 3600 / 60)):\(two(secondOfDay % 60)) +0000"
    }
}
