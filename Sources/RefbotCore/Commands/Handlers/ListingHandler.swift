/// `LISTING`: a member posts a Referral Opportunity (spec §3).
///
/// The form is ``FormFields/Spec/listing``. The listing starts `pending` (or `live` with
/// `network.auto_approve_listings`); the owner gets `listing.submitted`, and each admin a
/// `listing.review` whose reply address knows the listing, so a bare APPROVE or DECLINE works.
public struct ListingHandler: CommandHandler {
    public let word = CommandWord.listing

    /// The reply-tag action of `listing.review`: an admin's APPROVE or DECLINE names this listing.
    public static let reviewAction = "listing.review"
    /// The reply-tag action of the owner's listing mail: a bare CLOSE or SHOW names this listing.
    public static let ownerAction = "listing.owner"
    /// How long the owner's reply address works (the longest any tag lives); it dies when the listing closes.
    static let ownerTagSeconds = ReplyTag.maxLifetimeSeconds
    /// The longest title, category and location, in characters.
    static let maxShortField = 120
    /// The longest customer description and custom terms, in characters.
    static let maxLongField = 4000

    /// The network's compliance rules (`compliance.rules_file`): a listing that breaks one is held.
    public var compliance: ComplianceRules

    public init(compliance: ComplianceRules = .none) {
        self.compliance = compliance
    }

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let owner = try ListingHandler.activeMember(
            context, ledger: ledger, line: command.line, doing: "post a listing")
        // `LISTING Kitchen remodels` names the title on the command line when the form has no Title: line.
        var lines = command.followingLines
        let hasTitle = lines.contains { line in
            FormFields.keyLine(line.trimmedOfWhitespace).map {
                ["title", "subject"].contains(FormFields.normalizedKey($0.0))
            }
                ?? false
        }
        if !hasTitle, !command.arguments.trimmedOfWhitespace.isEmpty {
            lines.insert("Title: \(command.arguments.trimmedOfWhitespace)", at: 0)
        }
        let form = try FormFields.parse(lines: lines, spec: .listing, line: command.line).get()

        let title = try Self.shortField(form, "title", label: "Title")
        let category = try Self.shortField(form, "category", label: "Category")
        let location = form["location"] == nil ? nil : try Self.shortField(form, "location", label: "Location")
        let customer = try Self.longField(form, "customer", label: "Customer")
        let rewardText = form["reward"] ?? ""
        let reward = try Reward.parse(
            rewardText, defaultCurrency: context.settings.currency, line: "Reward: \(rewardText)")
        let terms = ListingTerms(field: form["terms"])
        if let custom = terms.customText, custom.count > Self.maxLongField {
            throw CommandError(
                line: "Terms: \(custom.prefix(60))…",
                problem: "The custom terms are longer than \(Self.maxLongField) characters.",
                remedy: "Shorten them, or write Terms: standard to use the network's standard agreement.")
        }
        let expiresAt = try form["expires"].map {
            try ListingDates.expiry($0, now: context.now, line: "Expires: \($0)")
        }

        let (declared, verdict) = try ListingCheck.declared(form, category: category, reward: reward, rules: compliance)

        var listing = Listing(
            ownerId: owner.id ?? 0, title: title, category: category, location: location, customer: customer,
            reward: reward, terms: terms, state: .initial(autoApprove: context.settings.autoApproveListings),
            expiresAt: expiresAt, createdAt: context.now)
        listing.compliance = declared
        if listing.compliance.isHeld { listing.state = .pending }
        try ledger.save(&listing)
        guard let id = listing.listingID else { return [] }

        var values = listing.mailValues(owner: owner, now: context.now)
        values["isLive"] = .flag(listing.state == .live)
        values["warnings"] = .list(form.warnings.map { .text($0) })
        values["hasWarnings"] = .flag(!form.warnings.isEmpty)
        let quoted = [command.line] + command.followingLines.filter { !$0.trimmedOfWhitespace.isEmpty }
        let ownerTag = try ledger.makeReplyTag(
            for: owner.email, action: Self.ownerAction, ref: id.description, now: context.now,
            expiresAt: context.now + Self.ownerTagSeconds)
        if case .refused(let rule) = verdict {
            return ListingCheck.refusal(
                listing, rule: rule, values: values, owner: owner, ownerTag: ownerTag.token, quoted: quoted,
                context: context)
        }
        var notifications = [
            Notification(
                event: .listingSubmitted, to: [owner.email], ref: id.description, replyTag: ownerTag.token,
                values: values, quoted: quoted, thread: context.messageID.map { [$0] } ?? [])
        ]
        if listing.state == .live {
            notifications += try ApproveHandler.newListingNotices(
                listing, owner: owner, ledger: ledger, now: context.now)
        } else {
            for admin in context.admins {
                let tag = try ledger.makeReplyTag(
                    for: admin, action: Self.reviewAction, ref: id.description, now: context.now,
                    expiresAt: context.now + max(context.settings.linkExpirySeconds, 30 * NetworkSettings.secondsPerDay)
                )
                notifications.append(
                    Notification(
                        event: .listingReview, to: [admin], ref: id.description, replyTag: tag.token, values: values,
                        actions: ["APPROVE", "DECLINE"]))
            }
        }
        return notifications
    }

    /// The sender as an active member, or the error that tells them how to become one.
    static func activeMember(_ context: CommandContext, ledger: any Ledger, line: String, doing: String) throws
        -> Member
    {
        guard let member = try ledger.member(email: context.sender), member.id != nil else {
            throw CommandError(
                line: line, problem: "Only members can \(doing), and \(context.sender) is not a member yet.",
                remedy: "Send JOIN with a Name: line to join the network, then try again.")
        }
        switch member.state {
        case .active: return member
        case .pending:
            throw CommandError(
                line: line, problem: "Your membership is waiting for you to confirm your address.",
                remedy: "Reply CONFIRM to the mail we sent when you joined, then try again.")
        case .left:
            throw CommandError(
                line: line, problem: "You left the network, so you cannot \(doing).",
                remedy: "Send JOIN to rejoin, then try again.")
        }
    }

    private static func shortField(_ form: FormFields, _ key: String, label: String) throws -> String {
        let value = (form[key] ?? "").split(whereSeparator: \.isNewline).joined(separator: " ").trimmedOfWhitespace
        guard value.count <= maxShortField else {
            throw CommandError(
                line: "\(label): \(value.prefix(60))…",
                problem: "The \(label.lowercased()) is longer than \(maxShortField) characters.",
                remedy: "Shorten it; the details belong in Customer:.")
        }
        return value
    }

    private static func longField(_ form: FormFields, _ key: String, label: String) throws -> String {
        let value = (form[key] ?? "").trimmedOfWhitespace
        guard value.count <= maxLongField else {
            throw CommandError(
                line: "\(label): \(value.prefix(60))…",
                problem: "The \(label.lowercased()) is longer than \(maxLongField) characters.",
                remedy: "Shorten it to a few sentences.")
        }
        return value
    }
}

