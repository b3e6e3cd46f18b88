import Foundation

/// A parsed `Content-Type` or `Content-Disposition` value: the lowercased main value and its parameters.
///
/// Parameters follow RFC 2045 and RFC 2231: quoted strings, `name*=charset'lang'percent-encoded` and
/// continuations `name*0`, `name*1*` … joined in order. Parameter names are lowercased. RFC 2047 encoded
/// words in quoted values (a common violation) are decoded too.
struct ContentType: Sendable, Hashable {
    /// `type/subtype` or the disposition, lowercased; empty when the field is empty.
    var value: String
    /// Parameters by lowercased name, decoded.
    var parameters: [String: String]

    /// Parses a raw (unfolded, undecoded) header value.
    init(_ raw: String) {
        let scalars = Array(raw.unicodeScalars)
        var index = 0
        var main = ""
        while index < scalars.count, scalars[index] != ";" {
            if scalars[index] == "(" {
                index = ContentType.skipComment(scalars, from: index)
                continue
            }
            main.unicodeScalars.append(scalars[index])
            index += 1
        }
        value = TextLines.trim(main, TextLines.whitespaceAndNewlines).lowercased()
        var plain: [String: String] = [:]
        // name -> (section -> (value, isExtended))
        var sections: [String: [Int: (String, Bool)]] = [:]
        while index < scalars.count {
            // at ";"
            index += 1
            var name = ""
            while index < scalars.count, scalars[index] != "=", scalars[index] != ";" {
                if scalars[index] == "(" {
                    index = ContentType.skipComment(scalars, from: index)
                    continue
                }
                name.unicodeScalars.append(scalars[index])
                index += 1
            }
            name = TextLines.trim(name, TextLines.whitespaceAndNewlines).lowercased()
            guard index < scalars.count, scalars[index] == "=" else { continue }
            index += 1
            while index < scalars.count, scalars[index] == " " || scalars[index] == "\t" { index += 1 }
            var parameterValue = ""
            if index < scalars.count, scalars[index] == "\"" {
                index += 1
                while index < scalars.count, scalars[index] != "\"" {
                    if scalars[index] == "\\", index + 1 < scalars.count { index += 1 }
                    parameterValue.unicodeScalars.append(scalars[index])
                    index += 1
                }
                index += 1
                while index < scalars.count, scalars[index] != ";" { index += 1 }
            } else {
                while index < scalars.count, scalars[index] != ";" {
                    if scalars[index] == "(" {
                        index = ContentType.skipComment(scalars, from: index)
                        continue
                    }
                    parameterValue.unicodeScalars.append(scalars[index])
                    index += 1
                }
                parameterValue = TextLines.trim(parameterValue, TextLines.whitespaceAndNewlines)
            }
            guard !name.isEmpty else { continue }
            // RFC 2231: name*, name*0, name*0*, name*1 ...
            if let star = name.firstIndex(of: "*") {
                let base = String(name[..<star])
                let rest = name[name.index(after: star)...]
                let extended = rest.hasSuffix("*") || rest.isEmpty
                let number = Int(rest.hasSuffix("*") ? rest.dropLast() : rest) ?? 0
                if sections[base, default: [:]][number] == nil, number < 1000 {
                    sections[base, default: [:]][number] = (parameterValue, extended)
                }
            } else if plain[name] == nil {
                plain[name] = parameterValue
            }
        }
        for (base, parts) in sections {
            var charset: String?
            var bytes: [UInt8] = []
            for number in parts.keys.sorted() {
                guard let (section, extended) = parts[number] else { continue }
                var text = section
                if extended {
                    if number == parts.keys.min() {
                        let pieces = text.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
                        if pieces.count == 3 {
                            charset = String(pieces[0])
                            text = String(pieces[2])
                        }
                    }
                    bytes += ContentType.percentDecode(text)
                } else {
                    bytes += Array(text.utf8)
                }
            }
            plain[base] = Charset.decode(bytes, charset: charset ?? "utf-8")
        }
        parameters = plain.mapValues { EncodedWord.decode($0) }
    }

    /// The parameter `name` (lowercase).
    subscript(_ name: String) -> String? { parameters[name] }

    private static func skipComment(_ scalars: [Unicode.Scalar], from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < scalars.count {
            switch scalars[index] {
            case "\\": index += 1
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return index + 1 }
            default: break
            }
            index += 1
        }
        return index
    }

    private static func percentDecode(_ text: String) -> [UInt8] {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                output.append(value)
                index += 3
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }
}
