import Foundation
import Mustache
import RefbotCore

/// A mail rendered from its template: subject, plain text, and HTML when the event has one.
public struct RenderedMail: Sendable, Equatable {
    public var subject: String
    public var text: String
    public var html: String?
}

/// The mail templates of every ``MailEvent``, loaded and checked once at start-up.
///
/// Each event has `<event>.txt` and, for mail with buttons, `<event>.html` in the templates
/// folder. A `.txt` template starts with `{{% CONTENT_TYPE: TEXT}}` (so member text is not
/// HTML-escaped in plain text), then a `Subject: …` line and a blank line, then the body. An
/// `.html` template is the body only, and escapes every value by default.
///
/// ```swift
/// let templates = try TemplateSet(directory: "/usr/share/refbot/mail-templates")
/// let mail = try templates.render(.help, values: context)
/// ```
///
/// Failure modes: a missing or malformed template throws ``TemplateError`` naming every file
/// at fault, so the daemon refuses to start rather than fail on the first mail that needs it.
public struct TemplateSet: Sendable {
    private let text: [MailEvent: MustacheTemplate]
    private let html: [MailEvent: MustacheTemplate]
    private let library: MustacheLibrary
    /// The same templates read for ``TemplateValue``s (``CompiledTemplate``); nil where a template
    /// uses more of Mustache than that covers, and swift-mustache renders it.
    private let compiledText: [MailEvent: CompiledTemplate]
    private let compiledHTML: [MailEvent: CompiledTemplate]
    private let compiledPartials: [String: CompiledTemplate?]
    /// The folder the templates came from.
    public let directory: String

    /// Loads and checks the templates of every event. Throws one error listing every problem.
    public init(directory: String) throws {
        self.directory = directory
        var text: [MailEvent: MustacheTemplate] = [:]
        var html: [MailEvent: MustacheTemplate] = [:]
        var library = MustacheLibrary()
        var compiledText: [MailEvent: CompiledTemplate] = [:]
        var compiledHTML: [MailEvent: CompiledTemplate] = [:]
        var compiledPartials: [String: CompiledTemplate?] = [:]
        var problems: [String] = []
        let folder = URL(fileURLWithPath: directory)

        // Partials: any `_name.mustache` file, usable as {{> name}}.
        if let names = try? FileManager.default.contentsOfDirectory(atPath: directory) {
            for name in names.sorted() where name.hasPrefix("_") && name.hasSuffix(".mustache") {
                let stem = String(name.dropFirst().dropLast(".mustache".count))
                do {
                    let source = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
                    try library.register(source, named: stem)
                    compiledPartials[stem] = CompiledTemplate(source)
                } catch {
                    problems.append("\(name): \(error)")
                }
            }
        } else {
            throw TemplateError(
                code: .unreadable, message: "cannot read the templates folder \(directory); check bot.templates")
        }

        for event in MailEvent.allCases {
            let textPath = folder.appendingPathComponent("\(event.rawValue).txt").path
            let htmlPath = folder.appendingPathComponent("\(event.rawValue).html").path
            guard FileManager.default.fileExists(atPath: textPath) else {
                problems.append("\(event.rawValue).txt is missing")
                continue
            }
            do {
                let source = try String(contentsOfFile: textPath, encoding: .utf8)
                guard source.hasPrefix("{{% CONTENT_TYPE: TEXT}}") else {
                    problems.append("\(event.rawValue).txt must start with {{% CONTENT_TYPE: TEXT}}")
                    continue
                }
                guard source.contains("Subject:") else {
                    problems.append("\(event.rawValue).txt has no Subject: line")
                    continue
                }
                text[event] = try MustacheTemplate(string: source)
                compiledText[event] = CompiledTemplate(source)
            } catch {
                problems.append("\(event.rawValue).txt: \(error)")
            }
            if FileManager.default.fileExists(atPath: htmlPath) {
                do {
                    let source = try String(contentsOfFile: htmlPath, encoding: .utf8)
                    html[event] = try MustacheTemplate(string: source)
                    compiledHTML[event] = CompiledTemplate(source)
                } catch {
                    problems.append("\(event.rawValue).html: \(error)")
                }
            }
        }
        guard problems.isEmpty else {
            throw TemplateError(
                code: problems.contains(where: { $0.hasSuffix("missing") }) ? .missing : .invalid,
                message: "mail templates in \(directory) are not usable: " + problems.joined(separator: "; "))
        }
        self.text = text
        self.html = html
        self.library = library
        self.compiledText = compiledText
        self.compiledHTML = compiledHTML
        self.compiledPartials = compiledPartials
    }

    /// Whether the event has an HTML alternative.
    public func hasHTML(_ event: MailEvent) -> Bool { html[event] != nil }

    /// Renders an event's mail with these values.
    public func render(_ event: MailEvent, values: [String: TemplateValue]) throws -> RenderedMail {
        guard let template = text[event] else {
            throw TemplateError(code: .missing, message: "no template for \(event.rawValue)")
        }
        var context: [String: Any]?
        func mustache(_ template: MustacheTemplate) -> String {
            if context == nil { context = values.mapValues(\.mustacheValue) }
            return template.render(context!, library: library)
        }
        let renderedText = compiledText[event]?.render(values, partials: compiledPartials) ?? mustache(template)
        let rendered = Array(renderedText.utf8)
        var lines = Self.lines(rendered)[...]
        while let first = lines.first, Self.isBlank(rendered[first]) { lines = lines.dropFirst() }
        let prefix = Array("Subject:".utf8)
        guard let subjectLine = lines.first, rendered[subjectLine].starts(with: prefix) else {
            throw TemplateError(code: .invalid, message: "\(event.rawValue).txt rendered without a Subject: line first")
        }
        let subject = Self.trimmed(rendered[subjectLine].dropFirst(prefix.count))
        var body = lines.dropFirst()
        while let first = body.first, Self.isBlank(rendered[first]) { body = body.dropFirst() }
        let textBody = Self.tidy(rendered, lines: body)
        let htmlBody = html[event].map { compiledHTML[event]?.render(values, partials: compiledPartials) ?? mustache($0) }
        return RenderedMail(subject: subject, text: textBody, html: htmlBody)
    }

