/// `SEARCH words… [category:x] [location:y]` and `LISTINGS` (anyone, read-only): live listings as
/// `search.results`, featured first, then the best match, then the newest; at most ``maxResults``.
///
/// `LISTINGS` is the same search without words (it takes the filters too).
public struct SearchHandler: CommandHandler {
    public let word: CommandWord

    /// The most listings one results mail shows.
    public static let maxResults = 20

    /// The handler for `SEARCH` (the default) or `LISTINGS`.
    public init(word: CommandWord = .search) {
        self.word = word
    }

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let query = ListingQuery(parsing: command.arguments)
        let found = try ledger.searchListings(query, now: context.now, limit: Self.maxResults + 1)
        let shown = found.prefix(Self.maxResults)
        let owners = try ledger.members(ids: shown.map(\.listing.ownerId))
        let results: [TemplateValue] = shown.map {
            .object($0.listing.mailValues(owner: owners[$0.listing.ownerId], now: context.now))
        }
        let described = query.description
        let values: [String: TemplateValue] = [
            "results": .list(results), "hasResults": .flag(!results.isEmpty), "count": .number(Int64(results.count)),
            "countText": .text(
                results.count == 1
                    ? "1 listing" : "\(results.count)\(found.count > Self.maxResults ? "+" : "") listings"),
            "hasMore": .flag(found.count > Self.maxResults), "query": .text(described),
            "hasQuery": .flag(!described.isEmpty), "isSearch": .flag(!query.isEmpty),
        ]
        return [
            Notification(
                event: .searchResults, to: [context.sender], values: values, quoted: [command.line],
                thread: context.messageID.map { [$0] } ?? [])
        ]
    }
}
