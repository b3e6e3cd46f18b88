import Foundation

/// A parsed message: its header fields, the common fields read from them, and its decoded parts.
public struct ParsedMessage: Sendable {
    /// Every header field of the top-level entity, in order, duplicates kept.
    public var headers: [HeaderField]
    /// The first mailbox of `From`.
    public var from: EmailAddress?
    /// All mailboxes of every `To` field.
    public var to: [EmailAddress]
    /// All mailboxes of every `Cc` field.
    public var cc: [EmailAddress]
    /// All mailboxes of every `Reply-To` field.
    public var replyTo: [EmailAddress]
    /// The decoded `Subject`, unfolded; empty when there is none.
    public var subject: String
    /// The `Message-ID` without angle brackets.
    public var messageID: String?
    /// The ids in `In-Reply-To`, without angle brackets.
    public var inReplyTo: [String]
    /// The ids in `References`, without angle brackets.
    public var references: [String]
    /// The `Return-Path` address: nil when absent, empty for the null sender `<>`.
    public var returnPath: String?
    /// Lowercased `type/subtype` of the top-level entity.
    public var contentType: String
    /// The text: the first inline `text/plain` part, else the first `text/html` part as text, else empty.
    public var textBody: String
    /// The first inline `text/html` part, when there is one.
    public var htmlBody: String?
    /// The leaf parts in document order.
    public var parts: [MessagePart]

    /// Creates a message from parsed headers and leaf parts; the common fields are derived from them.
    public init(headers: [HeaderField], parts: [MessagePart]) {
        self.headers = headers
        self.parts = parts
        func addresses(_ name: String) -> [EmailAddress] {
            headers.all(named: name).flatMap { EmailAddress.parseList($0.rawValue) }
        }
        from = addresses("From").first
        to = addresses("To")
        cc = addresses("Cc")
        replyTo = addresses("Reply-To")
        subject = headers.first(named: "Subject")?.value ?? ""
        let ids = headers.first(named: "Message-ID").map { ParsedMessage.messageIDs(in: $0.rawValue) } ?? []
        messageID = ids.first
        inReplyTo = headers.all(named: "In-Reply-To").flatMap { ParsedMessage.messageIDs(in: $0.rawValue) }
        references = headers.all(named: "References").flatMap { ParsedMessage.messageIDs(in: $0.rawValue) }
        if let path = headers.first(named: "Return-Path")?.rawValue {
            let trimmed = path.trimmingCharacters(in: .whitespaces)
            if let open = trimmed.firstIndex(of: "<"), let close = trimmed[open...].firstIndex(of: ">") {
                returnPath = String(trimmed[trimmed.index(after: open)..<close]).trimmingCharacters(in: .whitespaces)
            } else {
                returnPath = trimmed
            }
        } else {
            returnPath = nil
        }
        let type = ContentType(headers.first(named: "Content-Type")?.rawValue ?? "").value
        contentType = type.contains("/") ? type : "text/plain"
        let html = parts.first { $0.contentType == "text/html" && !$0.isAttachment }?.text
        htmlBody = html
        if let plain = parts.first(where: { $0.contentType == "text/plain" && !$0.isAttachment })?.text {
            textBody = plain
        } else if let html {
            textBody = HTMLToText.text(html)
        } else {
            textBody = ""
        }
    }

    /// The first field called `name` (case-insensitive), decoded.
    public func header(_ name: String) -> String? {
        headers.first(named: name)?.value
    }

    /// Every field called `name` (case-insensitive), decoded, in order.
    public func headers(named name: String) -> [String] {
        headers.all(named: name).map(\.value)
    }

    /// The `<id>` tokens in a header value without brackets; bare tokens when there are no brackets.
    static func messageIDs(in value: String) -> [String] {
        var value = value
        if let ascii: [String] = value.withUTF8({ bytes in
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var ids: [String] = []
            var index = 0
            while index < bytes.count {
                guard bytes[index] == UInt8(ascii: "<") else {
                    index += 1
                    continue
                }
                var close = index + 1
                while close < bytes.count, bytes[close] != UInt8(ascii: ">") { close += 1 }
                guard close < bytes.count else { break }
                // without the spaces and tabs around it (`.whitespaces` in ASCII)
                var start = index + 1
                var end = close
                while start < end, bytes[start] == 32 || bytes[start] == 9 { start += 1 }
                while end > start, bytes[end - 1] == 32 || bytes[end - 1] == 9 { end -= 1 }
                if start < end { ids.append(UTF8Text.string(bytes, start..<end)) }
                index = close + 1
            }
            // no bracketed ids: the fallback below splits the value
            return ids.isEmpty ? nil : ids
        }) {
            return ascii
        }
        var ids: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { break }
            let id = rest[rest.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
            if !id.isEmpty { ids.append(id) }
            rest = rest[rest.index(after: close)...]
        }
        if ids.isEmpty {
            ids = value.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }).map(String.init)
                .filter { $0.contains("@") }
        }
        return ids
    }
}
