import Foundation

/// What a listing's owner pays a referrer (spec §3, the `Reward:` field of `LISTING`).
///
/// | written | value | owed |
/// | --- | --- | --- |
/// | `$50 per lead` (also `per referral`, `a lead`, `/lead`) | ``perLead(_:)`` | on ACCEPT |
/// | `$500 per sale` (also `a sale`, `/sale`) | ``perSale(_:)`` | on WON |
/// | `10% of sale` (also `12.5% of the sale`, `10 percent of sale`, `10%`) | ``percentOfSale(basisPoints:)`` | on WON, of the won amount |
/// | `in kind: a dinner for two` | ``inKind(_:)`` | on WON, as a text obligation |
/// | `none` (also `no reward`, `nothing`) | ``none`` | never |
///
/// Encoded as `{"kind": "perLead", "amountMinor": 5000, "currency": "USD"}` and so on (see
/// ``Kind``); ``init(kind:amountMinor:currency:basisPoints:text:)`` rebuilds it from flat columns.
public enum Reward: Sendable, Hashable, CustomStringConvertible {
    /// A fixed amount for every accepted referral.
    case perLead(Money)
    /// A fixed amount for every referral that turns into a sale.
    case perSale(Money)
    /// A share of the won sale, in basis points (1000 = 10%).
    case percentOfSale(basisPoints: Int)
    /// Something other than money, described by the owner.
    case inKind(String)
    /// No reward.
    case none

