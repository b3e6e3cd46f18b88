import Foundation

/// Turns an HTML mail body into readable plain text.
///
/// Block elements become line breaks, `<li>` a `- ` item, `<script>`/`<style>`/`<head>` are dropped and
/// entities decoded. Quote containers become `> ` quoted lines so the reply trimmer can cut them:
/// `<blockquote>` (Apple Mail's `type="cite"` included), Gmail's `gmail_quote` and Outlook's
/// `divRplyFwdMsg` (which holds the From:/Sent: header of the quoted mail, so it is quoted as well as all
/// that follows it inside the same parent). The tokenizer is a single pass with no recursion, so deeply
/// nested markup costs linear time.
enum HTMLToText {
    private static let blockElements: Set<String> = [
        "p", "div", "br", "tr", "table", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
        "pre", "hr", "section", "article", "header", "footer", "address", "dl", "dt", "dd", "center", "form",
        "fieldset", "nav", "aside", "main", "figure", "figcaption", "tbody", "thead", "tfoot", "caption",
    ]
    private static let voidElements: Set<String> = [
        "br", "img", "hr", "meta", "link", "input", "area", "base", "col", "embed", "source", "track", "wbr",
        "param",
    ]
    private static let droppedElements: Set<String> = ["script", "style", "head", "title", "template", "noscript"]

    private struct OpenElement {
        var name: String
        var quotes: Bool
        var quotesFollowingSiblings: Bool
    }

    /// Converts `html` to text with LF line ends.
    static func text(_ html: String) -> String {
        let scalars = Array(html.unicodeScalars)
        var lines: [String] = []
        var current = ""
        var quoteDepth = 0
        var stack: [OpenElement] = []
        var preDepth = 0
        var pendingSpace = false
        var index = 0

        func prefix() -> String {
            quoteDepth > 0 ? String(repeating: ">", count: quoteDepth) + " " : ""
        }
        func breakLine() {
            lines.append(current.isEmpty ? "" : prefix() + current)
            current = ""
            pendingSpace = false
        }
        func softBreak() {
            if !current.isEmpty { breakLine() }
        }
        func append(_ text: String) {
            for scalar in text.unicodeScalars {
                if preDepth > 0 {
                    if scalar == "\n" {
                        breakLine()
                    } else if scalar != "\r" {
                        current.unicodeScalars.append(scalar)
                    }
                    continue
                }
                if scalar == " " || scalar == "\n" || scalar == "\t" || scalar == "\r" || scalar == "\u{0C}" {
                    if !current.isEmpty { pendingSpace = true }
                } else {
                    if pendingSpace { current += " " }
                    pendingSpace = false
                    current.unicodeScalars.append(scalar == "\u{A0}" ? " " : scalar)
                }
            }
        }

        while index < scalars.count {
            let scalar = scalars[index]
            if scalar == "<" {
                // comments and declarations
                if index + 3 < scalars.count, scalars[index + 1] == "!", scalars[index + 2] == "-",
                    scalars[index + 3] == "-"
                {
                    index = find("-->", in: scalars, from: index + 4).map { $0 + 3 } ?? scalars.count
                    continue
                }
                if index + 1 < scalars.count, scalars[index + 1] == "!" || scalars[index + 1] == "?" {
                    index = find(">", in: scalars, from: index).map { $0 + 1 } ?? scalars.count
                    continue
                }
                guard let tag = parseTag(scalars, at: index) else {
                    append("<")
                    index += 1
                    continue
                }
                index = tag.end
                let name = tag.name
                if tag.isEnd {
                    if let position = stack.lastIndex(where: { $0.name == name }) {
                        var carries = false
                        for element in stack[position...].reversed() {
                            if element.quotes { softBreak() }
                            // an Outlook header block quotes what follows it within the same parent
                            if element.quotesFollowingSiblings {
                                carries = true
                            } else if element.quotes {
                                quoteDepth -= 1
                            }
                            if element.name == "pre" { preDepth = max(0, preDepth - 1) }
                        }
                        stack.removeSubrange(position...)
                        if carries, var parent = stack.popLast() {
                            if parent.quotes {
                                quoteDepth -= 1
                            } else {
                                parent.quotes = true
                            }
                            stack.append(parent)
                        }
                    }
                    if blockElements.contains(name) { softBreak() }
                    if name == "p" || name == "h1" || name == "h2" || name == "h3" || name == "table" { breakLine() }
                    continue
                }
                if droppedElements.contains(name), !tag.selfClosing {
                    index = findEndTag(name, in: scalars, from: index)
                    continue
                }
                if name == "br" {
                    breakLine()
                    continue
                }
                if blockElements.contains(name) { softBreak() }
                if name == "li" { current += "- " }
                if name == "hr" { breakLine() }
                if name == "img", let alt = tag.attributes["alt"], !alt.isEmpty { append(alt) }
                if voidElements.contains(name) || tag.selfClosing { continue }
                let quotes = isQuoteContainer(name, tag.attributes)
                let headerBlock = tag.attributes["id"]?.lowercased() == "divrplyfwdmsg"
                // past this depth, elements are not tracked (their end tags then match nothing)
                guard stack.count < 4096 else { continue }
                if quotes || headerBlock {
                    softBreak()
                    quoteDepth += 1
                }
                if name == "pre" { preDepth += 1 }
                stack.append(OpenElement(name: name, quotes: quotes || headerBlock, quotesFollowingSiblings: headerBlock))
                continue
            }
            if scalar == "&" {
                let (decoded, next) = decodeEntity(scalars, at: index)
                append(decoded)
                index = next
                continue
            }
            append(String(scalar))
            index += 1
        }
        if !current.isEmpty { breakLine() }

        // trim lines, collapse blank runs, drop leading/trailing blanks
        var output: [String] = []
        for line in lines {
            let trimmed = line.trimmingTrailingWhitespace()
            let isBlank = trimmed.allSatisfy { $0 == ">" || $0 == " " }
            if isBlank {
                let blank = trimmed.filter { $0 == ">" }
                if let last = output.last, last.filter({ $0 != " " }) == blank || last.isEmpty { continue }
                output.append(blank.isEmpty ? "" : blank)
            } else {
                output.append(trimmed)
            }
        }
        while output.last?.isEmpty == true { output.removeLast() }
        while output.first?.isEmpty == true { output.removeFirst() }
        return output.joined(separator: "\n")
    }

