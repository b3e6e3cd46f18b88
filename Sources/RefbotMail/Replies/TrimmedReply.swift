import Foundation

/// The result of trimming a reply: what the member wrote, and what was cut away.
///
/// The cut text is made from the body only when it is read (most callers want the new text alone).
public struct TrimmedReply: Sendable, Equatable {
    /// The new text of the reply, trimmed of surrounding whitespace.
    public var newText: String
    /// The quotes, attributions, forwarded blocks and signatures that were cut, in order.
    public var elided: String {
        get {
            if let elidedText { return elidedText }
            var body = source
            return body.withUTF8 { ReplyTrimmer.tidy($0, elidedRanges) }
        }
        set { elidedText = newValue }
    }

    private var elidedText: String?
    /// The body the ranges are of (its UTF-8 bytes, contiguous).
    private var source = ""
    private var elidedRanges: [Range<Int>] = []

    /// Creates a trimmed reply.
    public init(newText: String, elided: String) {
        self.newText = newText
        self.elidedText = elided
    }

    /// A trimmed reply whose cut text is the lines `elidedRanges` of `source`.
    init(newText: String, source: String, elidedRanges: [Range<Int>]) {
        self.newText = newText
        self.source = source
        self.elidedRanges = elidedRanges
    }

    public static func == (lhs: TrimmedReply, rhs: TrimmedReply) -> Bool {
        lhs.newText == rhs.newText && lhs.elided == rhs.elided
    }
}
