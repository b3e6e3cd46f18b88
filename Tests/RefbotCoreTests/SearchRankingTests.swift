import RefbotCore
import Testing

private let now: Int64 = 1_800_000_000

private func listing(
    _ id: Int64, createdAt: Int64 = 0, featuredUntil: Int64? = nil, state: ListingState = .live,
    expiresAt: Int64? = nil
) -> Listing {
    Listing(
        id: id, ownerId: 1, title: "L\(id)", category: "Home", customer: "Anyone", reward: .none, state: state,
        featuredUntil: featuredUntil, expiresAt: expiresAt, createdAt: createdAt)
}

@Suite("Search ranking")
struct SearchRankingTests {
    private func ids(_ candidates: [SearchCandidate]) -> [Int64?] { candidates.map(\.listing.id) }

    @Test("featured listings come first, then the best match (lowest bm25), then the newest")
    func order() {
        let ranked = SearchRanking.rank(
            [
                SearchCandidate(listing: listing(1, createdAt: 10), matchScore: -1.0),
                SearchCandidate(listing: listing(2, createdAt: 20), matchScore: -5.0),
                SearchCandidate(listing: listing(3, createdAt: 30, featuredUntil: now + 60), matchScore: -0.5),
                SearchCandidate(listing: listing(4, createdAt: 40), matchScore: -1.0),
                SearchCandidate(listing: listing(5, createdAt: 50, featuredUntil: now + 60), matchScore: -2.0),
            ], now: now)
        #expect(ids(ranked) == [5, 3, 2, 4, 1])
    }

    @Test("a feature that has ended counts for nothing")
    func expiredFeature() {
        let ranked = SearchRanking.rank(
            [
                SearchCandidate(listing: listing(1, createdAt: 10, featuredUntil: now), matchScore: -1.0),
                SearchCandidate(listing: listing(2, createdAt: 20), matchScore: -3.0),
            ], now: now)
        #expect(ids(ranked) == [2, 1])
    }

    @Test("without words, listings order by featured and then newest")
    func noScores() {
        let ranked = SearchRanking.rank(
            [
                SearchCandidate(listing: listing(1, createdAt: 10)),
                SearchCandidate(listing: listing(2, createdAt: 30)),
                SearchCandidate(listing: listing(3, createdAt: 20, featuredUntil: now + 1)),
            ], now: now)
        #expect(ids(ranked) == [3, 2, 1])
    }

    @Test("a scored listing ranks before an unscored one, and equal listings order by higher id")
    func tieBreaks() {
        let ranked = SearchRanking.rank(
            [
                SearchCandidate(listing: listing(1, createdAt: 10)),
                SearchCandidate(listing: listing(2, createdAt: 5), matchScore: -0.1),
                SearchCandidate(listing: listing(3, createdAt: 10)),
            ], now: now)
        #expect(ids(ranked) == [2, 3, 1])
    }

    @Test("only listings open at now are returned")
    func onlyOpen() {
        let ranked = SearchRanking.rank(
            [
                SearchCandidate(listing: listing(1, state: .pending)),
                SearchCandidate(listing: listing(2, state: .closed)),
                SearchCandidate(listing: listing(3, expiresAt: now)),
                SearchCandidate(listing: listing(4, expiresAt: now + 1)),
                SearchCandidate(listing: listing(5, featuredUntil: now + 100, state: .declined)),
            ], now: now)
        #expect(ids(ranked) == [4])
    }
}