    private static func isQuoteContainer(_ name: String, _ attributes: [String: String]) -> Bool {
        if name == "blockquote" { return true }
        let classes = attributes["class"]?.lowercased().split(separator: " ") ?? []
        // <div class="gmail_quote"> (Gmail), <div class="yahoo_quoted">, <div class="moz-cite-prefix"> is the header
        if classes.contains("gmail_quote") || classes.contains("yahoo_quoted") { return true }
        return false
    }

    private struct Tag {
        var name: String
        var isEnd: Bool
        var selfClosing: Bool
        var attributes: [String: String]
        var end: Int
    }

    private static func parseTag(_ s: [Unicode.Scalar], at start: Int) -> Tag? {
        var i = start + 1
        var isEnd = false
        if i < s.count, s[i] == "/" {
            isEnd = true
            i += 1
        }
        var name = ""
        while i < s.count, s[i].properties.isAlphabetic || ("0"..."9").contains(s[i]) || s[i] == ":" || s[i] == "-" {
            name.unicodeScalars.append(s[i])
            i += 1
        }
        guard !name.isEmpty else { return nil }
        var attributes: [String: String] = [:]
        var selfClosing = false
        while i < s.count, s[i] != ">" {
            // a "<" inside a tag means the first "<" was text; giving up here keeps the work linear
            if s[i] == "<" { return nil }
            if s[i] == "/" {
                selfClosing = true
                i += 1
                continue
            }
            if s[i] == " " || s[i] == "\n" || s[i] == "\t" || s[i] == "\r" {
                i += 1
                continue
            }
            selfClosing = false
            var attribute = ""
            while i < s.count, s[i] != "=", s[i] != ">", s[i] != " ", s[i] != "\n", s[i] != "\t", s[i] != "/", s[i] != "<" {
                attribute.unicodeScalars.append(s[i])
                i += 1
            }
            while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" { i += 1 }
            var value = ""
            if i < s.count, s[i] == "=" {
                i += 1
                while i < s.count, s[i] == " " || s[i] == "\n" || s[i] == "\t" { i += 1 }
                if i < s.count, s[i] == "\"" || s[i] == "'" {
                    let quote = s[i]
                    i += 1
                    while i < s.count, s[i] != quote {
                        if s[i] == "<" { return nil }
                        value.unicodeScalars.append(s[i])
                        i += 1
                    }
                    i += 1
                } else {
                    while i < s.count, s[i] != " ", s[i] != ">", s[i] != "\n", s[i] != "\t" {
                        if s[i] == "<" { return nil }
                        value.unicodeScalars.append(s[i])
                        i += 1
                    }
                }
            }
            if !attribute.isEmpty { attributes[attribute.lowercased()] = value }
        }
        return Tag(name: name.lowercased(), isEnd: isEnd, selfClosing: selfClosing, attributes: attributes, end: min(i + 1, s.count))
    }

