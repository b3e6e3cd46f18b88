import Foundation

/// A TOML value.
public indirect enum TOMLValue: Sendable, Equatable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])
    case table([String: TOMLValue])

    /// The TOML type's name, for messages.
    public var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a number"
        case .boolean: "true or false"
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A syntax error in a TOML document, with its line.
public struct TOMLError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var message: String
    public var description: String { "line \(line): \(message)" }
}

/// Reads TOML documents (v1.0): tables, dotted keys, basic and literal strings (also multi-line),
/// integers (decimal, hex, octal, binary, with `_`), floats, booleans, arrays and inline tables.
/// Dates are read as strings.
///
/// ```swift
/// let table = try TOMLParser.parse("[imap]\npoll_seconds = 30\n")
/// ```
public struct TOMLParser {
    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var line = 1
    private var root: [String: TOMLValue] = [:]
    private var currentPath: [String] = []
    private var definedTables: Set<[String]> = []

    private init(_ text: String) { scalars = Array(text.unicodeScalars) }

    /// Parses a whole document into its root table.
    public static func parse(_ text: String) throws(TOMLError) -> [String: TOMLValue] {
        var parser = TOMLParser(text)
        try parser.document()
        return parser.root
    }

    // MARK: - Document

    private mutating func document() throws(TOMLError) {
        while true {
            skipWhitespaceAndNewlines()
            guard let c = peek() else { return }
            if c == "#" {
                skipComment()
            } else if c == "[" {
                try tableHeader()
            } else {
                let (keyPath, value) = try keyValue()
                try insert(value, at: currentPath + keyPath)
                try endOfLine()
            }
        }
    }

    private mutating func tableHeader() throws(TOMLError) {
        advance()  // [
        let isArray = peek() == "["
        if isArray { advance() }
        skipSpaces()
        let path = try key()
        skipSpaces()
        guard peek() == "]" else { throw fail("expected ] to close the table name") }
        advance()
        if isArray {
            guard peek() == "]" else { throw fail("expected ]] to close the array-of-tables name") }
            advance()
            try appendTable(at: path)
        } else {
            guard !definedTables.contains(path) else { throw fail("table [\(path.joined(separator: "."))] is defined twice") }
            definedTables.insert(path)
            try ensureTable(at: path)
        }
        currentPath = path
        try endOfLine()
    }

    private mutating func keyValue() throws(TOMLError) -> ([String], TOMLValue) {
        let path = try key()
        skipSpaces()
        guard peek() == "=" else { throw fail("expected = after the key \(path.joined(separator: "."))") }
        advance()
        skipSpaces()
        return (path, try value())
    }

