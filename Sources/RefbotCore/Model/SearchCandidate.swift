/// A listing found by a search, with its text-match score.
public struct SearchCandidate: Sendable, Hashable {
    /// The listing.
    public var listing: Listing
    /// FTS5 `bm25()`; lower is a better match; `nil` when the search had no words.
    public var matchScore: Double?

    /// A found listing.
    public init(listing: Listing, matchScore: Double? = nil) {
        self.listing = listing
        self.matchScore = matchScore
    }
}
