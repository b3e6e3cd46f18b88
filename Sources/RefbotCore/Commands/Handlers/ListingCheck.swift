import Foundation

/// The compliance guardrails of `LISTING` (``ComplianceRules``): reading `Profession:` and
/// `Jurisdiction:`, and the mail a refused listing causes.
enum ListingCheck {
    /// What the form declares and what the rules say of it.
    ///
    /// The profession is `Profession:`, or without that line a known profession named in
    /// `Category:` (so `Category: Real estate` is checked too); `Jurisdiction:` must read as one.
    static func declared(_ form: FormFields, category: String, reward: Reward, rules: ComplianceRules) throws
        -> (ListingCompliance, ComplianceRules.Verdict)
    {
        var declared = ListingCompliance()
        if let text = form["profession"] {
            let value = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmedOfWhitespace
            guard value.count <= ListingHandler.maxShortField else {
                throw CommandError(
                    line: "Profession: \(value.prefix(60))…",
                    problem: "The profession is longer than \(ListingHandler.maxShortField) characters.",
                    remedy: "Name it in a few words, such as Profession: real estate.")
            }
            declared.profession = rules.professionKey(value)
        } else {
            declared.profession = rules.knownProfessionKey(category)
        }
        if let text = form["jurisdiction"] {
            let value = text.split(whereSeparator: \.isNewline).joined(separator: " ").trimmedOfWhitespace
            guard let key = Jurisdiction.key(value) else {
                throw CommandError(
                    line: "Jurisdiction: \(value.prefix(60))",
                    problem: "I could not read \"\(value.prefix(60))\" as a jurisdiction.",
                    remedy: "Write a country code such as US or GB, a state or province such as US-CA or CA-ON, "
                        + "or a name such as California or United States; or leave the line out.")
            }
            declared.jurisdiction = key
        }
        let verdict = rules.check(profession: declared.profession, jurisdiction: declared.jurisdiction, reward: reward)
        switch verdict {
        case .refused(let rule): declared.heldBy = rule.id
        case .allowed(let disclosures, _):
            declared.disclosure = disclosures.isEmpty ? nil : disclosures.joined(separator: "\n")
        }
        return (declared, verdict)
    }

    /// `listing.refused` to the owner (why, what would work, not legal advice) and `listing.held`
    /// to each admin (how to override); the listing is kept pending and held.
    static func refusal(
        _ listing: Listing, rule: ComplianceRules.Rule, values: [String: TemplateValue], owner: Member, ownerTag: String,
        quoted: [String], context: CommandContext
    ) -> [Notification] {
        guard let id = listing.listingID else { return [] }
        var values = values
        values["ruleId"] = .text(rule.id)
        values["ruleName"] = .text(rule.name)
        values["ruleWhere"] = .text(rule.whereText)
        values["explanation"] = .text(rule.explanation)
        values["remedy"] = .text(rule.remedy)
        values["offered"] = .text(RewardClass(listing.reward).phrase)
        values["allowedKinds"] = .text(rule.allowed.sorted().map(\.phrase).joined(separator: ", "))
        values["notLegalAdvice"] = .text(ComplianceRules.notLegalAdvice)
        values["fromCategory"] = .flag(listing.compliance.profession != nil && !quoted.contains(where: {
            FormFields.keyLine($0.trimmedOfWhitespace).map { FormFields.normalizedKey($0.0) == "profession" } ?? false
        }))
        var notifications = [
            Notification(
                event: .listingRefused, to: [owner.email], ref: id.description, replyTag: ownerTag, values: values,
                quoted: quoted, thread: context.messageID.map { [$0] } ?? [])
        ]
        for admin in context.admins {
            notifications.append(Notification(event: .listingHeld, to: [admin], ref: id.description, values: values))
        }
        return notifications
    }

    /// The `command.error` for APPROVE of a held listing.
    static func heldError(_ listing: Listing, ref: ListingID, line: String) -> CommandError {
        CommandError(
            line: line,
            problem: "\(ref) breaks the network's compliance rule \(listing.compliance.heldBy ?? "?") and is held, "
                + "so APPROVE does not publish it. \(ComplianceRules.notLegalAdvice)",
            remedy: "If it may go live after all, run refbot admin compliance override \(ref) --reason TEXT on the "
                + "server (the reason is recorded), or DECLINE \(ref) with a reason; the owner may post a corrected LISTING.")
    }
}

