import Foundation

/// Parses raw RFC 5322 / MIME messages into ``ParsedMessage`` values.
///
/// ```swift
/// let message = try MessageParser.parse(Array(raw))
/// let reply = ReplyTrimmer.trim(message.textBody)
/// ```
///
/// Failure modes: throws ``MailParseError`` with `tooLarge` when the input exceeds ``ParseLimits/maxBytes``,
/// `malformed` when the header section holds NUL bytes, has no fields at all, or a multipart lacks its
/// boundary, and `tooDeep` / `tooManyParts` when the MIME tree exceeds its limits. Everything else (unknown
/// charsets, broken encodings, stray bytes) is read leniently and never fails.
public enum MessageParser {
    /// Parses `raw` within `limits`.
    public static func parse(_ raw: [UInt8], limits: ParseLimits = ParseLimits()) throws(MailParseError)
        -> ParsedMessage
    {
        guard raw.count <= limits.maxBytes else { throw .tooLarge(raw.count, limit: limits.maxBytes) }
        var bytes = raw[...]
        // an mbox "From " line before the header section is not a field
        if bytes.starts(with: Array("From ".utf8)), let newline = bytes.firstIndex(of: 10) {
            bytes = bytes[(newline + 1)...]
        }
        let (header, body) = HeaderSection.split(bytes)
        if header.contains(0) { throw .malformed("the header section contains NUL bytes") }
        let headers = HeaderSection.fields(header)
        guard !headers.isEmpty else { throw .malformed("the message has no header fields") }
        let parts = try MultipartWalker(limits: limits).leaves(headers: headers, body: body)
        return ParsedMessage(headers: headers, parts: parts)
    }
}
