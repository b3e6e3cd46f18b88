import Foundation
import RefbotTransport

extension IMAPResponse {
    /// The folders of `* LIST (\HasNoChildren \Junk) "/" "Junk"` lines (RFC 3501 §7.2.2, RFC 6154),
    /// names decoded from modified UTF-7 where they are plain ASCII. Names sent as literals
    /// (`{5}`), and names that do not decode, are left out: refbot cannot name them back safely.
    static func listedFolders(_ bytes: [UInt8]) -> [SpecialUseFolder] {
        var folders: [SpecialUseFolder] = []
        for line in lines(bytes) {
            guard line.uppercased().hasPrefix("* LIST ("), let close = line.firstIndex(of: ")") else { continue }
            let open = line.index(line.startIndex, offsetBy: 8)
            let attributes = line[open..<close].split(separator: " ").map(String.init)
            var rest = line[line.index(after: close)...].drop(while: { $0 == " " })
            // The hierarchy delimiter: a quoted character or NIL.
            if rest.hasPrefix("\"") {
                rest = rest.dropFirst()
                if rest.hasPrefix("\\") { rest = rest.dropFirst() }
                rest = rest.dropFirst()
                guard rest.hasPrefix("\"") else { continue }
                rest = rest.dropFirst()
            } else if rest.uppercased().hasPrefix("NIL") {
                rest = rest.dropFirst(3)
            } else {
                continue
            }
            rest = rest.drop(while: { $0 == " " })
            var name: String
            if rest.hasPrefix("\"") {
                var value = ""
                var escaped = false
                for character in rest.dropFirst() {
                    if escaped {
                        value.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
                name = value
            } else if rest.hasPrefix("{") {
                continue
            } else {
                name = String(rest.prefix(while: { $0 != " " }))
            }
            // Modified UTF-7 (`&AOk-`): only names without it round-trip through modifiedUTF7().
            guard !name.isEmpty, !name.contains("&") || name.contains("&-") else { continue }
            name = name.replacingOccurrences(of: "&-", with: "&")
            folders.append(SpecialUseFolder(name: name, attributes: attributes))
        }
        return folders
    }
}
