import Foundation
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import Testing

/// Text a member controls, written to break out of a header: line breaks of every kind, NUL,
/// encoded words that decode to line breaks, header-like lines, and a very long value. Each
/// carries the word `Evil`, so a test can see it reached a mail.
let hostileValues: [String] = [
    "Evil\r\nBcc: mallory@evil.example",
    "Evil\nX-Injected: yes",
    // (A line starting "Cc:" would be read as the header block of a quoted mail and cut, with what follows.)
    "Evil\rBcc: mallory@evil.example",
    "Evil\0Bcc: mallory@evil.example",
    "Evil =?utf-8?q?x=0D=0ABcc:_mallory@evil.example?=",
    "Evil\u{2028}Bcc: mallory@evil.example\u{85}To: mallory@evil.example",
    "Evil " + String(repeating: "long ", count: 4_000) + "\r\n\r\nBcc: mallory@evil.example",
]

/// A mail whose subject is an RFC 2047 encoded word and whose body is quoted-printable, so that any
/// byte, CR, LF and NUL included, reaches refbot's parser exactly as a hostile client would send it.
func hostileMail(from: String, to: String = "referrals@example.org", subject: String, body: String) -> String {
    let domain = String(from.split(separator: "@").last ?? "example.com")
    let encodedSubject = "=?utf-8?b?" + Data(subject.utf8).base64EncodedString() + "?="
    var qp = ""
    var column = 0
    for byte in body.utf8 {
        let piece: String
        if byte == 0x0A {
            // A line of the form: a real line break.
            qp += "\r\n"
            column = 0
            continue
        } else if (byte >= 33 && byte <= 126 && byte != 61) || byte == 32 {
            piece = String(UnicodeScalar(byte))
        } else {
            piece = String(format: "=%02X", byte)
        }
        if column + piece.count > 72 {
            qp += "=\r\n"
            column = 0
        }
        qp += piece
        column += piece.count
    }
    return [
        "Authentication-Results: mx.example.org; dmarc=pass header.from=\(domain)", mtaReceived,
        "From: \(from)", "To: \(to)", "Subject: \(encodedSubject)", "Message-ID: <\(UUID().uuidString)@client.example>",
        "Date: Mon, 23 Nov 2026 10:00:00 +0000", "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    ].joined(separator: "\r\n") + "\r\n\r\n" + qp + "\r\n"
}

/// What refbot's composer may write at the top level of a mail, and the recipients it may have.
enum OutgoingCheck {
    static let allowedHeaders: Set<String> = [
        "from", "to", "reply-to", "subject", "date", "message-id", "in-reply-to", "references", "mime-version",
        "x-refbot-event", "x-refbot-ref", "auto-submitted", "list-unsubscribe", "list-unsubscribe-post", "content-type",
        "content-transfer-encoding",
    ]
    static let requiredHeaders = [
        "from", "to", "subject", "date", "message-id", "mime-version", "x-refbot-event", "auto-submitted", "content-type",
    ]

    /// Problems with one composed mail: headers beyond the composer's own, repeated or missing,
    /// recipients not in `allowed` or not the same in the envelope and `To:`, bare CR or LF, NUL in
    /// the header section, or a line over 998 octets.
    static func problems(_ mail: OutgoingMail, allowed: Set<String>) throws -> [String] {
        var found: [String] = []
        let parsed = try MessageParser.parse(mail.data)
        let names = parsed.headers.map { $0.name.lowercased() }
        for name in names where !allowedHeaders.contains(name) { found.append("unexpected header \(name)") }
        for name in Set(names) where names.filter({ $0 == name }).count > 1 { found.append("repeated header \(name)") }
        for name in requiredHeaders where !names.contains(name) { found.append("missing header \(name)") }
        let to = parsed.to.map(\.address)
        if Set(to) != Set(mail.recipients) { found.append("envelope \(mail.recipients) is not To: \(to)") }
        for address in mail.recipients + to where !allowed.contains(address) { found.append("recipient \(address)") }
        if !parsed.cc.isEmpty { found.append("Cc: \(parsed.cc)") }
        let bytes = mail.data
        for (index, byte) in bytes.enumerated() {
            if byte == 0x0A, index == 0 || bytes[index - 1] != 0x0D { found.append("bare LF at \(index)") }
            if byte == 0x0D, index + 1 >= bytes.count || bytes[index + 1] != 0x0A { found.append("bare CR at \(index)") }
        }
        let headerEnd = (0..<max(bytes.count - 3, 0)).first { bytes[$0] == 0x0D && bytes[$0 + 1] == 0x0A && bytes[$0 + 2] == 0x0D && bytes[$0 + 3] == 0x0A } ?? bytes.count
        if bytes[..<headerEnd].contains(0) { found.append("NUL in the header section") }
        var lineLength = 0
        for byte in bytes {
            if byte == 0x0A { lineLength = 0 } else { lineLength += 1 }
            if lineLength > 998 {
                found.append("a line over 998 octets")
                break
            }
        }
        return found
    }
}

@Suite("Hostile text in every form field")
struct HostileFieldTests {
    static let customer = "carol@diaz.example"
    static let newcomer = "newcomer@example.com"
    static let everyone: Set<String> = [
        ReferralWorld.owner, ReferralWorld.referrer, ReferralWorld.stranger, ReferralWorld.admin, customer, newcomer,
    ]

    /// Whether the value has a lone CR. Lines split there, and a form with several `Bcc: …` lines
    /// reads to the reply trimmer as the header block of a quoted mail, so the form is cut short and
    /// refused: safe, but the value then reaches no mail.
    func cutByTrimmer(_ value: String) -> Bool {
        value.unicodeScalars.contains("\r") && !value.contains("\r\n")
    }

    /// Checks every mail refbot has sent so far; returns how many mentioned `Evil`.
    func checkEverything(_ world: ReferralWorld) throws -> Int {
        var mentions = 0
        for mail in world.submitter.accepted {
            let problems = try OutgoingCheck.problems(mail, allowed: Self.everyone)
            let parsed = try MessageParser.parse(mail.data)
            #expect(problems.isEmpty, "\(parsed.header("X-Refbot-Event") ?? "?"): \(problems.prefix(5))")
            if parsed.subject.contains("Evil") || parsed.textBody.contains("Evil") { mentions += 1 }
        }
        return mentions
    }

    @Test("JOIN and PROFILE fields and the sender's display name", arguments: hostileValues.indices)
    func memberFields(_ index: Int) async throws {
        let value = hostileValues[index]
        let world = try await ReferralWorld()
        let fields = ["Name", "Business", "Category", "City", "Website", "Phone", "About"]
        let form = fields.map { "\($0): \(value)" }.joined(separator: "\n")
        let encodedName = "=?utf-8?b?" + Data(value.utf8).base64EncodedString() + "?="
        let joined = try await world.deliver(
            hostileMail(from: "\(encodedName) <\(Self.newcomer)>", subject: "JOIN", body: form))
        #expect(joined.count == 1 && joined.allSatisfy { $0.event == "member.confirm" || $0.event == "command.error" })
        if let confirm = joined.first?.replyAddress {
            _ = try await world.deliver(hostileMail(from: Self.newcomer, to: confirm, subject: "Re", body: "CONFIRM"))
        }
        _ = try await world.deliver(hostileMail(from: ReferralWorld.referrer, subject: "PROFILE", body: form))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.referrer, subject: "PROFILE", body: ""))
        // The new member's name reaches another member's mail through CONNECT.
        _ = try await world.deliver(hostileMail(from: Self.newcomer, subject: "CONNECT \(ReferralWorld.owner)", body: value))
        #expect(try checkEverything(world) >= 4)
    }

    @Test("LISTING fields, the admin's review and the followers' notice", arguments: hostileValues.indices)
    func listingFields(_ index: Int) async throws {
        let value = hostileValues[index]
        let world = try await ReferralWorld()
        _ = try await world.send(from: ReferralWorld.owner, subject: "FOLLOW \(ReferralWorld.stranger)")
        let form = ["Title", "Category", "Location", "Customer", "Terms"].map { "\($0): \(value)" } + ["Reward: $50 per lead"]
        let sent = try await world.deliver(
            hostileMail(from: ReferralWorld.stranger, subject: "LISTING", body: form.joined(separator: "\n")))
        // A value past a field's length limit is refused with command.error, which quotes it.
        #expect(sent.contains { $0.event == "listing.review" || $0.event == "command.error" }, "\(sent.map(\.event))")
        _ = try await world.deliver(hostileMail(from: ReferralWorld.admin, subject: "APPROVE L-3", body: ""))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.admin, subject: "DECLINE L-2", body: value))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.owner, subject: "SHOW L-3", body: ""))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.owner, subject: "SEARCH Evil", body: ""))
        // A title past 120 characters is refused at once: only the error quotes it.
        #expect(try checkEverything(world) >= (cutByTrimmer(value) ? 0 : value.count > 120 ? 1 : 4))
    }

    @Test("REFER fields, the customer's address, reasons and the referral's mail", arguments: hostileValues.indices)
    func referralFields(_ index: Int) async throws {
        let value = hostileValues[index]
        let world = try await ReferralWorld { $0.network.customerConsent = "ask" }
        let form = [
            "Customer: \(value)", "Email: \(Self.customer)", "Phone: \(value)", "Need: \(value)", "Consent: yes",
        ]
        _ = try await world.deliver(
            hostileMail(from: ReferralWorld.referrer, subject: "REFER \(world.listingRef)", body: form.joined(separator: "\n")))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.referrer, subject: "AGREE \(world.listingRef)", body: ""))
        let question = try world.submitter.accepted.map { try MessageParser.parse($0.data) }.first {
            $0.event == "customer.consent"
        }
        #expect(question != nil || cutByTrimmer(value))
        if let address = question?.replyAddress {
            _ = try await world.deliver(hostileMail(from: Self.customer, to: address, subject: "Re", body: "YES"))
        }
        for command in ["ACCEPT R-1", "CONTACTED R-1", "WON R-1 $1,000"] {
            _ = try await world.deliver(hostileMail(from: ReferralWorld.owner, subject: command, body: ""))
        }
        _ = try await world.deliver(hostileMail(from: ReferralWorld.referrer, subject: "DISPUTE R-1", body: value))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.owner, subject: "LOST R-1", body: value))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.owner, subject: "STATUS", body: ""))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.referrer, subject: "EXPORT", body: ""))
        if try await world.referral(1) != nil { #expect(try await world.referral(1)?.consent == .granted) }
        #expect(try checkEverything(world) >= (cutByTrimmer(value) ? 0 : 4))
    }

    @Test("A customer address that tries to add a recipient is refused with an answer, or kept to one address")
    func customerAddress() async throws {
        let world = try await ReferralWorld { $0.network.customerConsent = "ask" }
        _ = try await world.send(from: ReferralWorld.referrer, subject: "AGREE \(world.listingRef)")
        let addresses = [
            "\(Self.customer),mallory@evil.example",
            "\(Self.customer);mallory@evil.example",
            "\(Self.customer)\r\nBcc: mallory@evil.example",
            "\(Self.customer)\0mallory@evil.example",
            "\"carol>,<mallory\"@evil.example",
            "mallory@evil.example>\r\nRCPT TO:<carol@diaz.example",
        ]
        for (index, address) in addresses.enumerated() {
            let form = ["Customer: Carol \(index)", "Email: \(address)", "Need: A kitchen", "Consent: yes"]
            let sent = try await world.deliver(
                hostileMail(from: ReferralWorld.referrer, subject: "REFER \(world.listingRef)", body: form.joined(separator: "\n")))
            // Answered either way, never an internal failure that quarantines the member's mail.
            #expect(sent.contains { $0.event == "referral.sent" || $0.event == "command.error" }, "\(index): \(sent.map(\.event))")
            #expect(!sent.contains { $0.event == "message.quarantined" }, "\(index)")
        }
        // Each address is refused, or stored as one plain address that a mail can go to.
        for id in 1...Int64(addresses.count) {
            guard let email = try await world.referral(id)?.customerEmail else { continue }
            #expect(EmailAddress(email)?.address == email, "R-\(id): \(email)")
        }
        for mail in world.submitter.accepted {
            // A quoted local part is one mailbox; no mail may go to mallory's own address.
            #expect(!mail.recipients.contains("mallory@evil.example"))
            let problems = try OutgoingCheck.problems(
                mail, allowed: Self.everyone.union(["\"carol>,<mallory\"@evil.example"]))
            #expect(problems.isEmpty, "\(problems.prefix(5))")
            #expect(mail.recipients.count == 1)
        }
    }

    @Test("Subjects quoted back in errors, connection messages and admin announcements", arguments: hostileValues.indices)
    func quotedBack(_ index: Int) async throws {
        let value = hostileValues[index]
        let world = try await ReferralWorld(connected: false)
        let error = try await world.deliver(hostileMail(from: ReferralWorld.referrer, subject: "Hellp \(value)", body: ""))
        #expect(error.map(\.event) == ["command.error"])
        _ = try await world.deliver(
            hostileMail(from: ReferralWorld.referrer, subject: "CONNECT \(ReferralWorld.owner)", body: value))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.owner, subject: "REJECT C-1 \(value)", body: value))
        _ = try await world.deliver(
            hostileMail(from: ReferralWorld.admin, subject: "ANNOUNCE", body: "Title: \(value)\nLink: \(value)\n\n\(value)"))
        _ = try await world.deliver(hostileMail(from: ReferralWorld.admin, subject: "GRANT \(value) 5", body: ""))
        _ = try await world.later(3600)
        #expect(try checkEverything(world) >= 4)
    }
}

extension ReferralWorld {
    /// Lets `seconds` pass and runs one pass (paced announcements go out).
    func later(_ seconds: Int64) async throws -> [ParsedMessage] {
        let before = submitter.accepted.count
        clock.advance(by: seconds)
        _ = try await daemon.runOnce()
        return try submitter.accepted.dropFirst(before).map { try MessageParser.parse($0.data) }
    }
}
