import GRDB
import Logging
import RefbotCore
import RefbotMail
import RefbotStore

/// The Processor's side of the caps on automatic mail: answers to unproven addresses
/// (``ReplyBudget``) and notices to the admins (``AdminNotices``).
extension Processor {
    /// What ``ReplyBudget`` says about answering this mail's sender.
    /// `tag` is the stored tag the mail came to (if any) and `member` the sender's member row (if
    /// any), both as read at the start of the mail's work.
    func replyVerdict(
        _ budget: ReplyBudget, sender: EmailAddress, tag: ReplyTag?, member: Member?, evidence: SenderAuthentication.Evidence,
        context: CommandContext, now: Int64, in db: Database
    ) throws -> ReplyBudget.Verdict {
        // A live tag of the sender's own proves the address for answering (whatever the tag's
        // scope: it reached only its owner); otherwise the MTA's verdict.
        let ownsTag = tag.map { Member.sameEmail($0.memberEmail, sender.address) && $0.isLive(at: now) } ?? false
        let proof = ownsTag ? .ownedTag : SenderAuthentication.proof(evidence: evidence)
        let proven = ReplyBudget.isProvenMember(member: member, isAdmin: context.isAdmin, proof: proof)
        return try budget.verdict(sender: sender.address, proven: proven, now: now, in: db)
    }

    /// Marks a mail over a reply cap as ignored: it does nothing and gets no answer.
    func withholdAnswers(id: Int64, rule: String, sender: String, now: Int64, in db: Database) throws -> ProcessOutcome {
        try InboundQueue.markIgnored(id, rule: rule, now: now, in: db)
        logger.notice(
            "Answer withheld",
            metadata: [
                "inbound.id": "\(id)", "rule": "\(rule)", "member.email": "\(sender)",
                "limit": "\(rule == ReplyBudget.globalRule ? configuration.mail.unprovenRepliesPerHour : configuration.mail.repliesPerAddressPerHour)",
            ])
        return .ignored
    }

    /// The admins' notices, capped at `mail.admin_notices_per_hour`.
    var adminNotices: AdminNotices {
        AdminNotices(configuration: configuration, composer: composer, logger: logger)
    }

    /// One line for the admins' summary about a quarantined mail.
    func quarantineSummary(_ head: HeaderPeek, id: Int64, reason: String) -> String {
        let sender = head.value("From") ?? "(unknown)"
        let subject = head.value("Subject") ?? "(none)"
        return "Quarantined inbound \(id) from \(sender.prefix(80)), subject \"\(subject.prefix(80))\": \(reason.prefix(100))"
    }
}
