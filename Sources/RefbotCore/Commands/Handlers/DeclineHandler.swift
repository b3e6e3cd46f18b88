/// `DECLINE L-n [reason]` (admin): a pending or live listing is declined; the owner gets
/// `listing.declined` with the reason, the admin `command.done`.
///
/// The reason is the rest of the line plus the following lines up to a blank line (spec §2).
public struct DeclineHandler: CommandHandler {
    public let word = CommandWord.decline

    /// The longest reason kept, in characters.
    static let maxReason = 2000

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ListingTarget.requireAdmin(command, context: context)
        let target = try ListingTarget.resolve(command, context: context, ledger: ledger)
        var listing = target.listing
        do {
            listing.state = try listing.state.after(.decline)
        } catch {
            throw error.commandError(ref: target.id, line: command.line)
        }
        let reason = Self.reason(first: target.rest, following: command.followingLines)
        listing.declineReason = reason.isEmpty ? nil : String(reason.prefix(Self.maxReason))
        listing.featuredUntil = nil
        listing.updatedAt = context.now
        try ledger.save(&listing)

        let owner = try ledger.member(id: listing.ownerId)
        var notifications = [
            ListingTarget.done(
                command, context: context, ref: target.id, summary: "\(target.id) \"\(listing.title)\" is declined.",
                detail: owner.map { "We told \($0.displayName)\(reason.isEmpty ? "." : ", with your reason.")" })
        ]
        if let owner {
            var values = listing.mailValues(owner: owner, now: context.now)
            if let kept = listing.declineReason { values["reason"] = .text(kept) }
            notifications.append(
                Notification(event: .listingDeclined, to: [owner.email], ref: target.id.description, values: values))
        }
        return notifications
    }

    /// The rest of the command's line, then the following lines up to the first blank one.
    static func reason(first: String, following: [String]) -> String {
        var lines = first.isEmpty ? [] : [first]
        for line in following {
            let trimmed = line.trimmedOfWhitespace
            if trimmed.isEmpty { if lines.isEmpty { continue } else { break } }
            lines.append(trimmed)
        }
        return lines.joined(separator: "\n").trimmedOfWhitespace
    }
}