extension Listing {
    /// The values every listing mail shows: `ref`, `title`, `category`, `location`, `customer`, `reward`,
    /// `terms`, `customTerms`, `isFeatured`, `expires`, `state`, and the owner's `ownerName`,
    /// `ownerBusiness`, `ownerCity`, `ownerEmail`, `ownerDisplay`.
    public func mailValues(owner: Member?, now: Int64) -> [String: TemplateValue] {
        var values: [String: TemplateValue] = [
            "title": .text(title), "category": .text(category), "customer": .text(customer),
            "reward": .text(reward.description), "state": .text(state.rawValue),
            "isFeatured": .flag(isFeatured(at: now)),
            "hasCustomTerms": .flag(terms.customText != nil),
            "terms": .text(terms.customText == nil ? "the network's standard agreement" : "the owner's own terms"),
        ]
        if let id = listingID { values["ref"] = .text(id.description) }
        if let location, !location.isEmpty { values["location"] = .text(location) }
        if let custom = terms.customText { values["customTerms"] = .text(custom) }
        if let expiresAt { values["expires"] = .text(ListingDates.day(expiresAt - 1)) }
        if let featuredUntil, isFeatured(at: now) { values["featuredUntil"] = .text(ListingDates.day(featuredUntil)) }
        values.merge(complianceValues()) { current, _ in current }
        if let owner {
            values["ownerName"] = .text(owner.name)
            values["ownerDisplay"] = .text(owner.displayName)
            values["ownerEmail"] = .text(owner.email)
            if let business = owner.business, !business.isEmpty { values["ownerBusiness"] = .text(business) }
            if let city = owner.city, !city.isEmpty { values["ownerCity"] = .text(city) }
        }
        return values
    }
}

/// Reading and printing the days of `Expires:` and `featuredUntil`, in UTC, without a calendar.
enum ListingDates {
    /// When a listing with `Expires: text` stops: the end of that day (UTC), or `now + N days`.
    ///
    /// Reads `2026-12-31`, `in 30 days`, `30 days`, `in 2 weeks`, `in 3 months`; a listing without the
    /// line never expires.
    static func expiry(_ text: String, now: Int64, line: String) throws -> Int64 {
        let lower = text.trimmedOfWhitespace.lowercased()
        let remedy =
            "Write a date such as Expires: 2026-12-31 or a span such as Expires: in 30 days, or leave the line out."
        let words = lower.split(separator: " ").map(String.init).filter { $0 != "in" }
        if words.count == 2, let count = Int64(words[0]), count > 0, count <= 3650 {
            let unit: Int64? =
                switch words[1] {
                case "day", "days": 1
                case "week", "weeks": 7
                case "month", "months": 30
                case "year", "years": 365
                default: nil
                }
            if let unit {
                return now + count * unit * NetworkSettings.secondsPerDay
            }
        }
        if let days = daysSinceEpoch(lower) {
            let end = (days + 1) * NetworkSettings.secondsPerDay
            guard end > now else {
                throw CommandError(line: line, problem: "\(text.trimmedOfWhitespace) is already past.", remedy: remedy)
            }
            return end
        }
        throw CommandError(
            line: line, problem: "I could not read \"\(text.trimmedOfWhitespace)\" as a date.", remedy: remedy)
    }

    /// `2026-12-31` for a time, in UTC.
    static func day(_ time: Int64) -> String {
        let days = time >= 0 ? time / NetworkSettings.secondsPerDay : (time + 1) / NetworkSettings.secondsPerDay - 1
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(y)-\(two(m))-\(two(d))"
    }

    /// Days since 1970-01-01 of `YYYY-MM-DD`, or `nil` when it is not a real date.
    static func daysSinceEpoch(_ text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, let y = Int64(parts[0]), let m = Int64(parts[1]),
            let d = Int64(parts[2]), (1...12).contains(m), d >= 1, y >= 1970, y <= 9999
        else { return nil }
        let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
        let lengths: [Int64] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard d <= lengths[Int(m - 1)] else { return nil }
        // Howard Hinnant's days_from_civil.
        let year = m <= 2 ? y - 1 : y
        let era = year / 400
        let yoe = year - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
