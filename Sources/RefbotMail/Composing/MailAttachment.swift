import Foundation

/// A file attached to an outgoing message.
public struct MailAttachment: Sendable, Equatable {
    /// The file name shown to the recipient.
    public var filename: String
    /// The MIME type, e.g. `text/csv`.
    public var contentType: String
    /// The file's bytes.
    public var data: [UInt8]

    /// Creates an attachment.
    public init(filename: String, contentType: String, data: [UInt8]) {
        self.filename = filename
        self.contentType = contentType
        self.data = data
    }
}
