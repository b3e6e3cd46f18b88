import Foundation

import RefbotCore

extension Configuration {
    /// `[compliance]`
    public struct Compliance: Sendable, Equatable {
        /// The rules file as resolved (``ServicePaths/configuration(_:)``); empty: the rules built
        /// into refbot (``ComplianceRulesFile/shipped``).
        public var rulesFile = ""
        /// The rules in force, read from ``rulesFile`` when the configuration was loaded.
        public var rules: ComplianceRules = ComplianceRulesFile.shipped

        /// Where the rules came from, for messages: the file, or `the rules built into refbot`.
        public var source: String { rulesFile.isEmpty ? "the rules built into refbot" : rulesFile }

        /// `3 from /etc/refbot/compliance.toml`, for `check-config`.
        public var summary: String { "\(rules.rules.count) from \(source)" }
    }

    /// Reads `[compliance]`: `rules_file` is read and checked now, so `check-config` and the
    /// daemon's start report a broken file as `compliance.rules_file: …` lines.
    static func readCompliance(_ r: inout TableReader, into c: inout Configuration) {
        guard let path = r.string("rules_file"), !path.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        let resolved = r.paths.configuration(path)
        c.compliance.rulesFile = resolved
        do {
            c.compliance.rules = try ComplianceRulesFile.load(path: resolved)
        } catch {
            for line in error.lines {
                let remedy =
                    line.hasPrefix("cannot read")
                    ? "check the path (relative paths are beside the configuration file), or remove rules_file to use the rules built into refbot"
                    : "see the format in /usr/share/refbot/compliance.toml"
                r.problem("rules_file", "\(resolved): \(line)", remedy)
            }
        }
    }
}
