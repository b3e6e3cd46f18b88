import RefbotCore
import Testing

private let now: Int64 = 1_790_000_000

/// An announcement's tag: it proves STOP.
private func tag(for email: String = "ann@example.org", expiresAt: Int64 = now + 60) -> ReplyTag {
    ReplyTag(token: "abc", memberEmail: email, action: "unsubscribe", ref: nil, expiresAt: expiresAt)
}

private func tag(_ action: String, ref: String?, revokedAt: Int64? = nil) -> ReplyTag {
    ReplyTag(token: "abc", memberEmail: "ann@example.org", action: action, ref: ref, expiresAt: now + 60, revokedAt: revokedAt)
}

private func command(_ word: CommandWord, _ arguments: String = "") -> ParsedCommand {
    ParsedCommand(word: word, arguments: arguments, line: "\(word.rawValue) \(arguments)", followingLines: [], source: .body)
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

    @Test("A revoked tag proves nothing, even the owner's")
    func revokedTag() {
        #expect(
            SenderAuthentication.decide(
                command: command(.accept), sender: "ann@example.org", tag: tag("referral.owner", ref: "R-1", revokedAt: now - 1),
                evidence: .none, now: now) == .hold)
    }

    @Test("A tag proves its member for the words its mail offered, on its object",
          arguments: [
            ("referral.owner", "R-1", CommandWord.accept, ""), ("referral.owner", "R-1", .reject, "R-1 too far"),
            ("referral.owner", "R-1", .won, "5000"), ("referral.owner", "R-1", .paid, ""),
            ("referral.owner", "R-1", .contacted, ""), ("referral.owner", "R-1", .lost, "went elsewhere"),
            ("referral.referrer", "R-1", .received, ""), ("referral.referrer", "R-1", .dispute, "not paid"),
            ("referral.referrer", "R-1", .refer, "L-9"), ("connection.addressee", "C-2", .accept, ""),
            ("agreement.referrer", "L-3", .agree, ""), ("listing.review", "L-3", .approve, ""),
            ("listing.review", "L-3", .decline, "L-3 vague"), ("listing.review", "L-3", .feature, "7"),
            ("listing.owner", "L-3", .close, ""), ("unsubscribe", nil, .stop, ""),
          ] as [(String, String?, CommandWord, String)])
    func inScope(action: String, ref: String?, word: CommandWord, arguments: String) {
        #expect(
            SenderAuthentication.decide(
                command: command(word, arguments), sender: "ann@example.org", tag: tag(action, ref: ref), evidence: .none,
                now: now) == .run(proof: .ownedTag))
    }

    @Test("Any other state-changing command sent to a tag is held: another word, or another object",
          arguments: [
            ("referral.owner", "R-1", CommandWord.profile, "Business: X"), ("referral.owner", "R-1", .leave, ""),
            ("referral.owner", "R-1", .grant, "bob@example.org 5"), ("referral.owner", "R-1", .accept, "R-2"),
            ("referral.owner", "R-1", .stop, ""), ("referral.owner", "R-1", .received, ""),
            ("referral.referrer", "R-1", .received, "R-7"), ("referral.referrer", "R-1", .accept, ""),
            ("agreement.referrer", "L-3", .received, "R-1"), ("agreement.referrer", "L-3", .agree, "L-4"),
            ("listing.review", "L-3", .approve, "L-4"), ("listing.review", "L-3", .grant, "ann@example.org 9"),
            ("listing.owner", "L-3", .close, "L-5"), ("connection.addressee", "C-2", .accept, "R-1"),
            ("unsubscribe", nil, .start, ""), ("unsubscribe", nil, .leave, ""),
            ("member.confirm", nil, .profile, "City: X"), ("confirm", nil, .leave, ""), ("an.unknown.action", "R-1", .accept, ""),
          ] as [(String, String?, CommandWord, String)])
    func outOfScope(action: String, ref: String?, word: CommandWord, arguments: String) {
        let tag = tag(action, ref: ref)
        #expect(
            SenderAuthentication.decide(
                command: command(word, arguments), sender: "ann@example.org", tag: tag, evidence: .none, now: now) == .hold)
        #expect(
            SenderAuthentication.tagRefusal(command: command(word, arguments), sender: "ann@example.org", tag: tag, now: now)?
                .hasPrefix("tag scope") == true)
        // A trusted header still proves the sender (path 2).
        #expect(
            SenderAuthentication.decide(
                command: command(word, arguments), sender: "ann@example.org", tag: tag, evidence: .dmarcPass, now: now)
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
