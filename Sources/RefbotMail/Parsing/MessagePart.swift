import Foundation

/// One leaf MIME part of a message (multipart containers are walked, not listed).
public struct MessagePart: Sendable {
    /// Lowercased `type/subtype`, `text/plain` when the part has none.
    public var contentType: String
    /// The `charset` parameter, lowercased, when present.
    public var charset: String?
    /// The file name from `Content-Disposition` or the `name` parameter of `Content-Type`, when present.
    public var filename: String?
    /// The lowercased disposition (`inline`, `attachment`), when present.
    public var disposition: String?
    /// The part's body with its transfer encoding removed.
    public var body: [UInt8]
    /// For `text/*` parts, the body decoded from its charset (format=flowed joined), with LF line ends.
    public var text: String?
    /// The part's own header fields.
    public var headers: [HeaderField]

    /// Creates a part.
    public init(
        contentType: String, charset: String? = nil, filename: String? = nil, disposition: String? = nil,
        body: [UInt8], text: String? = nil, headers: [HeaderField] = []
    ) {
        self.contentType = contentType
        self.charset = charset
        self.filename = filename
        self.disposition = disposition
        self.body = body
        self.text = text
        self.headers = headers
    }

    /// Whether the part is marked as an attachment.
    public var isAttachment: Bool { disposition == "attachment" }
}
