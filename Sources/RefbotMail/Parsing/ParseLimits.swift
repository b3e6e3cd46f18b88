import Foundation

/// Bounds on the work ``MessageParser`` does for one message.
public struct ParseLimits: Sendable {
    /// Largest raw message accepted, in bytes (10 MiB by default).
    public var maxBytes = 10 << 20
    /// Deepest multipart nesting accepted (the top-level entity is depth 0).
    public var maxDepth = 32
    /// Most MIME entities (multipart containers and leaves) accepted.
    public var maxParts = 1000

    /// Creates limits; every argument has a sensible default.
    public init(maxBytes: Int = 10 << 20, maxDepth: Int = 32, maxParts: Int = 1000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxParts = maxParts
    }
}
