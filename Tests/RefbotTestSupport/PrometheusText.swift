import Foundation

/// A `/metrics` page in the Prometheus text format, read into samples for assertions.
///
/// ```swift
/// let page = PrometheusText(body)
/// #expect(page.value("refbot_commands_total", ["command": "help", "outcome": "executed"]) == 1)
/// ```
public struct PrometheusText: Sendable {
    /// One sample line: its name, labels and value.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double
    }

    public let samples: [Sample]
    /// `# TYPE` per metric family.
    public let types: [String: String]
    /// `# HELP` per metric family.
    public let help: [String: String]
    /// Lines that are neither comments, blank, nor samples (should be none).
    public let unreadable: [String]

    public init(_ text: String) {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        var help: [String: String] = [:]
        var unreadable: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) {
            if line.hasPrefix("# TYPE ") || line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = String(rest.prefix { $0 != " " })
                let value = String(rest.dropFirst(name.count + 1))
                if line.hasPrefix("# TYPE ") { types[name] = value } else { help[name] = value }
                continue
            }
            if line.hasPrefix("#") { continue }
            guard let sample = Self.sample(line) else {
                unreadable.append(line)
                continue
            }
            samples.append(sample)
        }
        self.samples = samples
        self.types = types
        self.help = help
        self.unreadable = unreadable
    }

    /// The value of the sample named `name` whose labels include `labels`; nil when there is none.
    /// More than one match (a family asked for without its labels) is nil too.
    public func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matches = samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matches.count == 1 ? matches[0].value : nil
    }

    /// Every label value the page carries.
    public var labelValues: [String] { samples.flatMap { $0.labels.values } }

    /// `name{a="b",c="d"} 1.5`
    static func sample(_ line: String) -> Sample? {
        var labels: [String: String] = [:]
        let name: String
        var rest: Substring
        if let brace = line.firstIndex(of: "{") {
            name = String(line[..<brace])
            rest = line[line.index(after: brace)...]
            while !rest.hasPrefix("}") {
                guard let equals = rest.firstIndex(of: "="), rest[rest.index(after: equals)...].hasPrefix("\"") else { return nil }
                let key = String(rest[..<equals]).trimmingCharacters(in: CharacterSet(charactersIn: ","))
                rest = rest[rest.index(equals, offsetBy: 2)...]
                var value = ""
                var escaped = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(c == "n" ? "\n" : c)
                        escaped = false
                    } else if c == "\\" {
                        escaped = true
                    } else if c == "\"" {
                        break
                    } else {
                        value.append(c)
                    }
                }
                labels[key] = value
                if rest.hasPrefix(",") { rest = rest.dropFirst() }
                if rest.isEmpty { return nil }
            }
            rest = rest.dropFirst()
        } else {
            guard let space = line.firstIndex(of: " ") else { return nil }
            name = String(line[..<space])
            rest = line[space...]
        }
        let valueText = rest.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
        let value: Double?
        switch valueText.lowercased() {
        case "nan": value = .nan
        case "+inf", "inf": value = .infinity
        case "-inf": value = -.infinity
        default: value = Double(valueText)
        }
        guard let value, !name.isEmpty else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }
}
