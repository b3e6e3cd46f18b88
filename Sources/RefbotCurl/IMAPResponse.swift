/// Reads the IMAP response lines libcurl hands over to its header callback: the capabilities it
/// asked for while connecting (``IMAPConnection``), and the tagged status in an error's detail.
enum IMAPResponse {
    /// The response's lines without their line ends (`"\r\n"` is one `Character`: split on `isNewline`).
    static func lines(_ bytes: [UInt8]) -> [Substring] {
        String(decoding: bytes, as: UTF8.self).split(whereSeparator: \.isNewline)
    }

    /// The capability names (upper case) from `* CAPABILITY …` lines, and from `[CAPABILITY …]` codes.
    static func capabilities(_ bytes: [UInt8]) -> Set<String> {
        var names: Set<String> = []
        for line in lines(bytes) {
            let upper = line.uppercased()
            if upper.hasPrefix("* CAPABILITY ") {
                names.formUnion(upper.dropFirst("* CAPABILITY ".count).split(separator: " ").map(String.init))
            } else if let start = upper.firstRange(of: "[CAPABILITY ") {
                let list = upper[start.upperBound...].prefix(while: { $0 != "]" })
                names.formUnion(list.split(separator: " ").map(String.init))
            }
        }
        return names
    }

    /// The status word (`OK`, `NO`, `BAD`) and the rest of the last tagged line, if any; with
    /// `failuresFirst`, of the last tagged `NO` or `BAD` line when there is one (a failed command's
    /// headers can end with the `OK` of a LOGOUT that libcurl sent after it).
    static func taggedStatus(_ bytes: [UInt8], failuresFirst: Bool = false) -> (status: String, text: String)? {
        if failuresFirst, let failure = taggedStatus(bytes, only: ["NO", "BAD"]) { return failure }
        return taggedStatus(bytes, only: ["OK", "NO", "BAD"])
    }

    private static func taggedStatus(_ bytes: [UInt8], only statuses: Set<String>) -> (status: String, text: String)? {
        for line in lines(bytes).reversed() {
            guard let first = line.first, first != "*", first != "+" else { continue }
            let words = line.split(separator: " ", maxSplits: 2)
            guard words.count >= 2 else { continue }
            let status = words[1].uppercased()
            guard statuses.contains(status) else { continue }
            return (status, words.count > 2 ? String(words[2]) : "")
        }
        return nil
    }
}
