import RefbotCore

/// A mail template read once into a tree that renders ``TemplateValue``s directly, for the part of
/// Mustache refbot's templates use: variables (`{{x}}`, `{{{x}}}`, `{{&x}}`, dotted names, `{{.}}`),
/// sections, inverted sections, comments, partials and `{{% CONTENT_TYPE: …}}`.
///
/// It gives the text swift-mustache gives, whitespace and all: it follows the same rules for
/// standalone lines (a line holding only a section, comment, partial or pragma tag is dropped with
/// its line break), for where a tag's leading white space goes, and for what each kind of value
/// does in a variable or a section. It only skips the type casts swift-mustache makes on every tag,
/// which cost a mail more than everything else in rendering it.
///
/// A template using anything else (transforms, changed delimiters, inheritance, indented partials,
/// line breaks other than LF) does not compile (`init` returns nil), and a value it cannot show as
/// swift-mustache would (a list or an object in a variable) makes ``render(_:partials:)`` return nil:
/// ``TemplateSet`` then renders that mail with swift-mustache. `TemplateSetTests` renders every
/// shipped template both ways with many generated values and compares them byte for byte.
struct CompiledTemplate: Sendable {
    indirect enum Node: Sendable {
        case text([UInt8])
        case variable(path: [String], escaped: Bool)
        case section(path: [String], inverted: Bool, body: [Node])
        case partial(String)
        /// `{{% CONTENT_TYPE: TEXT}}` (false: HTML) from here to the end of the template.
        case escaping(Bool)
    }

    let nodes: [Node]

    /// Reads `source`; nil when it uses something outside the supported part of Mustache, or is
    /// malformed (swift-mustache then reports it).
    init?(_ source: String) {
        let bytes = Array(source.utf8)
        guard Self.supported(bytes) else { return nil }
        var reader = Reader(bytes: bytes)
        guard let nodes = reader.parse(section: nil, newLine: true), reader.atEnd else { return nil }
        self.nodes = nodes
    }

    /// Renders with `values` as the outermost object; nil when a value cannot be shown the way
    /// swift-mustache shows it.
    /// `partials` holds every partial swift-mustache knows, nil for one that did not compile.
    func render(_ values: [String: TemplateValue], partials: [String: CompiledTemplate?]) -> String? {
        var out: [UInt8] = []
        out.reserveCapacity(4096)
        var stack: [TemplateValue] = [.object(values)]
        guard Self.render(nodes, stack: &stack, escaping: true, partials: partials, into: &out) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Rendering

    private static func render(
        _ nodes: [Node], stack: inout [TemplateValue], escaping: Bool, partials: [String: CompiledTemplate?],
        into out: inout [UInt8]
    ) -> Bool {
        var escaping = escaping
        for node in nodes {
            switch node {
            case .text(let text):
                out.append(contentsOf: text)
            case .escaping(let html):
                escaping = html
            case .variable(let path, let escaped):
                guard let value = lookUp(path, in: stack) else { continue }
                let text: String
                switch value {
                case .text(let string): text = string
                case .number(let number): text = String(number)
                case .flag(let flag): text = flag ? "true" : "false"
                case .list, .object: return false
                }
                if escaped && escaping { appendEscaped(text, to: &out) } else { out.append(contentsOf: text.utf8) }
            case .section(let path, let inverted, let body):
                // What the body is rendered with, once per entry: nil renders it with the values as
                // they are; a value is pushed as the innermost for that rendering.
                let renderings: [TemplateValue?]
                switch (inverted, lookUp(path, in: stack)) {
                case (false, .none), (false, .flag(false)), (true, .flag(true)): renderings = []
                case (false, .flag(true)), (true, .none), (true, .flag(false)): renderings = [nil]
                case (false, .list(let items)): renderings = items
                case (true, .list(let items)): renderings = items.isEmpty ? [.list([])] : []
                case (false, .some(let value)): renderings = [value]
                case (true, .some): renderings = []
                }
                for pushed in renderings {
                    if let pushed { stack.append(pushed) }
                    let rendered = render(body, stack: &stack, escaping: escaping, partials: partials, into: &out)
                    if pushed != nil { stack.removeLast() }
                    guard rendered else { return false }
                }
            case .partial(let name):
                // A partial starts out escaping HTML, whatever the template around it does.
                guard let known = partials[name] else { continue }
                guard let partial = known, render(partial.nodes, stack: &stack, escaping: true, partials: partials, into: &out)
                else { return false }
            }
        }
        return true
    }

    /// The value a name stands for: `.` is the innermost value; otherwise the first part of the
    /// name is looked for from the innermost object out, and the rest inside what it found.
    private static func lookUp(_ path: [String], in stack: [TemplateValue]) -> TemplateValue? {
        guard let first = path.first else { return stack.last }
        for value in stack.reversed() {
            guard case .object(let fields) = value, var found = fields[first] else { continue }
            for name in path.dropFirst() {
                guard case .object(let inner) = found, let next = inner[name] else { return nil }
                found = next
            }
            return found
        }
        return nil
    }

    /// `<`, `>`, `&`, `"` and `'` as HTML entities, character by character as swift-mustache does
    /// (an `&` carrying a combining mark is another character, and stays as it is).
    private static func appendEscaped(_ text: String, to out: inout [UInt8]) {
        if text.utf8.allSatisfy({ $0 < 0x80 }) {
            for byte in text.utf8 { appendEscaped(byte: byte, to: &out) }
            return
        }
        for character in text {
            if character.utf8.count == 1, let byte = character.utf8.first {
                appendEscaped(byte: byte, to: &out)
            } else {
                out.append(contentsOf: character.utf8)
            }
        }
    }

    private static func appendEscaped(byte: UInt8, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
        case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
        case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
        case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
        case UInt8(ascii: "'"): out.append(contentsOf: "&#39;".utf8)
        default: out.append(byte)
        }
    }

