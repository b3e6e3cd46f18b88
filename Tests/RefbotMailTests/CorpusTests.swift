import Foundation
import RefbotMail
import Testing

/// The email_reply_trimmer corpus: every `emails/X` trims to `trimmed/X`.
///
/// Comparison follows the corpus README: CRLF and CR become LF, trailing whitespace is stripped from each
/// line, runs of blank lines collapse to one, and the whole is stripped. ReplyTrimmer drops every quoted
/// line (refbot reads commands from new text only), whereas Discourse keeps quotes that sit between pieces
/// of new text; so, as the README allows, `>` lines are removed from the expected text before comparing.
/// This matters for quote_and_text, quote_only, embedded_email_7, embedded_email_16 and embedded_email_17;
/// no other expected file has `>` lines.
@Suite("Reply-trimmer corpus")
struct CorpusTests {
    static func normalize(_ text: String) -> String {
        let unified = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines: [String] = []
        for line in unified.components(separatedBy: "\n") {
            var trimmed = Substring(line)
            while let last = trimmed.last, last.isWhitespace { trimmed = trimmed.dropLast() }
            if trimmed.isEmpty, lines.last?.isEmpty ?? false { continue }
            lines.append(String(trimmed))
        }
        return lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func withoutQuotedLines(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
            .filter { !$0.trimmingCharacters(in: .whitespaces).hasPrefix(">") }
            .joined(separator: "\n")
    }

    /// `name — reason` lines of corpus-exceptions.txt; `#` starts a comment.
    static func exceptions() throws -> [String: String] {
        var result: [String: String] = [:]
        for line in try FixtureFiles.text("corpus-exceptions.txt").components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            let parts = trimmed.components(separatedBy: " — ")
            result[parts[0].trimmingCharacters(in: .whitespaces)] = parts.dropFirst().joined(separator: " — ")
        }
        return result
    }

    @Test("emails, trimmed and elided hold the same file names")
    func foldersMatch() throws {
        let emails = try FixtureFiles.names(in: "corpus/emails")
        #expect(!emails.isEmpty)
        #expect(try FixtureFiles.names(in: "corpus/trimmed") == emails)
        #expect(try FixtureFiles.names(in: "corpus/elided") == emails)
    }

    @Test("every corpus email trims to its expected text, except listed exceptions")
    func corpusPassRate() throws {
        let names = try FixtureFiles.names(in: "corpus/emails")
        let exceptions = try Self.exceptions()
        var passed = 0
        var failures: [String] = []
        for name in names {
            let email = try FixtureFiles.text("corpus/emails/\(name)")
            let expected = Self.normalize(Self.withoutQuotedLines(try FixtureFiles.text("corpus/trimmed/\(name)")))
            let actual = Self.normalize(ReplyTrimmer.trim(email).newText)
            if actual == expected {
                passed += 1
            } else if exceptions[name] == nil {
                failures.append(name)
                Issue.record("\(name): expected\n\(expected)\n--- got\n\(actual)")
            }
        }
        let rate = Double(passed) / Double(max(names.count, 1)) * 100
        print("reply-trimmer corpus: \(passed)/\(names.count) passed (\(String(format: "%.1f", rate)) %)")
        #expect(failures.isEmpty, "unexpected failures: \(failures)")
        for name in exceptions.keys {
            #expect(names.contains(name), "exception \(name) names no corpus file")
        }
    }
}
