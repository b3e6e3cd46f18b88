import Foundation

/// RFC 3676 `format=flowed`: joins soft-broken lines back into paragraphs.
enum FormatFlowed {
    /// Unflows `text` (LF line ends); with `delSp` the space before each soft break is removed too.
    static func unflow(_ text: String, delSp: Bool) -> String {
        var output: [String] = []
        var paragraph: String?
        var paragraphDepth = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = Substring(rawLine)
            var depth = 0
            while line.first == ">" {
                depth += 1
                line = line.dropFirst()
            }
            // space-stuffing: one leading space is removed
            if line.first == " " { line = line.dropFirst() }
            let isSignature = line == "-- "
            let isFlowed = !isSignature && line.hasSuffix(" ")
            var content = String(line)
            if isFlowed, delSp { content.removeLast() }
            if var open = paragraph, depth == paragraphDepth {
                open += content
                paragraph = open
            } else {
                if let open = paragraph {
                    output.append(String(repeating: ">", count: paragraphDepth) + (paragraphDepth > 0 ? " " : "") + open)
                }
                paragraph = content
                paragraphDepth = depth
            }
            if !isFlowed, let open = paragraph {
                output.append(String(repeating: ">", count: depth) + (depth > 0 ? " " : "") + open)
                paragraph = nil
            }
        }
        if let open = paragraph {
            output.append(String(repeating: ">", count: paragraphDepth) + (paragraphDepth > 0 ? " " : "") + open)
        }
        return output.joined(separator: "\n")
    }
}
