import Foundation

/// Writes header fields folded at 78 characters where possible and never over 998 octets.
enum HeaderFolder {
    /// A structured field (addresses, ids, dates): folded at spaces; non-ASCII is left to the caller.
    static func fold(name: String, structured value: String) -> String {
        fold(name: name, words: words(of: value))
    }

    /// An unstructured field (`Subject`): non-ASCII text or overlong words become RFC 2047 encoded words.
    static func fold(name: String, unstructured value: String) -> String {
        let words = words(of: value)
        let longWord = words.contains { $0.utf8.count > 900 }
        if EncodedWord.needsEncoding(value) || longWord || EncodedWord.mayContainWord(value) {
            return fold(name: name, words: EncodedWord.encode(value))
        }
        return fold(name: name, words: words)
    }

    /// The value split at spaces, empty words dropped. ASCII text (nearly every header refbot writes)
    /// is split on its bytes; other text by `Character`, where a space a combining mark follows is
    /// part of one character and no place to split.
    static func words(of value: String) -> [String] {
        guard value.utf8.allSatisfy({ $0 < 0x80 }) else { return value.split(separator: " ").map(String.init) }
        return value.utf8.split(separator: UInt8(ascii: " ")).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func fold(name: String, words: [String]) -> String {
        var output = name + ":"
        var lineLength = output.utf8.count
        for word in words where !word.isEmpty {
            // folding right after the colon is allowed too (the space there is folding whitespace)
            if lineLength + 1 + word.utf8.count > 78 {
                output += "\r\n"
                lineLength = 0
            }
            output += " " + word
            lineLength += 1 + word.utf8.count
        }
        return output + "\r\n"
    }
}
