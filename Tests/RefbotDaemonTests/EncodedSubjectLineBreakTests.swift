import Foundation
import RefbotDaemon
import RefbotMail
import RefbotTransport
import Testing

/// A Subject whose encoded word decodes to CR/LF (`=0D=0A`) is one line to refbot: the command word at its
/// start still counts, and nothing after the break reaches a header of the answer.
@Suite("Encoded line breaks in a command's Subject")
struct EncodedSubjectLineBreakTests {
    static let everyone: Set<String> = [
        ReferralWorld.owner, ReferralWorld.referrer, ReferralWorld.stranger, ReferralWorld.admin,
    ]

    /// The raw mail, with the Subject exactly as an attacker writes it (not re-encoded).
    static func mail(from: String, subject: String) -> String {
        let domain = String(from.split(separator: "@").last ?? "example.com")
        return [
            "Authentication-Results: mx.example.org; dmarc=pass header.from=\(domain)", mtaReceived,
            "From: \(from)", "To: referrals@example.org", "Subject: \(subject)",
            "Message-ID: <\(UUID().uuidString)@client.example>", "Date: Mon, 23 Nov 2026 10:00:00 +0000",
            "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
        ].joined(separator: "\r\n") + "\r\n\r\n\r\n"
    }

    @Test("HELP=0D=0ABcc: in a Q-encoded Subject is answered as HELP, to the sender only, with a clean header")
    func helpWithInjectedBcc() async throws {
        let world = try await ReferralWorld()
        let before = world.submitter.accepted.count
        let answers = try await world.deliver(
            Self.mail(from: ReferralWorld.referrer, subject: "=?utf-8?Q?HELP=0D=0ABcc:_mallory@evil.example?="))
        #expect(answers.count == 1)
        #expect(answers.first?.headers(named: "X-Refbot-Event").first == "help")
        #expect(answers.first?.to.map(\.address) == [ReferralWorld.referrer])
        for mail in world.submitter.accepted.dropFirst(before) {
            #expect(try OutgoingCheck.problems(mail, allowed: Self.everyone) == [])
            #expect(mail.recipients == [ReferralWorld.referrer])
        }
    }

    @Test("a refused command whose Subject is copied into the answer copies no line break or header")
    func refusalCopiesSubjectOnOneLine() async throws {
        let world = try await ReferralWorld()
        let before = world.submitter.accepted.count
        let answers = try await world.deliver(
            Self.mail(
                from: ReferralWorld.referrer,
                subject: "=?utf-8?B?" + Data("FROBNICATE now\r\nBcc: mallory@evil.example\r\n\r\nX".utf8).base64EncodedString() + "?="))
        #expect(answers.count == 1)
        let subject = answers.first?.subject ?? ""
        #expect(subject.contains("FROBNICATE now Bcc: mallory@evil.example X"))
        #expect(answers.first?.headers(named: "Bcc").isEmpty == true)
        for mail in world.submitter.accepted.dropFirst(before) {
            #expect(try OutgoingCheck.problems(mail, allowed: Self.everyone) == [])
            #expect(mail.recipients == [ReferralWorld.referrer])
        }
    }
}
