import Foundation
import RefbotMail
import Testing

/// Bounces in the formats of Postfix, Exim, Gmail, Exchange and qmail (`Fixtures/bounces/<case>.eml`) with
/// what each must yield (`<case>.expected.txt`: `recipient:`, `status:` and `verp:` lines).
@Suite("Bounce fixtures")
struct BounceFixtureTests {
    static let folder = "bounces"
    static let bot = EmailAddress(localPart: "referrals", domain: "example.org")

    static func cases() -> [String] {
        ((try? FixtureFiles.names(in: folder)) ?? []).filter { $0.hasSuffix(".eml") }.map { String($0.dropLast(4)) }
    }

    static func expectations(_ name: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for line in try FixtureFiles.text("\(folder)/\(name).expected.txt").components(separatedBy: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            result[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    @Test("every bounce .eml has its .expected.txt")
    func pairsAreComplete() throws {
        let names = Set(try FixtureFiles.names(in: Self.folder))
        let emls = Set(names.filter { $0.hasSuffix(".eml") }.map { $0.dropLast(4) })
        let expected = Set(names.filter { $0.hasSuffix(".expected.txt") }.map { $0.dropLast(13) })
        #expect(emls.count >= 6)
        #expect(emls == expected)
    }

    @Test("the bounce names the failed recipient, its status and the VERP id", arguments: cases())
    func bounce(_ name: String) throws {
        let message = try MessageParser.parse(try FixtureFiles.bytes("\(Self.folder)/\(name).eml"))
        let expected = try Self.expectations(name)
        let report = try #require(DeliveryStatusReport.parse(message))
        let failed = try #require(report.failed.first)
        #expect(failed.address == expected["recipient"])
        #expect(failed.status == expected["status"])
        #expect(report.verpID(base: Self.bot, reportRecipients: message.to).map(String.init) == expected["verp"])
        #expect(AutoReplySignals.reason(for: message) != nil, "a bounce is never answered")
    }

    @Test("ordinary replies are not bounces")
    func ordinaryIsNotABounce() throws {
        for name in ReplyFixtureTests.cases() {
            let message = try MessageParser.parse(try FixtureFiles.bytes("replies/\(name).eml"))
            #expect(DeliveryStatusReport.parse(message) == nil, "\(name)")
        }
    }
}

/// Auto-replies (`Fixtures/autoreplies/<case>.eml`) and the rule that must catch each
/// (`<case>.reason.txt`; `none` for ordinary mail).
@Suite("Auto-reply fixtures")
struct AutoReplyFixtureTests {
    static let folder = "autoreplies"

    static func cases() -> [String] {
        ((try? FixtureFiles.names(in: folder)) ?? []).filter { $0.hasSuffix(".eml") }.map { String($0.dropLast(4)) }
    }

    @Test("every auto-reply .eml has its .reason.txt")
    func pairsAreComplete() throws {
        let names = Set(try FixtureFiles.names(in: Self.folder))
        let emls = Set(names.filter { $0.hasSuffix(".eml") }.map { $0.dropLast(4) })
        let reasons = Set(names.filter { $0.hasSuffix(".reason.txt") }.map { $0.dropLast(11) })
        #expect(emls == reasons)
    }

    @Test("automated mail is recognised by the expected rule, ordinary mail by none", arguments: cases())
    func reason(_ name: String) throws {
        let message = try MessageParser.parse(try FixtureFiles.bytes("\(Self.folder)/\(name).eml"))
        let expected = try FixtureFiles.text("\(Self.folder)/\(name).reason.txt")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((AutoReplySignals.reason(for: message) ?? "none") == expected)
    }

    @Test("none of the reply fixtures counts as automated")
    func repliesAreOrdinary() throws {
        for name in ReplyFixtureTests.cases() {
            let message = try MessageParser.parse(try FixtureFiles.bytes("replies/\(name).eml"))
            #expect(AutoReplySignals.reason(for: message) == nil, "\(name)")
        }
    }
}
