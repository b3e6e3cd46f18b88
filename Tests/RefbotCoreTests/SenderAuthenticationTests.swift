import RefbotCore
import Testing

private let now: Int64 = 1_790_000_000

private func tag(for email: String = "ann@example.org", expiresAt: Int64 = now + 60) -> ReplyTag {
    ReplyTag(token: "abc", memberEmail: email, action: "referral.owner", ref: "R-1", expiresAt: expiresAt)
}

@Suite("Sender authentication decisions")
struct SenderAuthenticationTests {
    @Test("A state-changing command with no proof is held", arguments: [CommandWord.stop, .grant, .leave, .profile, .accept, .announce])
    func unprovenIsHeld(word: CommandWord) {
        #expect(SenderAuthentication.decide(word: word, sender: "ann@example.org", tag: nil, evidence: .none, now: now) == .hold)
    }

    @Test("Read-only commands, JOIN, CONFIRM, YES and NO run without proof",
          arguments: [CommandWord.help, .search, .listings, .show, .status, .credits, .export, .join, .confirm, .yes, .no])
    func exemptWordsRun(word: CommandWord) {
        #expect(!SenderAuthentication.needsProof(word))
        #expect(
            SenderAuthentication.decide(word: word, sender: "ann@example.org", tag: nil, evidence: .none, now: now)
                == .run(proof: nil))
    }

    @Test("A live tag made for the sender proves the address, whatever the case of the From: address")
    func ownedTag() {
        #expect(
            SenderAuthentication.decide(word: .stop, sender: "Ann@Example.org", tag: tag(), evidence: .none, now: now)
                == .run(proof: .ownedTag))
    }

    @Test("A tag made for someone else proves nothing")
    func othersTag() {
        #expect(
            SenderAuthentication.decide(
                word: .stop, sender: "mallory@example.org", tag: tag(for: "ann@example.org"), evidence: .none, now: now)
                == .hold)
    }

    @Test("An expired tag proves nothing, even the owner's")
    func expiredTag() {
        #expect(
            SenderAuthentication.decide(word: .stop, sender: "ann@example.org", tag: tag(expiresAt: now), evidence: .none, now: now)
                == .hold)
    }

    @Test("A trusted DMARC pass or an aligned DKIM pass proves the address")
    func trustedHeader() {
        #expect(
            SenderAuthentication.decide(word: .grant, sender: "admin@example.org", tag: nil, evidence: .dmarcPass, now: now)
                == .run(proof: .dmarcPass))
        #expect(
            SenderAuthentication.decide(word: .grant, sender: "admin@example.org", tag: nil, evidence: .dkimPassAligned, now: now)
                == .run(proof: .dkimPassAligned))
    }

    @Test("A tag beats a header as the reason; an exempt word still records proof when there is some")
    func proofIsReported() {
        #expect(
            SenderAuthentication.decide(word: .stop, sender: "ann@example.org", tag: tag(), evidence: .dmarcPass, now: now)
                == .run(proof: .ownedTag))
        #expect(
            SenderAuthentication.decide(word: .help, sender: "ann@example.org", tag: nil, evidence: .dmarcPass, now: now)
                == .run(proof: .dmarcPass))
    }

    @Test("Every command word is decided: exempt words run, the rest need proof")
    func everyWord() {
        for word in CommandWord.allCases {
            let decision = SenderAuthentication.decide(word: word, sender: "ann@example.org", tag: nil, evidence: .none, now: now)
            #expect(decision == (SenderAuthentication.needsProof(word) ? .hold : .run(proof: nil)), "\(word)")
        }
    }
}

@Suite("Sender authentication of whole commands")
struct SenderAuthenticationCommandTests {
    private func command(_ word: CommandWord, _ arguments: String = "", _ following: [String] = []) -> ParsedCommand {
        ParsedCommand(word: word, arguments: arguments, line: word.rawValue, followingLines: following, source: .subject)
    }

    @Test("A bare PROFILE only reads, so it runs without proof")
    func bareProfile() {
        #expect(SenderAuthentication.isReadOnly(command(.profile, "", ["", "Thanks"])))
        #expect(
            SenderAuthentication.decide(command: command(.profile), sender: "ann@example.org", tag: nil, evidence: .none, now: now)
                == .run(proof: nil))
    }

    @Test("PROFILE with fields changes the profile, so it is held without proof")
    func profileUpdate() {
        #expect(!SenderAuthentication.isReadOnly(command(.profile, "", ["City: Springfield"])))
        #expect(!SenderAuthentication.isReadOnly(command(.profile, "City: Springfield")))
        #expect(
            SenderAuthentication.decide(
                command: command(.profile, "", ["City: Springfield"]), sender: "ann@example.org", tag: nil, evidence: .none,
                now: now) == .hold)
    }
}
