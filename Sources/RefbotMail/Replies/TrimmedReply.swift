import Foundation

/// The result of trimming a reply: what the member wrote, and what was cut away.
public struct TrimmedReply: Sendable, Equatable {
    /// The new text of the reply, trimmed of surrounding whitespace.
    public var newText: String
    /// The quotes, attributions, forwarded blocks and signatures that were cut, in order.
    public var elided: String

    /// Creates a trimmed reply.
    public init(newText: String, elided: String) {
        self.newText = newText
        self.elided = elided
    }
}
