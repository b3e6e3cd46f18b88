/// Listings, their search, and follows.
public protocol ListingLedger {
    /// The listing with this id, if any.
    func listing(id: Int64) throws -> Listing?
    /// Inserts the listing (setting its id) or updates it.
    func save(_ listing: inout Listing) throws

    /// The open listings matching `query` at `now`, in result order (``SearchRanking``), at most `limit`.
    ///
    /// An empty query lists every open listing.
    func searchListings(_ query: ListingQuery, now: Int64, limit: Int) throws -> [SearchCandidate]
    /// Listings in `state` (every state when `nil`), oldest first, at most `limit`.
    func listings(state: ListingState?, limit: Int) throws -> [Listing]
    /// Every listing `memberId` owns, any state, oldest first.
    func listings(ownedBy memberId: Int64) throws -> [Listing]
    /// Pending or live listings whose `expiresAt` has passed at `now`, for the scheduler to expire.
    func listingsToExpire(now: Int64) throws -> [Listing]

    /// Records that `followerId` follows `followedId`; `false` when they already did.
    func follow(followerId: Int64, followedId: Int64, now: Int64) throws -> Bool
    /// Removes the follow; `false` when there was none.
    func unfollow(followerId: Int64, followedId: Int64) throws -> Bool
    /// The active members who follow `memberId`, in the order they followed.
    func followers(of memberId: Int64) throws -> [Member]
}

/// What a member searches for: words, and `category:` / `location:` filters (spec §3 SEARCH).
///
/// ```swift
/// ListingQuery(parsing: #"kitchen remodel location:"New York" category:home"#)
/// // words ["kitchen", "remodel"], location "New York", category "home"
/// ```
public struct ListingQuery: Sendable, Hashable {
    /// The words every result must contain (the last one may be a prefix).
    public var words: [String]
    /// Words the listing's category must contain, as written.
    public var category: String?
    /// Words the listing's location must contain, as written.
    public var location: String?

    /// A query from its parts.
    public init(words: [String] = [], category: String? = nil, location: String? = nil) {
        self.words = words
        self.category = category
        self.location = location
    }

    /// Whether the query has no words and no filters (LISTINGS: everything open).
    public var isEmpty: Bool { words.isEmpty && (category ?? "").isEmpty && (location ?? "").isEmpty }

    /// Reads `words… category:x location:"y z"`; a filter's value is one word or a quoted phrase.
    public init(parsing text: String) {
        self.init()
        var index = text.startIndex
        func skipSpaces() {
            while index < text.endIndex, text[index].isWhitespace { index = text.index(after: index) }
        }
        /// One word, or a quoted phrase when it starts with a double quote.
        func readValue() -> String {
            let quotes: Set<Character> = ["\"", "\u{201C}", "\u{201D}"]
            if index < text.endIndex, quotes.contains(text[index]) {
                index = text.index(after: index)
                let start = index
                while index < text.endIndex, !quotes.contains(text[index]) { index = text.index(after: index) }
                let value = String(text[start..<index])
                if index < text.endIndex { index = text.index(after: index) }
                return value
            }
            let start = index
            while index < text.endIndex, !text[index].isWhitespace { index = text.index(after: index) }
            return String(text[start..<index])
        }
        while true {
            skipSpaces()
            guard index < text.endIndex else { break }
            let start = index
            let token = readValue()
            let lower = token.lowercased()
            let filters = ["category:", "location:", "cat:", "loc:", "city:"]
            if let prefix = filters.first(where: { lower.hasPrefix($0) }), !token.hasPrefix("\"") {
                var value = String(token.dropFirst(prefix.count))
                if value.isEmpty {
                    // `category: plumbing` or `location:"New York"` read back from the word's end.
                    index = text.index(start, offsetBy: prefix.count)
                    skipSpaces()
                    value = readValue()
                } else if value.first == "\"" {
                    index = text.index(start, offsetBy: prefix.count)
                    value = readValue()
                }
                let trimmed = value.trimmedOfWhitespace
                if prefix.hasPrefix("cat") {
                    category = trimmed.isEmpty ? category : trimmed
                } else {
                    location = trimmed.isEmpty ? location : trimmed
                }
                continue
            }
            if !token.isEmpty { words.append(token) }
        }
    }

    /// The query as a member would write it again, for the results mail.
    public var description: String {
        var parts = words
        if let category, !category.isEmpty { parts.append(Self.filter("category", category)) }
        if let location, !location.isEmpty { parts.append(Self.filter("location", location)) }
        return parts.joined(separator: " ")
    }

    private static func filter(_ name: String, _ value: String) -> String {
        value.contains(where: \.isWhitespace) ? "\(name):\"\(value)\"" : "\(name):\(value)"
    }
}