extension Listing {
    /// The compliance values listing mails show: `profession`, `jurisdiction`, `disclosure`,
    /// `complianceNote` (not legal advice), and after an admin's override `complianceOverride`,
    /// `complianceOverrideBy`, `complianceRule`.
    public func complianceValues() -> [String: TemplateValue] {
        var values: [String: TemplateValue] = [:]
        if let profession = compliance.profession {
            values["profession"] = .text(profession.replacingOccurrences(of: "_", with: " "))
        }
        if let jurisdiction = compliance.jurisdiction { values["jurisdiction"] = .text(jurisdiction) }
        if let disclosure = compliance.disclosure { values["disclosure"] = .text(disclosure) }
        if let rule = compliance.heldBy { values["complianceRule"] = .text(rule) }
        if let reason = compliance.overrideReason {
            values["complianceOverride"] = .text(reason)
            if let by = compliance.overrideBy { values["complianceOverrideBy"] = .text(by) }
        }
        if compliance.disclosure != nil || compliance.heldBy != nil {
            values["complianceNote"] = .text(ComplianceRules.notLegalAdvice)
        }
        return values
    }
}

/// `refbot admin compliance override L-n --reason TEXT`: an admin publishes a listing a compliance
/// rule holds back. The reason and the admin are kept on the listing and in the ledger history; the
/// owner gets `listing.approved` (saying an admin overrode the rule, and that it is not legal
/// advice) and the owner's followers `listing.new`.
public struct ComplianceOverrideHandler: CommandHandler {
    /// Not a mail command: the admin CLI runs it under APPROVE's word.
    public let word = CommandWord.approve
    public var name: String { "compliance override" }
    /// Why the admin publishes it anyway.
    public var reason: String
    /// Who: the admin's address and login.
    public var admin: String

    public init(reason: String, admin: String) {
        self.reason = reason
        self.admin = admin
    }

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ListingTarget.requireAdmin(command, context: context)
        let target = try ListingTarget.resolve(command, context: context, ledger: ledger)
        var listing = target.listing
        let reason = reason.split(whereSeparator: \.isNewline).joined(separator: " ").trimmedOfWhitespace
        guard !reason.isEmpty else {
            throw CommandError(
                line: command.line, problem: "An override needs a reason.",
                remedy: "Give it with --reason, such as --reason \"reviewed with our counsel: referral is unpaid\".")
        }
        guard let rule = listing.compliance.heldBy else {
            throw CommandError(
                line: command.line, problem: "\(target.id) is not held by a compliance rule, so there is nothing to override.",
                remedy: listing.state == .pending ? "Approve it with refbot admin approve \(target.id)." : "Nothing needs doing.")
        }
        guard listing.compliance.overrideReason == nil else {
            throw CommandError(
                line: command.line,
                problem: "\(target.id) was already overridden by \(listing.compliance.overrideBy ?? "an admin"): \(listing.compliance.overrideReason ?? "").",
                remedy: "Nothing needs doing.")
        }
        do {
            listing.state = try listing.state.after(.approve)
        } catch {
            throw error.commandError(ref: target.id, line: command.line)
        }
        listing.updatedAt = context.now
        listing.declineReason = nil
        listing.compliance.overrideReason = reason
        listing.compliance.overrideBy = admin
        listing.compliance.overrideAt = context.now
        try ledger.save(&listing)
        let owner = try ledger.member(id: listing.ownerId)
        var notifications: [Notification] = [
            ListingTarget.done(
                command, context: context, ref: target.id,
                summary: "\(target.id) \"\(listing.title)\" is live: you overrode compliance rule \(rule).",
                detail: "Recorded: by \(admin), reason: \(reason)."
                    + (owner.map { " We told \($0.displayName) and the members who follow them." } ?? ""))
        ]
        if let owner {
            notifications += try ApproveHandler.liveNotices(
                listing, ref: target.id.description, owner: owner, ledger: ledger, now: context.now)
        }
        return notifications
    }
}