    /// An event's templates (text, then HTML) rendered by ``CompiledTemplate`` (nil: it cannot) and
    /// by swift-mustache, before any tidying; for tests that compare the two.
    func renderedBothWays(_ event: MailEvent, values: [String: TemplateValue]) -> [(compiled: String?, mustache: String)] {
        let context = values.mapValues(\.mustacheValue)
        var result: [(compiled: String?, mustache: String)] = []
        if let template = text[event] {
            result.append((compiledText[event]?.render(values, partials: compiledPartials), template.render(context, library: library)))
        }
        if let template = html[event] {
            result.append((compiledHTML[event]?.render(values, partials: compiledPartials), template.render(context, library: library)))
        }
        return result
    }

    /// A template source (with these partials) rendered both ways, as ``renderedBothWays(_:values:)``;
    /// the compiled side is nil when the source does not compile or the values cannot be shown.
    static func renderedBothWays(
        source: String, partials: [String: String], values: [String: TemplateValue]
    ) throws -> (compiled: String?, mustache: String) {
        var library = MustacheLibrary()
        var compiledPartials: [String: CompiledTemplate?] = [:]
        for (name, partial) in partials {
            try library.register(partial, named: name)
            compiledPartials[name] = CompiledTemplate(partial)
        }
        let mustache = try MustacheTemplate(string: source).render(values.mapValues(\.mustacheValue), library: library)
        return (CompiledTemplate(source)?.render(values, partials: compiledPartials), mustache)
    }

    /// Trailing spaces off every line, at most one blank line in a row, one final newline.
    static func tidy(_ text: String) -> String {
        let bytes = Array(text.utf8)
        return tidy(bytes, lines: lines(bytes)[...])
    }

    /// ``tidy(_:)`` of the given lines of `bytes`, joined with LF.
    private static func tidy(_ bytes: [UInt8], lines: ArraySlice<Range<Int>>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 1)
        var lastWasBlank = true
        var pendingBlank = false
        for line in lines {
            var end = line.upperBound
            while end > line.lowerBound, bytes[end - 1] == UInt8(ascii: " ") || bytes[end - 1] == UInt8(ascii: "\t") { end -= 1 }
            if end == line.lowerBound {
                // a blank line is written only when text follows it, and never two in a row
                if !lastWasBlank { pendingBlank = true }
                lastWasBlank = true
                continue
            }
            if !out.isEmpty { out.append(UInt8(ascii: "\n")) }
            if pendingBlank { out.append(UInt8(ascii: "\n")) }
            pendingBlank = false
            out.append(contentsOf: bytes[line.lowerBound..<end])
            lastWasBlank = false
        }
        out.append(UInt8(ascii: "\n"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The lines of UTF-8 text, split where `Character.isNewline` would split it: CRLF, LF, CR,
    /// VT, FF, NEL (U+0085), LS (U+2028) and PS (U+2029); as ranges of byte offsets, without the breaks.
    static func lines(_ bytes: [UInt8]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            var breakLength = 0
            switch byte {
            case 0x0A, 0x0B, 0x0C: breakLength = 1
            case 0x0D: breakLength = index + 1 < bytes.count && bytes[index + 1] == 0x0A ? 2 : 1
            case 0xC2: breakLength = index + 1 < bytes.count && bytes[index + 1] == 0x85 ? 2 : 0
            case 0xE2:
                breakLength = index + 2 < bytes.count && bytes[index + 1] == 0x80
                    && (bytes[index + 2] == 0xA8 || bytes[index + 2] == 0xA9) ? 3 : 0
            default: breakLength = 0
            }
            if breakLength == 0 {
                index += 1
                continue
            }
            result.append(start..<index)
            index += breakLength
            start = index
        }
        result.append(start..<bytes.count)
        return result
    }

    /// The line without the white space at either end (Foundation's `.whitespaces`): spaces and tabs
    /// cut on bytes, Foundation asked only when a non-ASCII character is left at an end.
    static func trimmed(_ line: ArraySlice<UInt8>) -> String {
        let isSpace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var line = line
        while let first = line.first, isSpace(first) { line = line.dropFirst() }
        while let last = line.last, isSpace(last) { line = line.dropLast() }
        let text = String(decoding: line, as: UTF8.self)
        guard let first = line.first, let last = line.last, first >= 0x80 || last >= 0x80 else { return text }
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// Whether a line holds only white space (Foundation's `.whitespaces`: tab and the space separators).
    private static func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }) { return true }
        guard line.contains(where: { $0 >= 0x80 }) else { return false }
        return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces).isEmpty
    }
}

extension TemplateValue {
    /// The value as swift-mustache reads it.
    var mustacheValue: Any {
        switch self {
        case .text(let text): text
        case .number(let number): Int(number)
        case .flag(let flag): flag
        case .list(let items): items.map(\.mustacheValue)
        case .object(let fields): fields.mapValues(\.mustacheValue)
        }
    }
}
