/// Decides whether a command may run on the word of its `From:` address (spec §2, "Sender
/// authentication"). Pure: the caller supplies the tag the mail came to and what a trusted
/// `Authentication-Results` header said.
///
/// ```swift
/// switch SenderAuthentication.decide(command: command, sender: "ann@example.org", tag: tag, evidence: .none, now: now) {
/// case .run(let proof): context.isAuthenticated = proof != nil   // run the handler
/// case .hold: …                                                  // hold it, mail command.confirm
/// }
/// ```
public enum SenderAuthentication {
    /// The reply-tag action of a `command.confirm` mail: a CONFIRM to it releases the held command.
    public static let heldCommandAction = "confirm"

    /// What a trusted `Authentication-Results` header said about the `From:` address.
    public enum Evidence: Sendable, Equatable {
        /// `dmarc=pass` for the `From:` domain.
        case dmarcPass
        /// `dkim=pass` with the `From:` domain as signer.
        case dkimPassAligned
        /// Nothing trusted vouches for the address (no header, or one from another authserv-id).
        case none
    }

    /// Why a sender counts as the owner of the address.
    public enum Proof: String, Sendable, Equatable {
        /// The mail came to a live tag made for the sender whose scope covers the command (path 1).
        case ownedTag = "tag"
        /// A trusted DMARC pass (path 2).
        case dmarcPass = "dmarc"
        /// A trusted, aligned DKIM pass (path 2).
        case dkimPassAligned = "dkim"
        /// The sender confirmed a held command (path 3).
        case confirmed = "confirmed"
    }

    /// What to do with the command.
    public enum Decision: Sendable, Equatable {
        /// Run it; `proof` is `nil` for commands that need none (read-only, JOIN, CONFIRM, YES, NO)
        /// when nothing proves the sender either.
        case run(proof: Proof?)
        /// Hold it and ask the `From:` address to confirm.
        case hold
    }

    /// The words that run without proof: read-only commands answer the `From:` address only;
    /// JOIN is always confirmed by mail; CONFIRM, YES and NO are themselves answers to a tag.
    public static func needsProof(_ word: CommandWord) -> Bool {
        if word.isReadOnly { return false }
        switch word {
        case .join, .confirm, .yes, .no: return false
        default: return true
        }
    }

    /// Whether this command only reads: a read-only word, or a bare `PROFILE` (which shows the
    /// profile to the `From:` address and changes nothing).
    public static func isReadOnly(_ command: ParsedCommand) -> Bool {
        if command.word.isReadOnly { return true }
        guard command.word == .profile else { return false }
        return ([command.arguments] + command.followingLines).allSatisfy { FormFields.keyLine($0.trimmedOfWhitespace) == nil }
    }

    /// Runs or holds this command from this sender; a bare `PROFILE` is read-only.
    public static func decide(command: ParsedCommand, sender: String, tag: ReplyTag?, evidence: Evidence, now: Int64)
        -> Decision
    {
        let proof = proof(command: command, sender: sender, tag: tag, evidence: evidence, now: now)
        if proof != nil || isReadOnly(command) || !needsProof(command.word) { return .run(proof: proof) }
        return .hold
    }

    /// What proves the sender owns the `From:` address for this command, if anything.
    ///
    /// A tag counts only when it was made for this very address, is live (not expired, not
    /// revoked) and its scope covers the command (``ReplyScope``); a trusted header counts as the
    /// caller read it (`Evidence`).
    public static func proof(command: ParsedCommand, sender: String, tag: ReplyTag?, evidence: Evidence, now: Int64)
        -> Proof?
    {
        if let tag, tagRefusal(command: command, sender: sender, tag: tag, now: now) == nil { return .ownedTag }
        return proof(evidence: evidence)
    }

    /// What the MTA's verdict alone proves (path 2), whatever the command.
    public static func proof(evidence: Evidence) -> Proof? {
        switch evidence {
        case .dmarcPass: .dmarcPass
        case .dkimPassAligned: .dkimPassAligned
        case .none: nil
        }
    }

    /// Why the tag the mail came to does not prove this command from this sender (for the log),
    /// or `nil` when it does.
    public static func tagRefusal(command: ParsedCommand, sender: String, tag: ReplyTag, now: Int64) -> String? {
        if !Member.sameEmail(tag.memberEmail, Member.normalizedEmail(sender)) { return "tag of another address" }
        if tag.revokedAt != nil { return "tag revoked" }
        if now >= tag.expiresAt { return "tag expired" }
        return ReplyScope.refusal(command, tag: tag).map { "tag scope: " + $0 }
    }

    /// Runs or holds a command with this word (and no arguments naming an object) from this sender.
    public static func decide(word: CommandWord, sender: String, tag: ReplyTag?, evidence: Evidence, now: Int64) -> Decision {
        let command = ParsedCommand(word: word, arguments: "", line: word.rawValue, followingLines: [], source: .body)
        let proof = proof(command: command, sender: sender, tag: tag, evidence: evidence, now: now)
        if proof != nil || !needsProof(word) { return .run(proof: proof) }
        return .hold
    }
}
