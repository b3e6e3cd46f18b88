/// Monthly recognition: the members who gave the most referrals, had the most accepted and won
/// the most in one month — counts only, never amounts (a member's revenue and rewards stay
/// between the two sides of a referral).
///
/// - **given**: referrals the member made that reached the owner in the month;
/// - **accepted**: referrals the member made that the owner accepted in the month;
/// - **won**: referrals the member made that the owner marked WON in the month.
///
/// Only active members who are not suspended are ranked. Referrals flagged as possible
/// self-referrals do not count. A member who sent `RECOGNITION off` keeps their place in the
/// ranking (so every other rank stays true) but is shown as "a member who keeps their rank
/// private"; they still see their own rank in STATUS.
///
/// Ties are ordered deterministically: the higher count first; on equal counts, whoever reached
/// the count first (the earlier time of their last counted referral); then the earlier member.
public enum Recognition {
    /// What a list ranks.
    public enum Category: String, Sendable, Hashable, Codable, CaseIterable {
        case given, accepted, won

        /// The list's heading in mail.
        public var heading: String {
            switch self {
            case .given: "Most referrals given"
            case .accepted: "Most referrals accepted"
            case .won: "Most referrals won"
            }
        }

        /// The line label in STATUS.
        public var label: String {
            switch self {
            case .given: "Referrals you gave:"
            case .accepted: "Of yours accepted:"
            case .won: "Of yours won:"
            }
        }
    }

    /// One member's count in one category for one month.
    public struct Tally: Sendable, Hashable, Codable {
        public var memberId: Int64
        public var name: String
        public var business: String?
        /// How many referrals counted (≥ 1 for a ranked member).
        public var count: Int
        /// When the last counted referral happened: on equal counts the earlier one ranks higher.
        public var reachedAt: Int64
        /// The member sent `RECOGNITION off`.
        public var isPrivate: Bool

        public init(memberId: Int64, name: String, business: String? = nil, count: Int, reachedAt: Int64, isPrivate: Bool = false) {
            self.memberId = memberId
            self.name = name
            self.business = business
            self.count = count
            self.reachedAt = reachedAt
            self.isPrivate = isPrivate
        }
    }

    /// One line of a list as mailed: the rank, and the name unless the member keeps it private.
    public struct Entry: Sendable, Hashable, Codable {
        public var rank: Int
        public var memberId: Int64
        /// `nil` when the member keeps their rank private.
        public var name: String?
        public var business: String?
        public var count: Int

        /// The words shown for the member: name and business on one line, each cut to
        /// ``Recognition/maxShownLength`` characters (a name is the member's own text, and this
        /// mail goes to everyone).
        public var shownName: String {
            guard let name else { return Recognition.privateName }
            let shown = Recognition.oneLine(name)
            guard let business, !business.isEmpty, business != name else { return shown }
            return "\(shown) (\(Recognition.oneLine(business)))"
        }
    }

    /// The most characters of a member's name, or of their business, a list shows.
    public static let maxShownLength = 60

    /// The text on one line, runs of white space and control characters as one space, cut to
    /// ``maxShownLength`` characters with an ellipsis.
    public static func oneLine(_ text: String) -> String {
        var words: [Substring] = []
        var kept = ""
        for scalar in text.unicodeScalars {
            let blank = scalar.properties.isWhitespace || scalar.properties.generalCategory == .control
                || scalar.properties.generalCategory == .format || scalar.properties.generalCategory == .lineSeparator
                || scalar.properties.generalCategory == .paragraphSeparator
            kept.unicodeScalars.append(blank ? " " : scalar)
        }
        words = kept.split(separator: " ")
        let joined = words.joined(separator: " ")
        return joined.count > maxShownLength ? joined.prefix(maxShownLength - 1) + "…" : joined
    }

    /// How a member who sent `RECOGNITION off` is shown in the lists.
    public static let privateName = "a member who keeps their rank private"

    /// A member's own place in one category.
    public struct Standing: Sendable, Hashable, Codable {
        public var category: Category
        public var count: Int
        /// 1-based; `nil` when the count is 0 (not ranked).
        public var rank: Int?
        /// How many members were ranked in the category.
        public var ranked: Int

        public init(category: Category, count: Int, rank: Int?, ranked: Int) {
            self.category = category
            self.count = count
            self.rank = rank
            self.ranked = ranked
        }
    }

    /// One month's tallies in every category (all ranked members, not cut to the top).
    public struct Board: Sendable, Hashable, Codable {
        public var month: RecognitionMonth
        public var tallies: [Category: [Tally]]

        public init(month: RecognitionMonth, tallies: [Category: [Tally]]) {
            self.month = month
            self.tallies = tallies
        }

        /// Whether nobody has a count in any category.
        public var isEmpty: Bool { Category.allCases.allSatisfy { ranked($0).isEmpty } }

        /// The category's tallies in rank order.
        public func ranked(_ category: Category) -> [Tally] { Recognition.ranked(tallies[category] ?? []) }

        /// The first `limit` of a category, private members masked.
        public func top(_ category: Category, limit: Int) -> [Entry] { Recognition.top(tallies[category] ?? [], limit: limit) }

        /// A member's place in every category.
        public func standings(of memberId: Int64) -> [Standing] {
            Category.allCases.map { category in
                let list = ranked(category)
                let index = list.firstIndex { $0.memberId == memberId }
                return Standing(
                    category: category, count: index.map { list[$0].count } ?? 0, rank: index.map { $0 + 1 },
                    ranked: list.count)
            }
        }
    }

    /// Tallies with a count, in rank order (see the type's notes on ties).
    public static func ranked(_ tallies: [Tally]) -> [Tally] {
        tallies.filter { $0.count > 0 }.sorted { a, b in
            if a.count != b.count { return a.count > b.count }
            if a.reachedAt != b.reachedAt { return a.reachedAt < b.reachedAt }
            return a.memberId < b.memberId
        }
    }

    /// The first `limit` ranked tallies as mailed; private members keep their rank, not their name.
    public static func top(_ tallies: [Tally], limit: Int) -> [Entry] {
        guard limit > 0 else { return [] }
        return ranked(tallies).prefix(limit).enumerated().map { index, tally in
            Entry(
                rank: index + 1, memberId: tally.memberId, name: tally.isPrivate ? nil : tally.name,
                business: tally.isPrivate ? nil : tally.business, count: tally.count)
        }
    }
}

/// What the recognition mail and STATUS read: one month's counts per member.
public protocol RecognitionLedger {
    /// The month's tallies in every category (``Recognition``'s rules on who and what counts).
    func recognitionBoard(month: RecognitionMonth) throws -> Recognition.Board
    /// A member's standings in a month as recorded when the month was ranked (the scheduler's
    /// first pass of the next month); `nil` when the month has not been ranked.
    func recognitionStandings(of memberId: Int64, month: RecognitionMonth) throws -> [Recognition.Standing]?
}