    private mutating func key() throws(TOMLError) -> [String] {
        var parts: [String] = []
        while true {
            skipSpaces()
            guard let c = peek() else { throw fail("expected a key") }
            if c == "\"" {
                parts.append(try basicString())
            } else if c == "'" {
                parts.append(try literalString())
            } else {
                var name = ""
                while let c = peek(), c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-" {
                    name.unicodeScalars.append(c)
                    advance()
                }
                guard !name.isEmpty else { throw fail("expected a key, found \"\(c)\"") }
                parts.append(name)
            }
            skipSpaces()
            if peek() == "." { advance() } else { return parts }
        }
    }

    // MARK: - Values

    private mutating func value() throws(TOMLError) -> TOMLValue {
        guard let c = peek() else { throw fail("expected a value") }
        switch c {
        case "\"":
            if lookahead("\"\"\"") { return .string(try multilineBasicString()) }
            return .string(try basicString())
        case "'":
            if lookahead("'''") { return .string(try multilineLiteralString()) }
            return .string(try literalString())
        case "[": return try array()
        case "{": return try inlineTable()
        case "t", "f":
            if lookahead("true") { position += 4; return .boolean(true) }
            if lookahead("false") { position += 5; return .boolean(false) }
            throw fail("expected a value; strings need quotes, as in key = \"text\"")
        default: return try numberOrDate()
        }
    }

    private mutating func array() throws(TOMLError) -> TOMLValue {
        advance()  // [
        var items: [TOMLValue] = []
        while true {
            skipWhitespaceNewlinesAndComments()
            if peek() == "]" { advance(); return .array(items) }
            items.append(try value())
            skipWhitespaceNewlinesAndComments()
            if peek() == "," { advance(); continue }
            if peek() == "]" { advance(); return .array(items) }
            throw fail("expected , or ] in the array")
        }
    }

    private mutating func inlineTable() throws(TOMLError) -> TOMLValue {
        advance()  // {
        var table: [String: TOMLValue] = [:]
        skipSpaces()
        if peek() == "}" { advance(); return .table(table) }
        while true {
            skipSpaces()
            let (path, value) = try keyValue()
            try Self.insert(value, at: path[...], into: &table, line: line)
            skipSpaces()
            if peek() == "," { advance(); continue }
            if peek() == "}" { advance(); return .table(table) }
            throw fail("expected , or } in the inline table")
        }
    }

    private mutating func numberOrDate() throws(TOMLError) -> TOMLValue {
        var text = ""
        while let c = peek(), !(c == "," || c == "]" || c == "}" || c == "#" || c == "\n" || c == "\r") {
            if c == " " || c == "\t" {
                // A date-time may have one space between date and time.
                if text.count == 10, text.filter({ $0 == "-" }).count == 2, let next = peek(at: 1), ("0"..."9").contains(next) {
                    text.append(" ")
                    advance()
                    continue
                }
                break
            }
            text.unicodeScalars.append(c)
            advance()
        }
        if text.isEmpty { throw fail("expected a value") }
        switch text {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if text.count >= 8, text.dropFirst(4).first == "-" || text.dropFirst(2).first == ":" {
            return .string(text)  // a date or time, kept as text
        }
        let clean = text.replacingOccurrences(of: "_", with: "")
        if clean.hasPrefix("0x"), let v = Int64(clean.dropFirst(2), radix: 16) { return .integer(v) }
        if clean.hasPrefix("0o"), let v = Int64(clean.dropFirst(2), radix: 8) { return .integer(v) }
        if clean.hasPrefix("0b"), let v = Int64(clean.dropFirst(2), radix: 2) { return .integer(v) }
        if let v = Int64(clean) { return .integer(v) }
        if let v = Double(clean), clean.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) { return .float(v) }
        throw fail("\"\(text)\" is not a value TOML knows; put text in quotes, as in key = \"\(text)\"")
    }

    // MARK: - Strings

    private mutating func basicString() throws(TOMLError) -> String {
        advance()  // "
        var out = String.UnicodeScalarView()
        while let c = peek() {
            advance()
            switch c {
            case "\"": return String(out)
            case "\\": out.append(contentsOf: try escape())
            case "\n", "\r": throw fail("a string in \"quotes\" must end on the same line; use \"\"\" for several lines")
            default: out.append(c)
            }
        }
        throw fail("the string was not closed with \"")
    }

    private mutating func multilineBasicString() throws(TOMLError) -> String {
        position += 3
        skipOneNewline()
        var out = String.UnicodeScalarView()
        while let c = peek() {
            if lookahead("\"\"\"") {
                // Up to two quotes may stand right before the closing delimiter.
                var extra = 0
                while extra < 2, peek(at: 3 + extra) == "\"" { extra += 1 }
                for _ in 0..<extra { out.append("\"") }
                position += 3 + extra
                return String(out)
            }
            advance()
            if c == "\n" { line += 1 }
            if c == "\\" {
                // A backslash at the end of a line trims the newline and leading whitespace.
                if let next = peek(), next == " " || next == "\t" || next == "\n" || next == "\r" {
                    var probe = position
                    while probe < scalars.count, scalars[probe] == " " || scalars[probe] == "\t" { probe += 1 }
                    if probe < scalars.count, scalars[probe] == "\n" || scalars[probe] == "\r" {
                        position = probe
                        skipWhitespaceAndNewlines()
                        continue
                    }
                }
                out.append(contentsOf: try escape())
            } else {
                out.append(c)
            }
        }
        throw fail("the multi-line string was not closed with \"\"\"")
    }

    private mutating func literalString() throws(TOMLError) -> String {
        advance()  // '
        var out = String.UnicodeScalarView()
        while let c = peek() {
            advance()
            if c == "'" { return String(out) }
            if c == "\n" || c == "\r" { throw fail("a string in 'quotes' must end on the same line") }
            out.append(c)
        }
        throw fail("the string was not closed with '")
    }

    private mutating func multilineLiteralString() throws(TOMLError) -> String {
        position += 3
        skipOneNewline()
        var out = String.UnicodeScalarView()
        while let c = peek() {
            if lookahead("'''") {
                var extra = 0
                while extra < 2, peek(at: 3 + extra) == "'" { extra += 1 }
                for _ in 0..<extra { out.append("'") }
                position += 3 + extra
                return String(out)
            }
            advance()
            if c == "\n" { line += 1 }
            out.append(c)
        }
        throw fail("the multi-line string was not closed with '''")
    }

    private mutating func escape() throws(TOMLError) -> [Unicode.Scalar] {
        guard let c = peek() else { throw fail("the string ends inside an escape") }
        advance()
        switch c {
        case "n": return ["\n"]
        case "t": return ["\t"]
        case "r": return ["\r"]
        case "b": return ["\u{08}"]
        case "f": return ["\u{0C}"]
        case "e": return ["\u{1B}"]
        case "\"": return ["\""]
        case "\\": return ["\\"]
        case "u", "U":
            let count = c == "u" ? 4 : 8
            var hex = ""
            for _ in 0..<count {
                guard let h = peek() else { break }
                hex.unicodeScalars.append(h)
                advance()
            }
            guard let code = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(code) else {
                throw fail("\\\(c)\(hex) is not a Unicode character")
            }
            return [scalar]
        default:
            throw fail("\\\(c) is not an escape TOML knows; write \\\\ for a backslash (Windows paths: use 'single quotes')")
        }
    }

    // MARK: - Tables

    private mutating func insert(_ value: TOMLValue, at path: [String]) throws(TOMLError) {
        try Self.insert(value, at: path[...], into: &root, line: line)
    }

    private static func insert(
        _ value: TOMLValue, at path: ArraySlice<String>, into table: inout [String: TOMLValue], line: Int
    ) throws(TOMLError) {
        guard let first = path.first else { return }
        if path.count == 1 {
            guard table[first] == nil else {
                throw TOMLError(line: line, message: "the key \(first) is set twice")
            }
            table[first] = value
            return
        }
        var inner: [String: TOMLValue]
        switch table[first] {
        case nil: inner = [:]
        case .table(let existing): inner = existing
        case .array(var items):
            // The last table of an array of tables.
            guard case .table(var last)? = items.last else {
                throw TOMLError(line: line, message: "\(first) is not a table")
            }
            try insert(value, at: path.dropFirst(), into: &last, line: line)
            items[items.count - 1] = .table(last)
            table[first] = .array(items)
            return
        default: throw TOMLError(line: line, message: "\(first) already has a value and cannot also be a table")
        }
        try insert(value, at: path.dropFirst(), into: &inner, line: line)
        table[first] = .table(inner)
    }

    private mutating func ensureTable(at path: [String]) throws(TOMLError) {
        try Self.ensure(path[...], in: &root, line: line)
    }

    private static func ensure(_ path: ArraySlice<String>, in table: inout [String: TOMLValue], line: Int) throws(TOMLError) {
        guard let first = path.first else { return }
        switch table[first] {
        case nil:
            var inner: [String: TOMLValue] = [:]
            try ensure(path.dropFirst(), in: &inner, line: line)
            table[first] = .table(inner)
        case .table(var inner):
            try ensure(path.dropFirst(), in: &inner, line: line)
            table[first] = .table(inner)
        case .array(var items):
            guard case .table(var last)? = items.last else { throw TOMLError(line: line, message: "\(first) is not a table") }
            try ensure(path.dropFirst(), in: &last, line: line)
            items[items.count - 1] = .table(last)
            table[first] = .array(items)
        default:
            throw TOMLError(line: line, message: "\(first) already has a value and cannot also be a table")
        }
    }

    private mutating func appendTable(at path: [String]) throws(TOMLError) {
        guard let last = path.last else { return }
        let parent = path.dropLast()
        try Self.ensure(parent, in: &root, line: line)
        try Self.modify(parent, in: &root, line: line) { (table: inout [String: TOMLValue]) throws(TOMLError) in
            switch table[last] {
            case nil: table[last] = .array([.table([:])])
            case .array(var items):
                items.append(.table([:]))
                table[last] = .array(items)
            default: throw TOMLError(line: line, message: "\(last) is not an array of tables")
            }
        }
    }

    private static func modify(
        _ path: ArraySlice<String>, in table: inout [String: TOMLValue], line: Int,
        _ body: (inout [String: TOMLValue]) throws(TOMLError) -> Void
    ) throws(TOMLError) {
        guard let first = path.first else { return try body(&table) }
        guard case .table(var inner)? = table[first] else { throw TOMLError(line: line, message: "\(first) is not a table") }
        try modify(path.dropFirst(), in: &inner, line: line, body)
        table[first] = .table(inner)
    }

    // MARK: - Scanning

    private func peek(at offset: Int = 0) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private mutating func advance() { position += 1 }

    private func lookahead(_ text: String) -> Bool {
        var index = position
        for c in text.unicodeScalars {
            guard index < scalars.count, scalars[index] == c else { return false }
            index += 1
        }
        return true
    }

    private mutating func skipSpaces() {
        while let c = peek(), c == " " || c == "\t" { advance() }
    }

    private mutating func skipComment() {
        while let c = peek(), c != "\n" { advance() }
    }

    private mutating func skipOneNewline() {
        if peek() == "\r" { advance() }
        if peek() == "\n" { advance(); line += 1 }
    }

    private mutating func skipWhitespaceAndNewlines() {
        while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" {
            if c == "\n" { line += 1 }
            advance()
        }
    }

    private mutating func skipWhitespaceNewlinesAndComments() {
        while true {
            skipWhitespaceAndNewlines()
            if peek() == "#" { skipComment() } else { return }
        }
    }

    private mutating func endOfLine() throws(TOMLError) {
        skipSpaces()
        if peek() == "#" { skipComment() }
        guard let c = peek() else { return }
        guard c == "\n" || c == "\r" else { throw fail("unexpected \"\(c)\" after the value; one key = value per line") }
    }

    private func fail(_ message: String) -> TOMLError { TOMLError(line: line, message: message) }
}
