import Foundation

/// The network's compliance guardrails for listings (`compliance.rules_file`; the shipped defaults
/// are `rules/compliance.toml`): which reward kinds a listing of a profession may offer, in which
/// jurisdiction, and which disclosure line its agreements carry.
///
/// A listing names its `Profession:` and `Jurisdiction:` in free text; ``professionKey(_:)`` and
/// ``Jurisdiction/key(_:)`` turn them into keys (`real_estate`, `US-CA`). A rule for a profession
/// applies when its jurisdiction is a prefix of the listing's on a `-` boundary (`US` covers
/// `US-CA`) or it names none. With a jurisdiction, the most specific applying rules decide; without
/// one (and no ``defaultJurisdiction``), every rule of the profession applies at once, so leaving the
/// line out never loosens a rule. A listing whose reward kind a deciding rule does not allow is
/// refused; otherwise it carries the disclosure lines of the deciding rules.
///
/// The rules are a guardrail, not legal advice; every message about them says so.
///
/// ```swift
/// let verdict = rules.check(profession: "real_estate", jurisdiction: "US-CA", reward: .perSale(money))
/// if case .refused(let rule) = verdict { rule.explanation }
/// ```
public struct ComplianceRules: Sendable, Hashable {
    /// One named profession and the words that name it.
    public struct Profession: Sendable, Hashable {
        /// The key rules name, `real_estate`.
        public var key: String
        /// Ways members write it, normalised (``normalizedWords(_:)``): `real estate`, `realtor`.
        public var names: [String]

        public init(key: String, names: [String]) {
            self.key = key
            self.names = names
        }
    }

    /// One rule.
    public struct Rule: Sendable, Hashable {
        /// A short stable name, `respa-8`, stored with a refused listing and shown to admins.
        public var id: String
        /// The rule in a few words, `RESPA section 8 (12 U.S.C. 2607)`.
        public var name: String
        /// The profession key it covers.
        public var profession: String
        /// The jurisdiction key it covers with everything under it (`US` covers `US-CA`); `nil`: everywhere.
        public var jurisdiction: String?
        /// The reward kinds a listing may offer.
        public var allowed: Set<RewardClass>
        /// A line every agreement of a listing under the rule carries; `nil`: none.
        public var disclosure: String?
        /// What the member is told: why the rule exists.
        public var explanation: String

        public init(
            id: String, name: String, profession: String, jurisdiction: String?, allowed: Set<RewardClass>,
            disclosure: String?, explanation: String
        ) {
            self.id = id
            self.name = name
            self.profession = profession
            self.jurisdiction = jurisdiction
            self.allowed = allowed
            self.disclosure = disclosure
            self.explanation = explanation
        }

        /// What would work, from the allowed kinds: `Offer thanks instead: write Reward: none.`
        public var remedy: String {
            let forms = RewardClass.allCases.filter { allowed.contains($0) }.map(\.example)
            let list = forms.count <= 1
                ? (forms.first ?? "") : forms.dropLast().joined(separator: ", ") + " or " + (forms.last ?? "")
            let thanksOnly = allowed == [.none]
            return (thanksOnly ? "Offer thanks instead: write " : "Offer a reward this rule allows: write ") + list + "."
        }

        /// `in the US`, `in US-CA` or `everywhere`, for messages.
        public var whereText: String {
            guard let jurisdiction else { return "everywhere" }
            return ["US", "GB"].contains(jurisdiction) ? "in the \(jurisdiction)" : "in \(jurisdiction)"
        }
    }

    /// The outcome of ``check(profession:jurisdiction:reward:)``.
    public enum Verdict: Sendable, Hashable {
        /// The listing may go ahead; its agreements carry these lines (often none), from these rules.
        case allowed(disclosures: [String], rules: [Rule])
        /// The listing breaks this rule.
        case refused(Rule)
    }

    /// The professions the rules know, in file order.
    public var professions: [Profession]
    /// The rules, in file order.
    public var rules: [Rule]
    /// The jurisdiction a listing without a `Jurisdiction:` line is taken to be in; `nil`: none.
    public var defaultJurisdiction: String?

    public init(professions: [Profession] = [], rules: [Rule] = [], defaultJurisdiction: String? = nil) {
        self.professions = professions
        self.rules = rules
        self.defaultJurisdiction = defaultJurisdiction
    }