    // MARK: Reading

    /// Whether every line ends in LF alone and no mark joins a character to a `{`, `}` or space
    /// (swift-mustache reads characters, so `{` plus a combining mark is not a `{`; a line break or
    /// tab never joins with what follows).
    private static func supported(_ bytes: [UInt8]) -> Bool {
        for (index, byte) in bytes.enumerated() {
            switch byte {
            case 0x0D, 0x0B, 0x0C: return false
            case 0x80... where index > 0:
                let previous = bytes[index - 1]
                guard [UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: " ")].contains(previous) else { continue }
                let window = String(decoding: bytes[(index - 1)..<min(index + 15, bytes.count)], as: UTF8.self)
                if let first = window.first, first.utf8.count > 1 { return false }
            default: break
            }
        }
        // NEL, LS and PS are line breaks to swift-mustache.
        let text = String(decoding: bytes, as: UTF8.self)
        return !text.unicodeScalars.contains { $0 == "\u{85}" || $0 == "\u{2028}" || $0 == "\u{2029}" }
    }

    /// The parser: line by line, as swift-mustache's.
    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var atEnd: Bool { index >= bytes.count }

        init(bytes: [UInt8]) { self.bytes = bytes }

        private var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        private static func isWhitespace(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A
        }

        /// Nodes up to the end of the text, or up to `{{/section}}`; nil on anything unsupported.
        mutating func parse(section: String?, newLine startsOnNewLine: Bool) -> [Node]? {
            var nodes: [Node] = []
            var newLine = startsOnNewLine
            var whiteSpaceBefore: [UInt8] = []
            while !atEnd {
                if newLine {
                    whiteSpaceBefore = []
                    while let byte = current, byte == 0x20 || byte == 0x09 {
                        whiteSpaceBefore.append(byte)
                        index += 1
                    }
                }
                let (text, foundTag) = readText()
                if !foundTag, current == 0x0A {
                    nodes.append(.text(whiteSpaceBefore + text + [0x0A]))
                    newLine = true
                    index += 1
                    continue
                }
                if !text.isEmpty {
                    nodes.append(.text(whiteSpaceBefore + text))
                    whiteSpaceBefore = []
                    newLine = false
                }
                if !foundTag { break }
                guard let sigil = current else { return nil }
                var setNewLine = false
                switch sigil {
                case UInt8(ascii: "#"), UInt8(ascii: "^"):
                    index += 1
                    guard let name = readName() else { return nil }
                    if standalone(newLine) {
                        setNewLine = true
                    } else if !whiteSpaceBefore.isEmpty {
                        nodes.append(.text(whiteSpaceBefore))
                        whiteSpaceBefore = []
                    }
                    guard let body = parse(section: name, newLine: setNewLine) else { return nil }
                    nodes.append(.section(path: Self.path(name), inverted: sigil == UInt8(ascii: "^"), body: body))
                case UInt8(ascii: "/"):
                    index += 1
                    guard let name = readName(), name == section else { return nil }
                    if !standalone(newLine), !whiteSpaceBefore.isEmpty {
                        nodes.append(.text(whiteSpaceBefore))
                    }
                    return nodes
                case UInt8(ascii: "!"):
                    index += 1
                    guard skipComment() else { return nil }
                    setNewLine = standalone(newLine)
                case UInt8(ascii: "{"), UInt8(ascii: "&"):
                    if !whiteSpaceBefore.isEmpty {
                        nodes.append(.text(whiteSpaceBefore))
                        whiteSpaceBefore = []
                    }
                    index += 1
                    guard let name = readName() else { return nil }
                    if sigil == UInt8(ascii: "{") {
                        guard current == UInt8(ascii: "}") else { return nil }
                        index += 1
                    }
                    nodes.append(.variable(path: Self.path(name), escaped: false))
                case UInt8(ascii: ">"):
                    index += 1
                    skipWhitespace()
                    guard current != UInt8(ascii: "*"), let name = readPartialName() else { return nil }
                    if !whiteSpaceBefore.isEmpty { nodes.append(.text(whiteSpaceBefore)) }
                    if standalone(newLine) {
                        // An indented partial indents each of its lines: left to swift-mustache.
                        guard whiteSpaceBefore.isEmpty else { return nil }
                        setNewLine = true
                    }
                    nodes.append(.partial(name))
                    whiteSpaceBefore = []
                case UInt8(ascii: "%"):
                    index += 1
                    guard let html = readContentType() else { return nil }
                    nodes.append(.escaping(html))
                    setNewLine = standalone(newLine)
                case UInt8(ascii: "<"), UInt8(ascii: "$"), UInt8(ascii: "="):
                    return nil
                default:
                    if !whiteSpaceBefore.isEmpty {
                        nodes.append(.text(whiteSpaceBefore))
                        whiteSpaceBefore = []
                    }
                    guard let name = readName() else { return nil }
                    nodes.append(.variable(path: Self.path(name), escaped: true))
                }
                newLine = setNewLine
            }
            return section == nil ? nodes : nil
        }

        /// Text up to `{{` (consumed; true) or a line break (not consumed) or the end.
        private mutating func readText() -> ([UInt8], Bool) {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x0A { return (Array(bytes[start..<index]), false) }
                if byte == UInt8(ascii: "{"), index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "{") {
                    let text = Array(bytes[start..<index])
                    index += 2
                    return (text, true)
                }
                index += 1
            }
            return (Array(bytes[start..<index]), false)
        }

        /// Whether the tag just read stands alone on its line: the line had nothing before it and
        /// has only spaces or tabs after it; then the rest of the line and its break are consumed.
        private mutating func standalone(_ newLine: Bool) -> Bool {
            guard newLine else { return false }
            if atEnd { return true }
            var probe = index
            while probe < bytes.count, bytes[probe] == 0x20 || bytes[probe] == 0x09 { probe += 1 }
            guard probe < bytes.count, bytes[probe] == 0x0A else { return false }
            index = probe + 1
            return true
        }

        private mutating func skipWhitespace() {
            while let byte = current, Self.isWhitespace(byte) { index += 1 }
        }

        private mutating func expectClose() -> Bool {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "}"), bytes[index + 1] == UInt8(ascii: "}")
            else { return false }
            index += 2
            return true
        }

        /// A tag's name and its closing `}}`; nil for a transform (`f(x)`) or anything unexpected.
        private mutating func readName() -> String? {
            skipWhitespace()
            let start = index
            while let byte = current, Self.isNameByte(byte) { index += 1 }
            let name = String(decoding: bytes[start..<index], as: UTF8.self)
            skipWhitespace()
            guard expectClose(), !name.isEmpty, !name.hasPrefix(".") || name == "." else { return nil }
            return name
        }

        private mutating func readPartialName() -> String? {
            let start = index
            while let byte = current, Self.isNameByte(byte) || byte == UInt8(ascii: "/") { index += 1 }
            let name = String(decoding: bytes[start..<index], as: UTF8.self)
            skipWhitespace()
            guard expectClose(), !name.isEmpty else { return nil }
            return name
        }

        /// `CONTENT_TYPE: TEXT` or `CONTENT_TYPE: HTML` and the closing `}}`: whether to escape.
        private mutating func readContentType() -> Bool? {
            skipWhitespace()
            let variable = readWord()
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { return nil }
            index += 1
            skipWhitespace()
            let value = readWord()
            skipWhitespace()
            guard expectClose(), variable == "CONTENT_TYPE" else { return nil }
            switch value {
            case "TEXT": return false
            case "HTML": return true
            default: return nil
            }
        }

        private mutating func readWord() -> String {
            let start = index
            while let byte = current, Self.isNameByte(byte) { index += 1 }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        private mutating func skipComment() -> Bool {
            while index + 1 < bytes.count {
                if bytes[index] == UInt8(ascii: "}") && bytes[index + 1] == UInt8(ascii: "}") {
                    index += 2
                    return true
                }
                index += 1
            }
            return false
        }

        /// Letters, digits and `.-_?*` (swift-mustache's name characters, brackets left out).
        private static func isNameByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "?"), UInt8(ascii: "*"):
                true
            default: false
            }
        }

        /// `a.b` as `["a", "b"]` (empty parts dropped, as swift-mustache splits); `.` as `[]`.
        private static func path(_ name: String) -> [String] {
            name == "." ? [] : name.split(separator: ".").map(String.init)
        }
    }
}