    private static func find(_ needle: String, in s: [Unicode.Scalar], from start: Int) -> Int? {
        let pattern = Array(needle.unicodeScalars)
        guard !pattern.isEmpty, s.count >= pattern.count else { return nil }
        var i = start
        while i + pattern.count <= s.count {
            var matched = true
            for (offset, scalar) in pattern.enumerated() where s[i + offset] != scalar {
                matched = false
                break
            }
            if matched { return i }
            i += 1
        }
        return nil
    }

    /// The index just after `</name>`, case-insensitive; the end of input when there is none.
    private static func findEndTag(_ name: String, in s: [Unicode.Scalar], from start: Int) -> Int {
        var i = start
        let target = Array(name.unicodeScalars)
        while i < s.count {
            if s[i] == "<", i + 1 < s.count, s[i + 1] == "/" {
                var j = i + 2
                var matched = true
                for scalar in target {
                    guard j < s.count, Character(s[j]).lowercased() == String(scalar) else {
                        matched = false
                        break
                    }
                    j += 1
                }
                if matched {
                    return find(">", in: s, from: j).map { $0 + 1 } ?? s.count
                }
            }
            i += 1
        }
        return s.count
    }

    private static let namedEntities: [String: String] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " ", "copy": "©", "reg": "®",
        "trade": "™", "hellip": "…", "mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“",
        "rdquo": "”", "laquo": "«", "raquo": "»", "euro": "€", "pound": "£", "yen": "¥", "cent": "¢",
        "sect": "§", "deg": "°", "middot": "·", "bull": "•", "times": "×", "divide": "÷", "zwnj": "",
        "zwj": "", "shy": "", "thinsp": " ", "ensp": " ", "emsp": " ", "iexcl": "¡", "iquest": "¿",
        "auml": "ä", "ouml": "ö", "uuml": "ü", "Auml": "Ä", "Ouml": "Ö", "Uuml": "Ü", "szlig": "ß",
        "eacute": "é", "egrave": "è", "ecirc": "ê", "euml": "ë", "Eacute": "É", "Egrave": "È", "aacute": "á",
        "agrave": "à", "acirc": "â", "atilde": "ã", "aring": "å", "aelig": "æ", "ccedil": "ç", "Ccedil": "Ç",
        "iacute": "í", "igrave": "ì", "icirc": "î", "iuml": "ï", "ntilde": "ñ", "Ntilde": "Ñ", "oacute": "ó",
        "ograve": "ò", "ocirc": "ô", "otilde": "õ", "oslash": "ø", "uacute": "ú", "ugrave": "ù", "ucirc": "û",
        "yacute": "ý", "yuml": "ÿ", "Aacute": "Á", "Oacute": "Ó", "Uacute": "Ú", "Iacute": "Í", "Oslash": "Ø",
        "Aring": "Å", "AElig": "Æ",
    ]

    /// Decodes the entity at `start` (an `&`); returns the text and the index after it.
    private static func decodeEntity(_ s: [Unicode.Scalar], at start: Int) -> (String, Int) {
        var i = start + 1
        var name = ""
        while i < s.count, i - start <= 32, s[i] != ";", s[i].properties.isAlphabetic || ("0"..."9").contains(s[i]) || s[i] == "#" {
            name.unicodeScalars.append(s[i])
            i += 1
        }
        let hasSemicolon = i < s.count && s[i] == ";"
        let end = hasSemicolon ? i + 1 : i
        if name.hasPrefix("#") {
            let digits = name.dropFirst()
            let value: UInt32?
            if digits.first == "x" || digits.first == "X" {
                value = UInt32(digits.dropFirst(), radix: 16)
            } else {
                value = UInt32(digits)
            }
            if let value, value != 0, let scalar = Unicode.Scalar(value) { return (String(scalar), end) }
            return ("&", start + 1)
        }
        if let text = namedEntities[name] { return (text, end) }
        if let text = namedEntities[name.lowercased()], hasSemicolon { return (text, end) }
        return ("&", start + 1)
    }
}

extension String {
    /// The string without trailing spaces and tabs.
    func trimmingTrailingWhitespace() -> String {
        var scalars = Substring(self)
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars = scalars.dropLast() }
        return String(scalars)
    }
}
