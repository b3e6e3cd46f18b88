import Foundation
import RefbotCore

/// Reading a compliance rules file (`compliance.rules_file`; format in `rules/compliance.toml`,
/// whose text is built into refbot as ``shippedSource``).
///
/// ```swift
/// let rules = try ComplianceRulesFile.parse(ComplianceRulesFile.shippedSource)
/// ```
public enum ComplianceRulesFile {
    /// The text of `rules/compliance.toml` as built (the RefbotRules build plugin copies it in).
    public static var shippedSource: String { shippedComplianceRules }

    /// The shipped rules; they parse (a test keeps it so), and are empty if they ever did not.
    public static let shipped: ComplianceRules = (try? parse(shippedSource)) ?? .none

    /// Everything wrong with a rules file, one line each: `rule 2 ("aba-7.2"): allow names "cash" …`.
    public struct Problems: Error, Sendable, Equatable, CustomStringConvertible {
        public var lines: [String]
        public var description: String { lines.joined(separator: "\n") }
    }

    /// Reads the file at `path`.
    public static func load(path: String) throws(Problems) -> ComplianceRules {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw Problems(lines: ["cannot read \(path)"])
        }
        return try parse(text)
    }

    private static let topKeys: Set<String> = ["default_jurisdiction", "professions", "rule"]
    private static let ruleKeys: Set<String> = [
        "id", "name", "profession", "jurisdiction", "allow", "disclosure", "explanation",
    ]

    /// Reads rules text; throws every problem found, not only the first.
    public static func parse(_ text: String) throws(Problems) -> ComplianceRules {
        let root: [String: TOMLValue]
        do {
            root = try TOMLParser.parse(text)
        } catch {
            throw Problems(lines: ["\(error) (fix the TOML syntax)"])
        }
        var problems: [String] = []
        for key in root.keys.sorted() where !topKeys.contains(key) {
            let hint = KeySpelling.nearest(to: key, among: topKeys).map { "did you mean \($0)?" }
                ?? "the file takes default_jurisdiction, [professions] and [[rule]] tables"
            problems.append("\(key) is not part of a rules file; \(hint)")
        }

        var defaultJurisdiction: String?
        switch root["default_jurisdiction"] {
        case nil: break
        case .string(let text)?:
            if !text.trimmingCharacters(in: .whitespaces).isEmpty {
                defaultJurisdiction = Jurisdiction.key(text)
                if defaultJurisdiction == nil {
                    problems.append(
                        "default_jurisdiction \"\(text)\" is not a jurisdiction; write a country code such as \"US\", "
                            + "a subdivision such as \"US-CA\", or \"\" for none")
                }
            }
        case let other?:
            problems.append("default_jurisdiction is \(other.typeName), not a string; write default_jurisdiction = \"US\"")
        }

        var professions: [ComplianceRules.Profession] = []
        switch root["professions"] {
        case nil: break
        case .table(let table)?:
            for key in table.keys.sorted() {
                guard Self.isKey(key) else {
                    problems.append(
                        "professions: \"\(key)\" is not a profession key; use lower-case letters, digits and _, such as real_estate")
                    continue
                }
                guard case .array(let items)? = table[key] else {
                    problems.append("professions.\(key) is not a list; write \(key) = [\"name\", \"other name\"]")
                    continue
                }
                var names: [String] = []
                for item in items {
                    guard case .string(let name) = item, !ComplianceRules.normalizedWords(name).isEmpty else {
                        problems.append("professions.\(key) has an entry that is not a name; list names in quotes")
                        continue
                    }
                    names.append(ComplianceRules.normalizedWords(name))
                }
                professions.append(.init(key: key, names: names))
            }
        case let other?:
            problems.append("professions is \(other.typeName), not a table; write [professions] with key = [\"names\"] lines")
        }
        let professionKeys = Set(professions.map(\.key))

        var rules: [ComplianceRules.Rule] = []
        var tables: [[String: TOMLValue]] = []
        switch root["rule"] {
        case nil: break
        case .array(let items)?:
            for item in items {
                if case .table(let table) = item { tables.append(table) } else {
                    problems.append("rule must be [[rule]] tables, not a list of values")
                }
            }
        case let other?:
            problems.append("rule is \(other.typeName); write each rule as a [[rule]] table")
        }
        var seen: Set<String> = []
        for (index, table) in tables.enumerated() {
            var label = "rule \(index + 1)"
            if case .string(let id)? = table["id"] { label += " (\"\(id)\")" }
            func problem(_ text: String) { problems.append("\(label): \(text)") }
            func string(_ key: String, required: Bool) -> String? {
                switch table[key] {
                case .string(let value)?:
                    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
                    if trimmed.isEmpty {
                        if required { problem("\(key) is empty; write it") }
                        return nil
                    }
                    return trimmed
                case nil:
                    if required { problem("\(key) is missing; add \(key) = \"…\"") }
                    return nil
                case let other?:
                    problem("\(key) is \(other.typeName), not a string; put it in quotes")
                    return nil
                }
            }
            for key in table.keys.sorted() where !ruleKeys.contains(key) {
                let hint = KeySpelling.nearest(to: key, among: ruleKeys).map { "did you mean \($0)?" }
                    ?? "a rule takes \(ruleKeys.sorted().joined(separator: ", "))"
                problem("\(key) is not a rule setting; \(hint)")
            }
            let id = string("id", required: true)
            if let id {
                if !Self.isRuleID(id) {
                    problem("id \"\(id)\" is not a short name; use lower-case letters, digits, . and -, such as respa-8")
                }
                if !seen.insert(id).inserted { problem("id \"\(id)\" is used by an earlier rule; give each rule its own id") }
            }
            let name = string("name", required: true)
            let explanation = string("explanation", required: true)
            let disclosure = string("disclosure", required: false)
            let profession = string("profession", required: true)
            if let profession, !professionKeys.contains(profession) {
                let known = professionKeys.sorted().joined(separator: ", ")
                problem(
                    "profession \"\(profession)\" is not in [professions]; use one of \(known.isEmpty ? "(none yet)" : known), "
                        + "or add it there with the names members write")
            }
            var jurisdiction: String?
            if let written = string("jurisdiction", required: false) {
                jurisdiction = Jurisdiction.key(written)
                if jurisdiction == nil {
                    problem("jurisdiction \"\(written)\" is not a jurisdiction; write a country code such as \"US\" or a subdivision such as \"US-CA\"")
                }
            }
            var allowed: Set<RewardClass> = []
            switch table["allow"] {
            case .array(let items)?:
                for item in items {
                    guard case .string(let word) = item, let kinds = RewardClass.named(word) else {
                        let shown = if case .string(let word) = item { "\"\(word)\"" } else { item.typeName }
                        problem("allow names \(shown), not a reward kind; use \(RewardClass.vocabulary)")
                        continue
                    }
                    allowed.formUnion(kinds)
                }
                if items.isEmpty { problem("allow is empty; list the reward kinds a listing may offer, such as [\"none\"]") }
            case nil:
                problem("allow is missing; add allow = [\"none\"] (or the reward kinds a listing may offer)")
            case let other?:
                problem("allow is \(other.typeName), not a list; write allow = [\"none\", \"in_kind\"]")
            }
            if let id, let name, let explanation, let profession, !allowed.isEmpty {
                rules.append(
                    .init(
                        id: id, name: name, profession: profession, jurisdiction: jurisdiction, allowed: allowed,
                        disclosure: disclosure, explanation: explanation))
            }
        }
        guard problems.isEmpty else { throw Problems(lines: problems) }
        return ComplianceRules(professions: professions, rules: rules, defaultJurisdiction: defaultJurisdiction)
    }

    private static func isKey(_ text: String) -> Bool {
        guard let first = text.first, first.isLetter else { return false }
        return text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" }
    }

    private static func isRuleID(_ text: String) -> Bool {
        text.count <= 40 && text.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" || $0 == "." }
    }

    /// The rules as `refbot admin compliance rules` prints them.
    public static func describe(_ rules: ComplianceRules, source: String) -> [String] {
        var lines = ["Compliance rules from \(source)"]
        lines.append(
            "Listings without a Jurisdiction: line: "
                + (rules.defaultJurisdiction.map { "taken to be in \($0)" } ?? "every rule for their profession applies"))
        lines.append("")
        lines.append("Professions (a Profession: line, or else the Category:, naming one of these):")
        if rules.professions.isEmpty { lines.append("  none: every listing is unrestricted") }
        for profession in rules.professions {
            lines.append("  \(profession.key): \(profession.names.joined(separator: ", "))")
        }
        lines.append("")
        lines.append("Rules:")
        if rules.rules.isEmpty { lines.append("  none") }
        for rule in rules.rules {
            lines.append("  \(rule.id): \(rule.name)")
            lines.append("    applies to:  \(rule.profession) \(rule.whereText)")
            lines.append("    allows:      \(rule.allowed.sorted().map(\.rawValue).joined(separator: ", "))")
            lines.append("    disclosure:  \(rule.disclosure ?? "none")")
            lines.append("    explanation: \(rule.explanation)")
        }
        lines.append("")
        lines.append(ComplianceRules.notLegalAdvice)
        return lines
    }
}
