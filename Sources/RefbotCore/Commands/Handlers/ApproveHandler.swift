/// `APPROVE L-n` (admin): a pending (or declined) listing goes live.
///
/// The owner gets `listing.approved`, each follower of the owner `listing.new`, and the admin
/// `command.done`. In a reply to `listing.review` the listing is known: a bare `APPROVE` works.
public struct ApproveHandler: CommandHandler {
    public let word = CommandWord.approve

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try ListingTarget.requireAdmin(command, context: context)
        let target = try ListingTarget.resolve(command, context: context, ledger: ledger)
        var listing = target.listing
        if listing.compliance.isHeld { throw ListingCheck.heldError(listing, ref: target.id, line: command.line) }
        do {
            listing.state = try listing.state.after(.approve)
        } catch {
            throw error.commandError(ref: target.id, line: command.line)
        }
        listing.updatedAt = context.now
        listing.declineReason = nil
        try ledger.save(&listing)
        let owner = try ledger.member(id: listing.ownerId)

        var notifications: [Notification] = [
            ListingTarget.done(
                command, context: context, ref: target.id,
                summary: "\(target.id) \"\(listing.title)\" is live.",
                detail: owner.map { "We told \($0.displayName) and the members who follow them." })
        ]
        if let owner {
            notifications += try Self.liveNotices(listing, ref: target.id.description, owner: owner, ledger: ledger, now: context.now)
        }
        return notifications
    }

    /// What a listing going live mails: `listing.approved` to its owner (with a reply address for the
    /// owner's words on it) and `listing.new` to the owner's followers.
    static func liveNotices(_ listing: Listing, ref: String, owner: Member, ledger: any Ledger, now: Int64) throws
        -> [Notification]
    {
        let ownerTag = try ledger.makeReplyTag(
            for: owner.email, action: ListingHandler.ownerAction, ref: ref, now: now,
            expiresAt: now + ListingHandler.ownerTagSeconds)
        return [
            Notification(
                event: .listingApproved, to: [owner.email], ref: ref, replyTag: ownerTag.token,
                values: listing.mailValues(owner: owner, now: now))
        ] + (try newListingNotices(listing, owner: owner, ledger: ledger, now: now))
    }

    /// `listing.new` to every active follower of the owner, one mail each.
    static func newListingNotices(_ listing: Listing, owner: Member, ledger: any Ledger, now: Int64) throws
        -> [Notification]
    {
        guard let ownerId = owner.id, let id = listing.listingID else { return [] }
        var values = listing.mailValues(owner: owner, now: now)
        values["ownerEmail"] = .text(owner.email)
        return try ledger.followers(of: ownerId).map { follower in
            var personal = values
            personal["followerName"] = .text(follower.name)
            personal["isConnected"] = .flag(try follower.id.map { try ledger.areConnected($0, ownerId) } ?? false)
            return Notification(event: .listingNew, to: [follower.email], ref: id.description, values: personal)
        }
    }
}

/// How the listing commands find their listing and answer the sender.
enum ListingTarget {
    /// A listing a command names, and the command's arguments after its `L-n`.
    struct Found {
        var listing: Listing
        var id: ListingID
        /// The arguments after the `L-n` (a reason, a number of days).
        var rest: String
    }

    /// The listing named by the first argument (`L-12`), or, in a reply to a tagged address that
    /// belongs to the sender and names a listing, that listing.
    static func resolve(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> Found {
        let arguments = command.arguments.trimmedOfWhitespace
        let first = arguments.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        var id = ListingID(parsing: first)
        var rest = arguments
        if id != nil {
            rest = String(arguments.dropFirst(first.count)).trimmedOfWhitespace
        } else if let hash = context.tag, let tag = try ledger.replyTag(hash: hash),
            tag.memberEmail == Member.normalizedEmail(context.sender), let ref = tag.ref
        {
            guard tag.isLive(at: context.now) else {
                throw CommandError(
                    line: command.line, problem: "The reply address you wrote to has expired or is closed.",
                    remedy: "Write the listing's number: \(command.word.rawValue) \(ref).")
            }
            id = ListingID(parsing: ref)
        }
        guard let id else {
            let looksLikeRef = ObjectRef(parsing: first) != nil
            throw CommandError(
                line: command.line,
                problem: looksLikeRef
                    ? "\(first) is not a listing; listings are numbered L-1, L-2 …"
                    : "\(command.word.rawValue) needs the number of a listing.",
                remedy: "Write it like: \(command.word.synopsis), or send LISTINGS to find one.")
        }
        guard let listing = try ledger.listing(id: id.rawValue) else {
            throw CommandError(
                line: command.line, problem: "There is no listing \(id).",
                remedy: "Check the number in the mail you are answering, or send LISTINGS to see the live ones.")
        }
        return Found(listing: listing, id: id, rest: rest)
    }

    /// Throws unless the sender is one of `bot.admins`.
    static func requireAdmin(_ command: ParsedCommand, context: CommandContext) throws {
        guard context.isAdmin else {
            throw CommandError(
                line: command.line, problem: "Only the network's admins can \(command.word.rawValue) listings.",
                remedy: "If you think a listing needs their attention, write to an admin.")
        }
    }

    /// The `command.done` answer to the sender, quoting the command line.
    static func done(
        _ command: ParsedCommand, context: CommandContext, ref: ListingID?, summary: String, detail: String? = nil
    ) -> Notification {
        var values: [String: TemplateValue] = ["summary": .text(summary)]
        if let detail { values["detail"] = .text(detail) }
        return Notification(
            event: .commandDone, to: [context.sender], ref: ref?.description, values: values, quoted: [command.line],
            thread: context.messageID.map { [$0] } ?? [])
    }
}
