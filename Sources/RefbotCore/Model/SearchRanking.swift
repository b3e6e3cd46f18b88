/// The order of `search.results`: featured listings first, then the best text match, then the newest.
///
/// Match scores are SQLite FTS5 `bm25()` values, where **lower is better** (they are negative for
/// matches). A `nil` score (no words in the search, just filters) ranks after any score.
///
/// ```swift
/// let ordered = SearchRanking.rank(rows.map { SearchCandidate(listing: $0.listing, matchScore: $0.bm25) },
///                                  now: now)
/// ```
public enum SearchRanking {
    /// The candidates that are open at `now` (live and not past `expiresAt`), in result order.
    ///
    /// Ties on featured, score and creation time fall back to the higher id first, so the order is
    /// always the same for the same input.
    public static func rank(_ candidates: [SearchCandidate], now: Int64) -> [SearchCandidate] {
        candidates
            .filter { $0.listing.isOpen(at: now) }
            .sorted { precedes($0, $1, now: now) }
    }

    /// Whether `first` comes before `second` in results at `now`.
    public static func precedes(_ first: SearchCandidate, _ second: SearchCandidate, now: Int64) -> Bool {
        let firstFeatured = first.listing.isFeatured(at: now)
        let secondFeatured = second.listing.isFeatured(at: now)
        if firstFeatured != secondFeatured { return firstFeatured }
        switch (first.matchScore, second.matchScore) {
        case (let a?, let b?) where a != b: return a < b
        case (.some, .none): return true
        case (.none, .some): return false
        default: break
        }
        if first.listing.createdAt != second.listing.createdAt {
            return first.listing.createdAt > second.listing.createdAt
        }
        return (first.listing.id ?? Int64.min) > (second.listing.id ?? Int64.min)
    }
}