    /// No professions and no rules: every listing is allowed.
    public static let none = ComplianceRules()

    /// The profession key for what a member wrote: the known profession with the longest name found
    /// in it as whole words (`Real estate agent, Austin` → `real_estate`), else the words joined by
    /// `_` (`Dog walking` → `dog_walking`, unknown and unrestricted); `nil` for empty text.
    public func professionKey(_ text: String) -> String? {
        let words = Self.normalizedWords(text)
        guard !words.isEmpty else { return nil }
        if let known = knownProfession(words) { return known }
        return words.replacingOccurrences(of: " ", with: "_")
    }

    /// The known profession named in `text`, or `nil` (used for `Category:` when `Profession:` is missing).
    public func knownProfessionKey(_ text: String) -> String? {
        let words = Self.normalizedWords(text)
        return words.isEmpty ? nil : knownProfession(words)
    }

    private func knownProfession(_ words: String) -> String? {
        let padded = " \(words) "
        var best: (key: String, length: Int)?
        for profession in professions {
            for name in profession.names + [profession.key.replacingOccurrences(of: "_", with: " ")]
            where !name.isEmpty && padded.contains(" \(name) ") {
                if name.count > (best?.length ?? 0) { best = (profession.key, name.count) }
            }
        }
        return best?.key
    }

    /// Lower-case letters and digits, every other run of characters one space: `Real-Estate  Agent` → `real estate agent`.
    public static func normalizedWords(_ text: String) -> String {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).joined(separator: " ")
    }

    /// The rules that decide for a listing of `profession` in `jurisdiction` (keys).
    public func deciding(profession: String?, jurisdiction: String?) -> [Rule] {
        guard let profession else { return [] }
        let place = jurisdiction ?? defaultJurisdiction
        let candidates = rules.filter { rule in
            guard rule.profession == profession else { return false }
            guard let ruleJurisdiction = rule.jurisdiction, let place else { return true }
            return Jurisdiction.covers(ruleJurisdiction, place)
        }
        guard place != nil else { return candidates }
        let best = candidates.map { $0.jurisdiction?.count ?? 0 }.max()
        return candidates.filter { ($0.jurisdiction?.count ?? 0) == best }
    }

    /// Whether a listing may offer `reward`, and which disclosure lines its agreements carry.
    public func check(profession: String?, jurisdiction: String?, reward: Reward) -> Verdict {
        let deciding = deciding(profession: profession, jurisdiction: jurisdiction)
        let kind = RewardClass(reward)
        if let broken = deciding.first(where: { !$0.allowed.contains(kind) }) { return .refused(broken) }
        var disclosures: [String] = []
        for rule in deciding {
            if let line = rule.disclosure, !disclosures.contains(line) { disclosures.append(line) }
        }
        return .allowed(disclosures: disclosures, rules: deciding)
    }

    /// The rule with this id.
    public func rule(id: String) -> Rule? { rules.first { $0.id == id } }

    /// The sentence every message about the rules carries.
    public static let notLegalAdvice =
        "This is not legal advice: the network's rules are a guardrail, and they do not replace a lawyer's advice on the rules that apply to you."
}

/// The reward kinds a compliance rule names in `allow` (the forms of ``Reward``).
public enum RewardClass: String, Sendable, Hashable, CaseIterable, Comparable {
    /// `Reward: none`: the referrer gets the owner's thanks.
    case none
    /// `Reward: in kind: …`.
    case inKind = "in_kind"
    /// `Reward: $50 per lead`.
    case perLead = "per_lead"
    /// `Reward: $500 per sale`.
    case perSale = "per_sale"
    /// `Reward: 10% of sale`.
    case percent

    /// The kind of a listing's reward.
    public init(_ reward: Reward) {
        switch reward {
        case .none: self = .none
        case .inKind: self = .inKind
        case .perLead: self = .perLead
        case .perSale: self = .perSale
        case .percentOfSale: self = .percent
        }
    }

    /// The kinds a word of `allow` names: a kind's own name, `thanks` (= `none`), or `money`
    /// (`per_lead`, `per_sale`, `percent`); `nil` for any other word.
    public static func named(_ word: String) -> [RewardClass]? {
        let normal = word.lowercased().replacingOccurrences(of: "-", with: "_").replacingOccurrences(of: " ", with: "_")
        switch normal {
        case "thanks": return [.none]
        case "money": return [.perLead, .perSale, .percent]
        case "percent_of_sale": return [.percent]
        default: return RewardClass(rawValue: normal).map { [$0] }
        }
    }

