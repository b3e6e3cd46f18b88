import Foundation
import RefbotCore
@testable import RefbotTemplates
import RefbotTestSupport
import Testing

/// `CompiledTemplate` renders the mail templates without swift-mustache's type casts; these tests
/// hold it to swift-mustache's output byte for byte, on the shipped templates and on sources made
/// to exercise the whitespace rules, with values generated from a fixed seed.
@Suite("Compiled mail templates render as swift-mustache does")
struct CompiledTemplateTests {
    static let texts = [
        "", "Ann", "Zoë & Co", "a<b>&\"'c", "e\u{301}&", "line one\nline two", "  spaced  ", "{{x}}", "£1,250",
        "https://example.org/a?b=1&c=2", "日本語",
    ]

    /// The names a source uses, and which of them open sections (only those get lists and objects;
    /// a list in a plain variable is left to swift-mustache anyway).
    struct Names {
        var all: [String]
        var sections: Set<String>
    }

    /// A value for one name: text, a number, a flag, a list, an object, or nothing.
    static func value(_ name: String, names: Names, depth: Int, using rng: inout SplitMix64) -> TemplateValue? {
        let roll = Int.random(in: 0..<100, using: &rng)
        let section = names.sections.contains(name)
        switch roll {
        case 0..<20: return nil
        case 20..<50: return .text(texts.randomElement(using: &rng)!)
        case 50..<60: return .number([0, 1, -5, 123_456].randomElement(using: &rng)!)
        case 60..<75: return .flag(Bool.random(using: &rng))
        case 75..<90 where section && depth < 2:
            let count = Int.random(in: 0...3, using: &rng)
            if Int.random(in: 0..<4, using: &rng) == 0 {
                return .list((0..<count).map { _ in .text(texts.randomElement(using: &rng)!) })
            }
            return .list((0..<count).map { _ in .object(object(names: names, depth: depth + 1, using: &rng)) })
        case 90..<100 where section && depth < 2:
            return .object(object(names: names, depth: depth + 1, using: &rng))
        default:
            return .text(texts.randomElement(using: &rng)!)
        }
    }

    static func object(names: Names, depth: Int, using rng: inout SplitMix64) -> [String: TemplateValue] {
        var fields: [String: TemplateValue] = [:]
        // Inside a section, a handful of names: enough to hit the lookups, small enough to stay quick.
        let chosen = depth == 0 ? names.all : (0..<min(8, names.all.count)).map { _ in names.all.randomElement(using: &rng)! }
        for name in chosen {
            if let value = value(name, names: names, depth: depth, using: &rng) { fields[name] = value }
        }
        return fields
    }

