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
    ///
    /// Works on UTF-8 bytes: every delimiter is ASCII, and the bytes of other scalars go wherever the scalar
    /// would (an escaped or commented-out scalar's continuation bytes fall into the same branch as its lead).
    init(_ raw: String) {
        var raw = raw
        let (main, plainParameters, sections) = raw.withUTF8 { ContentType.read($0) }
        value = TextLines.trim(main, TextLines.whitespaceAndNewlines).lowercased()
        var plain = plainParameters
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

    private typealias Sections = [String: [Int: (String, Bool)]]

    /// The main value, the plain parameters, and RFC 2231 sections by name, then number.
    private static func read(_ bytes: UnsafeBufferPointer<UInt8>) -> (String, [String: String], Sections) {
        var index = 0
        let count = bytes.count
        var main: [UInt8] = []
        while index < count, bytes[index] != UInt8(ascii: ";") {
            if bytes[index] == UInt8(ascii: "(") {
                index = skipComment(bytes, from: index)
                continue
            }
            main.append(bytes[index])
            index += 1
        }
        var plain: [String: String] = [:]
        // name -> (section -> (value, isExtended))
        var sections: Sections = [:]
        var nameBytes: [UInt8] = []
        var valueBytes: [UInt8] = []
        while index < count {
            // at ";"
            index += 1
            nameBytes.removeAll(keepingCapacity: true)
            while index < count, bytes[index] != UInt8(ascii: "="), bytes[index] != UInt8(ascii: ";") {
                if bytes[index] == UInt8(ascii: "(") {
                    index = skipComment(bytes, from: index)
                    continue
                }
                nameBytes.append(bytes[index])
                index += 1
            }
            let name = TextLines.trim(String(decoding: nameBytes, as: UTF8.self), TextLines.whitespaceAndNewlines).lowercased()
            guard index < count, bytes[index] == UInt8(ascii: "=") else { continue }
            index += 1
            while index < count, bytes[index] == 32 || bytes[index] == 9 { index += 1 }
            valueBytes.removeAll(keepingCapacity: true)
            var parameterValue: String
            if index < count, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < count, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < count { index += 1 }
                    valueBytes.append(bytes[index])
                    index += 1
                }
                index += 1
                while index < count, bytes[index] != UInt8(ascii: ";") { index += 1 }
                parameterValue = String(decoding: valueBytes, as: UTF8.self)
            } else {
                while index < count, bytes[index] != UInt8(ascii: ";") {
                    if bytes[index] == UInt8(ascii: "(") {
                        index = skipComment(bytes, from: index)
                        continue
                    }
                    valueBytes.append(bytes[index])
                    index += 1
                }
                parameterValue = TextLines.trim(String(decoding: valueBytes, as: UTF8.self), TextLines.whitespaceAndNewlines)
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
        return (String(decoding: main, as: UTF8.self), plain, sections)
    }

    /// The parameter `name` (lowercase).
    subscript(_ name: String) -> String? { parameters[name] }

    private static func skipComment(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var depth = 0
        var index = start
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 1
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"):
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
