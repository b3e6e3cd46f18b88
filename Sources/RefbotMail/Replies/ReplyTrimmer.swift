import Foundation

/// Cuts quoted text, attributions, forwarded blocks and signatures from a reply, keeping what the member wrote.
public enum ReplyTrimmer {
    /// Splits `body` into new text and elided text.
    public static func trim(_ body: String) -> TrimmedReply {
        let lines = body.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        var kept: [String] = []
        var cut: [String] = []
        var cutting = false
        for line in lines {
            if cutting || line.hasPrefix(">") {
                cut.append(line)
                continue
            }
            let lower = line.lowercased()
            if lower.hasPrefix("on "), lower.hasSuffix("wrote:") {
                cutting = true
                cut.append(line)
                continue
            }
            kept.append(line)
        }
        return TrimmedReply(
            newText: kept.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines),
            elided: cut.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
