import Foundation

/// Best-effort reading of plain-text bounces (qmail, older Exim, Sendmail) that carry no RFC 3464 report.
enum TextBounce {
    /// Markers of the copy of the original message inside a text bounce, lowercased.
    private static let copyMarkers: [String] = [
        // --- Below this line is a copy of the message. (qmail)
        "--- below this line is a copy of the message",
        // ------ This is a copy of the message, including all the headers. ------ (Exim)
        "------ this is a copy of the message",
        // ------ This is a copy of your message, including all the headers. ------
        "------ this is a copy of your message",
        // ----- Original message -----
        "----- original message -----",
        // ----- Transcript of session follows ----- is not a copy; Sendmail's copy follows this:
        "----- unsent message follows -----",
        "----- message header follows -----",
    ]

    /// Failed recipients named in the text.
    static func recipients(in text: String) -> [DeliveryStatusReport.Recipient] {
        var recipients: [DeliveryStatusReport.Recipient] = []
        let body = text.components(separatedBy: "\n")
        let lines = body.prefix { line in
            let lower = line.lowercased()
            return !copyMarkers.contains { lower.hasPrefix($0) }
        }
        let lineArray = Array(lines)
        let permanent = text.lowercased().contains("permanent")
        var index = 0
        var failedListSeen = false
        while index < lineArray.count {
            let line = lineArray[index].trimmingCharacters(in: .whitespaces)
            var address: String?
            // qmail: "<user@example.com>:"
            if line.hasPrefix("<"), line.hasSuffix(">:"), let parsed = EmailAddress(String(line.dropLast())) {
                address = parsed.address
            }
            // Exim: "  user@example.com" indented under "The following address(es) failed:"
            else if failedListSeen, lineArray[index].hasPrefix(" "), !line.contains(" "), let parsed = EmailAddress(line) {
                address = parsed.address
            }
            let lower = line.lowercased()
            if lower.contains("address(es) failed") || lower.contains("following address") || lower.contains("following recipient")
                || lower.contains("could not be delivered to")
            {
                failedListSeen = true
            }
            if let address {
                // the diagnostic: following non-empty lines up to a blank line or the next recipient
                var diagnosticLines: [String] = []
                var look = index + 1
                while look < lineArray.count {
                    let next = lineArray[look].trimmingCharacters(in: .whitespaces)
                    if next.isEmpty || (next.hasPrefix("<") && next.hasSuffix(">:")) { break }
                    diagnosticLines.append(next)
                    look += 1
                }
                let diagnostic = diagnosticLines.joined(separator: " ")
                let status = statusCode(in: diagnostic) ?? (permanent || diagnostic.contains(" 5") ? "5.0.0" : "4.0.0")
                let action = status.hasPrefix("5") ? "failed" : "delayed"
                if !recipients.contains(where: { $0.address == address }) {
                    recipients.append(
                        DeliveryStatusReport.Recipient(
                            address: address, action: action, status: status,
                            diagnostic: diagnostic.isEmpty ? nil : diagnostic))
                }
                index = look
                continue
            }
            index += 1
        }
        return recipients
    }

    /// The enhanced status code (`5.1.1`) in a diagnostic, else one derived from an SMTP reply code.
    static func statusCode(in text: String) -> String? {
        let scalars = Array(text.unicodeScalars)
        var index = 0
        func digits(_ from: Int, max: Int) -> Int {
            var end = from
            while end < scalars.count, end - from < max, ("0"..."9").contains(scalars[end]) { end += 1 }
            return end
        }
        var smtp: String?
        while index < scalars.count {
            let scalar = scalars[index]
            let boundary = index == 0 || !(scalars[index - 1].properties.isAlphabetic || ("0"..."9").contains(scalars[index - 1]) || scalars[index - 1] == ".")
            if boundary, scalar == "2" || scalar == "4" || scalar == "5", index + 1 < scalars.count, scalars[index + 1] == "." {
                let second = digits(index + 2, max: 3)
                if second > index + 2, second < scalars.count, scalars[second] == "." {
                    let third = digits(second + 1, max: 3)
                    if third > second + 1 {
                        return String(String.UnicodeScalarView(scalars[index..<third]))
                    }
                }
            }
            if boundary, smtp == nil, scalar == "5" || scalar == "4", digits(index, max: 3) == index + 3,
                index + 3 == scalars.count || scalars[index + 3] == " " || scalars[index + 3] == "-"
            {
                smtp = "\(scalar).0.0"
            }
            index += 1
        }
        return smtp
    }

    /// Header fields of the original message copied into the bounce text.
    static func returnedHeaders(in text: String) -> [HeaderField]? {
        let lower = text.lowercased()
        for marker in copyMarkers {
            guard let range = lower.range(of: marker) else { continue }
            let offset = lower.distance(from: lower.startIndex, to: range.upperBound)
            let start = text.index(text.startIndex, offsetBy: offset, limitedBy: text.endIndex) ?? text.endIndex
            var rest = text[start...]
            // skip the rest of the marker line and blank lines
            if let newline = rest.firstIndex(of: "\n") { rest = rest[rest.index(after: newline)...] } else { return nil }
            while rest.hasPrefix("\n") || rest.hasPrefix(" ") && rest.drop(while: { $0 == " " }).hasPrefix("\n") {
                rest = rest.drop(while: { $0 == " " }).dropFirst()
            }
            let bytes = Array(rest.utf8)[...]
            let (header, _) = HeaderSection.split(bytes)
            let fields = HeaderSection.fields(header)
            if !fields.isEmpty { return fields }
        }
        return nil
    }
}