    /// The stored name of each form.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case perLead
        case perSale
        case percentOfSale
        case inKind
        case none
    }

    /// Which form this is.
    public var kind: Kind {
        switch self {
        case .perLead: .perLead
        case .perSale: .perSale
        case .percentOfSale: .percentOfSale
        case .inKind: .inKind
        case .none: .none
        }
    }

    /// The fixed amount of a per-lead or per-sale reward.
    public var amount: Money? {
        switch self {
        case .perLead(let money), .perSale(let money): money
        default: nil
        }
    }

    /// The share of a percent reward, in basis points.
    public var basisPoints: Int? {
        if case .percentOfSale(let basisPoints) = self { return basisPoints }
        return nil
    }

    /// The description of an in-kind reward.
    public var inKindText: String? {
        if case .inKind(let text) = self { return text }
        return nil
    }

    /// Rebuilds a reward from flat columns; `nil` when a column the kind needs is missing.
    public init?(kind: Kind, amountMinor: Int64?, currency: String?, basisPoints: Int?, text: String?) {
        switch kind {
        case .perLead, .perSale:
            guard let amountMinor, let currency else { return nil }
            let money = Money(amountMinor: amountMinor, currency: currency)
            self = kind == .perLead ? .perLead(money) : .perSale(money)
        case .percentOfSale:
            guard let basisPoints else { return nil }
            self = .percentOfSale(basisPoints: basisPoints)
        case .inKind:
            guard let text else { return nil }
            self = .inKind(text)
        case .none:
            self = .none
        }
    }

    /// The reward in the words of the form: `$50.00 per lead`, `10% of sale`, `in kind: a dinner`, `none`.
    ///
    /// It reads back with ``parse(_:defaultCurrency:line:)`` to the same value in the network's own
    /// currency (a bare `$` is read as the network's dollar; see ``MoneyParser``).
    public var description: String {
        switch self {
        case .perLead(let money): "\(money.formatted) per lead"
        case .perSale(let money): "\(money.formatted) per sale"
        case .percentOfSale(let basisPoints): "\(Self.percentText(basisPoints))% of sale"
        case .inKind(let text): "in kind: \(text)"
        case .none: "none"
        }
    }

    /// What the owner owes when they ACCEPT: the amount of a per-lead reward, else `nil`.
    public func owedOnAccept() -> Money? {
        if case .perLead(let money) = self { return money }
        return nil
    }

    /// What the owner owes when they report WON.
    ///
    /// A per-sale reward owes its amount; a percent reward owes its share of `saleAmount`, rounded
    /// half up to a whole minor unit, in the sale's currency, and `nil` when no amount was given (see
    /// ``needsSaleAmount``). Per-lead, in-kind and no reward owe no money on WON.
    public func owedOnWon(saleAmount: Money?) -> Money? {
        switch self {
        case .perSale(let money): money
        case .percentOfSale(let basisPoints): saleAmount.map { $0.share(basisPoints: basisPoints) }
        default: nil
        }
    }

    /// The text of an in-kind reward, owed when the referral is won.
    public func inKindOwedOnWon() -> String? { inKindText }

    /// Whether WON needs the sale amount to work out what is owed.
    public var needsSaleAmount: Bool { kind == .percentOfSale }

    /// The forms that work, for error messages and HELP.
    public static let formsHelp = "$50 per lead, $500 per sale, 10% of sale, in kind: a dinner for two, or none"

    /// Reads the `Reward:` field of a `LISTING` form.
    ///
    /// Amounts are read by ``MoneyParser``, so `€200 per lead` and `2.500,00 EUR per sale` work.
    /// Throws a ``CommandError`` quoting `line` that names the forms that work.
    public static func parse(_ text: String, defaultCurrency: String, line: String) throws(CommandError) -> Reward {
        let cleaned = collapse(text)
        let lower = cleaned.lowercased()
        guard !lower.isEmpty else { throw error(line: line, problem: "The reward is empty.") }

        if ["none", "no reward", "nothing", "no", "n/a", "0", "free"].contains(lower) { return .none }

        if let rest = dropPrefix(cleaned, anyOf: ["in kind:", "in-kind:", "in kind -", "in kind", "in-kind"]) {
            let description = collapse(rest)
            guard !description.isEmpty else {
                throw CommandError(
                    line: line, problem: "The in-kind reward does not say what the referrer gets.",
                    remedy: "Write it like: Reward: in kind: a dinner for two.")
            }
            return .inKind(description)
        }

        if let percent = try percentReward(lower, line: line) { return percent }

        for (suffixes, isLead) in [(leadSuffixes, true), (saleSuffixes, false)] {
            guard let amountText = dropSuffix(lower, anyOf: suffixes) else { continue }
            let originalAmount = String(cleaned.prefix(amountText.count))
            let money: Money
            switch MoneyParser.read(originalAmount, defaultCurrency: defaultCurrency) {
            case .success(let value): money = value
            case .failure(let failure):
                let moneyError = MoneyParser.commandError(failure, text: collapse(originalAmount), line: line)
                throw CommandError(line: line, problem: moneyError.problem, remedy: moneyError.remedy)
            }
            guard !money.isZero else {
                throw CommandError(
                    line: line,
                    problem: "A reward of \(money.formatted) \(isLead ? "per lead" : "per sale") is no reward.",
                    remedy: "Write Reward: none, or an amount such as $50 per lead.")
            }
            return isLead ? .perLead(money) : .perSale(money)
        }

        if MoneyParser.parse(cleaned, defaultCurrency: defaultCurrency) != nil {
            throw error(line: line, problem: "\"\(cleaned)\" gives an amount but not when it is paid.")
        }
        throw error(line: line, problem: "I could not read \"\(cleaned)\" as a reward.")
    }

    // MARK: - Parsing helpers

    private static let leadSuffixes = [
        "per accepted referral", "for each accepted referral", "per qualified lead", "per lead", "per referral",
        "for each lead", "for each referral", "each lead", "each referral", "a lead", "a referral", "/lead",
        "/referral",
    ]

    private static let saleSuffixes = [
        "per closed sale", "per won sale", "for each sale", "per sale", "each sale", "a sale", "/sale",
        "per customer", "per new customer",
    ]

    private static func error(line: String, problem: String) -> CommandError {
        CommandError(line: line, problem: problem, remedy: "Write the reward as one of: \(formsHelp).")
    }

    /// `10% of sale`, `12.5% of the sale`, `10 percent of sale`, `10%`.
    private static func percentReward(_ lower: String, line: String) throws(CommandError) -> Reward? {
        var numberText: Substring
        if let index = lower.firstIndex(of: "%") {
            numberText = lower[..<index]
            let tail = collapse(String(lower[lower.index(after: index)...]))
            guard ["", "of sale", "of the sale", "of sales", "of each sale", "per sale", "of the sale price",
                "of the sale amount", "of sale price", "of sale amount", "of the won amount"].contains(tail)
            else {
                throw error(line: line, problem: "A percent reward is always a share of the sale; "
                    + "I could not read \"\(collapse(lower))\".")
            }
        } else if let (before, after) = split(lower, at: " percent") {
            numberText = before
            let tail = collapse(String(after))
            guard ["", "of sale", "of the sale", "of sales", "of each sale", "per sale"].contains(tail) else {
                throw error(line: line, problem: "A percent reward is always a share of the sale; "
                    + "I could not read \"\(collapse(lower))\".")
            }
        } else {
            return nil
        }
        numberText = Substring(collapse(String(numberText)))
        guard let basisPoints = basisPoints(numberText), basisPoints > 0, basisPoints <= 10_000 else {
            throw CommandError(
                line: line, problem: "\"\(numberText)%\" is not a share I can use.",
                remedy: "Write a percent between 0.01 and 100, like 10% of sale or 12.5% of sale.")
        }
        return .percentOfSale(basisPoints: basisPoints)
    }

    /// `12.5` → 1250; up to two decimals, with a point or a comma.
    private static func basisPoints(_ text: Substring) -> Int? {
        let parts = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "." || $0 == "," })
        guard (1...2).contains(parts.count), let wholePart = parts.first, !wholePart.isEmpty, wholePart.count <= 3,
            wholePart.allSatisfy({ $0.isASCII && $0.isNumber }), let whole = Int(wholePart)
        else { return nil }
        var fraction = 0
        if parts.count == 2 {
            let fractionPart = parts[1]
            guard (1...2).contains(fractionPart.count), fractionPart.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(fractionPart)
            else { return nil }
            fraction = fractionPart.count == 1 ? value * 10 : value
        }
        return whole * 100 + fraction
    }

    /// The text before and after the first occurrence of `separator`.
    private static func split(_ text: String, at separator: String) -> (Substring, Substring)? {
        var index = text.startIndex
        while index < text.endIndex {
            if text[index...].hasPrefix(separator) {
                return (text[..<index], text[text.index(index, offsetBy: separator.count)...])
            }
            index = text.index(after: index)
        }
        return nil
    }

    static func percentText(_ basisPoints: Int) -> String {
        let whole = basisPoints / 100
        let fraction = basisPoints % 100
        if fraction == 0 { return "\(whole)" }
        if fraction % 10 == 0 { return "\(whole).\(fraction / 10)" }
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    private static func collapse(_ text: String) -> String {
        text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\u{00A0}" || $0.isNewline })
            .joined(separator: " ")
    }

    private static func dropPrefix(_ text: String, anyOf prefixes: [String]) -> String? {
        let lower = text.lowercased()
        for prefix in prefixes where lower.hasPrefix(prefix) {
            return String(text.dropFirst(prefix.count))
        }
        return nil
    }

    private static func dropSuffix(_ lower: String, anyOf suffixes: [String]) -> String? {
        for suffix in suffixes where lower.hasSuffix(suffix) {
            let rest = collapse(String(lower.dropLast(suffix.count)))
            return rest.isEmpty ? nil : rest
        }
        return nil
    }
}

extension Reward: Codable {
    private enum CodingKeys: String, CodingKey {
        case kind, amountMinor, currency, basisPoints, text
    }

    /// Decodes `{"kind": …}` with the fields that kind needs.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(Kind.self, forKey: .kind)
        let value = Reward(
            kind: kind,
            amountMinor: try container.decodeIfPresent(Int64.self, forKey: .amountMinor),
            currency: try container.decodeIfPresent(String.self, forKey: .currency),
            basisPoints: try container.decodeIfPresent(Int.self, forKey: .basisPoints),
            text: try container.decodeIfPresent(String.self, forKey: .text))
        guard let value else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container, debugDescription: "reward \(kind.rawValue) lacks a field it needs")
        }
        self = value
    }

    /// Encodes `{"kind": …}` with the fields that kind needs.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encodeIfPresent(amount?.amountMinor, forKey: .amountMinor)
        try container.encodeIfPresent(amount?.currency, forKey: .currency)
        try container.encodeIfPresent(basisPoints, forKey: .basisPoints)
        try container.encodeIfPresent(inKindText, forKey: .text)
    }
}