    /// The words `allow` takes, for messages.
    public static let vocabulary = "none (or thanks), in_kind, per_lead, per_sale, percent, money (per_lead, per_sale and percent)"

    /// The `Reward:` line that offers this kind.
    public var example: String {
        switch self {
        case .none: "Reward: none"
        case .inKind: "Reward: in kind: a dinner for two"
        case .perLead: "Reward: $50 per lead"
        case .perSale: "Reward: $500 per sale"
        case .percent: "Reward: 10% of sale"
        }
    }

    /// The kind in a few words: `a fixed amount per lead`.
    public var phrase: String {
        switch self {
        case .none: "no reward (thanks)"
        case .inKind: "an in-kind reward"
        case .perLead: "money per lead"
        case .perSale: "money per sale"
        case .percent: "a percentage of the sale"
        }
    }

    public static func < (a: RewardClass, b: RewardClass) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }
}

/// Jurisdiction keys: an ISO 3166-1 country code, optionally with a subdivision (`US`, `US-CA`, `CA-ON`).
public enum Jurisdiction {
    /// The key for what a member wrote, or `nil` when it does not read as one.
    ///
    /// Reads codes in any case with `-`, `_`, `.` or a space between the parts (`us-ca`, `US CA`),
    /// `U.S.`/`USA`/`United States` for `US`, US state names and `California, US` / `CA, USA` forms
    /// (`US-CA`), and `UK`/`United Kingdom` for `GB`.
    public static func key(_ text: String) -> String? {
        let words = ComplianceRules.normalizedWords(text.replacingOccurrences(of: ".", with: ""))
        guard !words.isEmpty else { return nil }
        if let country = countryNames[words] { return country }
        if let state = usStates[words] { return "US-\(state)" }
        // `California, USA`, `Austin, Texas`? Only a leading state name with a US country after it.
        for (country, code) in countryNames where code == "US" && words.hasSuffix(" \(country)") {
            let place = String(words.dropLast(country.count + 1))
            if let state = usStates[place] { return "US-\(state)" }
            if place.count == 2, usStates.values.contains(place.uppercased()) { return "US-\(place.uppercased())" }
        }
        let parts = words.split(separator: " ").map { $0.uppercased() }
        guard let first = parts.first, first.count == 2, first.allSatisfy({ $0.isASCII && $0.isLetter }),
            parts.count <= 3,
            parts.dropFirst().allSatisfy({ (1...3).contains($0.count) && $0.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) } })
        else { return nil }
        let country = countryNames[first.lowercased()] ?? first
        return ([country] + parts.dropFirst()).joined(separator: "-")
    }

    /// Whether the rule's jurisdiction covers the listing's: equal, or a prefix ending at a `-`.
    public static func covers(_ rule: String, _ listing: String) -> Bool {
        listing == rule || listing.hasPrefix(rule + "-")
    }

    private static let countryNames: [String: String] = [
        "us": "US", "usa": "US", "united states": "US", "united states of america": "US", "america": "US",
        "uk": "GB", "united kingdom": "GB", "great britain": "GB", "canada": "CA", "germany": "DE",
        "france": "FR", "australia": "AU", "ireland": "IE", "new zealand": "NZ",
    ]

    private static let usStates: [String: String] = [
        "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA", "colorado": "CO",
        "connecticut": "CT", "delaware": "DE", "district of columbia": "DC", "florida": "FL", "georgia": "GA",
        "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA", "kansas": "KS",
        "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD", "massachusetts": "MA", "michigan": "MI",
        "minnesota": "MN", "mississippi": "MS", "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
        "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY", "north carolina": "NC",
        "north dakota": "ND", "ohio": "OH", "oklahoma": "OK", "oregon": "OR", "pennsylvania": "PA",
        "rhode island": "RI", "south carolina": "SC", "south dakota": "SD", "tennessee": "TN", "texas": "TX",
        "utah": "UT", "vermont": "VT", "virginia": "VA", "washington": "WA", "west virginia": "WV",
        "wisconsin": "WI", "wyoming": "WY", "puerto rico": "PR",
    ]
}