    /// Every name a template source uses, each part of a dotted name on its own.
    static func names(in source: String) -> Names {
        var names: Set<String> = []
        var sections: Set<String> = []
        var rest = source[...]
        while let open = rest.range(of: "{{") {
            rest = rest[open.upperBound...]
            guard let close = rest.range(of: "}}") else { break }
            let raw = rest[..<close.lowerBound]
            let tag = raw.trimmingCharacters(in: CharacterSet(charactersIn: "#^/&{}!>% \t\n"))
            for part in tag.split(separator: ".") where part.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                names.insert(String(part))
                if raw.hasPrefix("#") || raw.hasPrefix("^") { sections.insert(String(part)) }
            }
            rest = rest[close.upperBound...]
        }
        return Names(all: names.sorted(), sections: sections)
    }

    @Test("every shipped template, text and HTML, renders byte for byte as swift-mustache renders it, over 200 generated value sets each")
    func shippedTemplates() throws {
        let templates = try TemplateSet(directory: templatesDirectory)
        var allSources = ""
        for name in try FileManager.default.contentsOfDirectory(atPath: templatesDirectory) {
            allSources += try String(contentsOfFile: templatesDirectory + "/" + name, encoding: .utf8)
        }
        let names = Self.names(in: allSources)
        var rng = SplitMix64(seed: 20_261_204)
        var compared = 0
        var fellBack = 0
        for event in MailEvent.allCases {
            for round in 0..<200 {
                let values = Self.object(names: names, depth: 0, using: &rng)
                for (compiled, mustache) in templates.renderedBothWays(event, values: values) {
                    guard let compiled else {
                        fellBack += 1
                        continue
                    }
                    compared += 1
                    if compiled != mustache {
                        Issue.record("\(event.rawValue), round \(round): compiled\n\(compiled)\n---- swift-mustache\n\(mustache)")
                        return
                    }
                }
            }
        }
        #expect(compared > fellBack, "most renders took the compiled path (\(compared) compared, \(fellBack) fell back)")
    }

    @Test("with text, numbers and flags only, every shipped template compiles and renders without falling back")
    func shippedTemplatesCompile() throws {
        let templates = try TemplateSet(directory: templatesDirectory)
        let values: [String: TemplateValue] = ["name": "Ann", "count": .number(3), "flag": .flag(true)]
        for event in MailEvent.allCases {
            for (compiled, mustache) in templates.renderedBothWays(event, values: values) {
                #expect(compiled == mustache, "\(event.rawValue)")
            }
        }
    }

    static let sources: [(source: String, partials: [String: String])] = [
        ("  {{#a}}\n  x {{b}}\n  {{/a}}\nafter\n", [:]),
        ("a {{#a}}x{{/a}} b\n  {{^a}}none{{/a}}  \nz", [:]),
        ("{{! a comment }}\nline\n  {{! standalone }}  \n  {{! not }} text\nend  ", [:]),
        ("{{% CONTENT_TYPE: TEXT}}\n{{a}}\n{{> p}}\n{{a}} {{{a}}} {{&a}}\n", ["p": "[{{a}}]\n{{% CONTENT_TYPE: TEXT}}\n({{a}})\n"]),
        ("{{#list}}{{.}},{{/list}}|{{#list}}{{b}};{{/list}}\n{{^list}}empty{{/list}}", [:]),
        ("{{#o}}{{a}} {{b}} {{#c}}{{a}}-{{b}}{{/c}}{{/o}}\n", [:]),
        ("{{a.b}} {{a.b.c}} {{#a.b}}[{{c}}]{{/a.b}} {{^a.b}}no{{/a.b}}\n", [:]),
        ("{{#a}}\nx{{/a}} y\nz\n", [:]),
        ("x {{% CONTENT_TYPE: TEXT}} {{a}}\n{{#b}}{{a}}{{% CONTENT_TYPE: HTML}}{{a}}{{/b}}{{a}}\n", [:]),
        ("\t{{#a}}\t\n{{b}}\n\t{{/a}}\t\n{{> p}}\nx  {{> p}} y\n{{> p}}", ["p": "p{{b}}\n"]),
        ("{{> missing}}[{{a}}]\n  {{#a}}  \n{{/a}}", [:]),
        ("Zoë {{a}}\n  {{b}}  {{c}}\n{{#a}} {{/a}}\n", [:]),
    ]

    @Test("sources made to exercise standalone lines, white space, sections, partials and content types render as swift-mustache renders them")
    func edgeCases() throws {
        var rng = SplitMix64(seed: 42)
        for (index, entry) in Self.sources.enumerated() {
            let (source, partials) = entry
            // A source swift-mustache refuses is not one to compare.
            guard (try? TemplateSet.renderedBothWays(source: source, partials: partials, values: [:])) != nil else { continue }
            let names = Self.names(in: source + partials.values.joined())
            var compared = 0
            for _ in 0..<400 {
                let values = Self.object(names: names, depth: 0, using: &rng)
                let (compiled, mustache) = try TemplateSet.renderedBothWays(source: source, partials: partials, values: values)
                guard let compiled else { continue }
                compared += 1
                if compiled != mustache {
                    Issue.record("source \(index) \(source.debugDescription) with \(values):\n\(compiled.debugDescription)\nswift-mustache:\n\(mustache.debugDescription)")
                    return
                }
            }
            #expect(compared > 100, "source \(index) mostly took the compiled path")
        }
    }

    @Test("what the compiled form does not cover is left to swift-mustache: transforms, other delimiters, indented partials, CR line ends")
    func unsupportedFallsBack() throws {
        for source in ["{{uppercased(a)}}", "{{=<% %>=}}<% a %>", "x\n  {{> p}}\n", "a\r\nb {{a}}\r\n", "{{$block}}x{{/block}}", "{{.a}}"] {
            #expect(CompiledTemplate(source) == nil, "\(source.debugDescription)")
            let (compiled, mustache) = try TemplateSet.renderedBothWays(source: source, partials: ["p": "{{a}}"], values: ["a": "x"])
            #expect(compiled == nil)
            #expect(!mustache.isEmpty || source.hasPrefix("{{$"))
        }
        // A list in a variable is shown as swift-mustache shows it, by swift-mustache.
        let (compiled, _) = try TemplateSet.renderedBothWays(source: "{{a}}", partials: [:], values: ["a": ["x", "y"]])
        #expect(compiled == nil)
    }
}
