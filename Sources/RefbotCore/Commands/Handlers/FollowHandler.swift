/// `FOLLOW email-or-L-n` (member): the sender gets `listing.new` whenever that member (or the owner
/// of that listing) has a listing go live. Following twice is fine; following yourself is not.
public struct FollowHandler: CommandHandler {
    public let word = CommandWord.follow

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let follower = try ListingHandler.activeMember(
            context, ledger: ledger, line: command.line, doing: "follow members")
        let followed = try Self.followedMember(command, context: context, ledger: ledger)
        guard let followerId = follower.id, let followedId = followed.id, followerId != followedId else {
            throw CommandError(
                line: command.line, problem: "That is you: you cannot follow yourself.",
                remedy: "Write FOLLOW with another member's address or the number of their listing.")
        }
        let isNew = try ledger.follow(followerId: followerId, followedId: followedId, now: context.now)
        return [
            ListingTarget.done(
                command, context: context, ref: nil,
                summary: isNew
                    ? "You now follow \(followed.displayName)." : "You already follow \(followed.displayName).",
                detail: "We will mail you each new listing of theirs when it goes live. "
                    + "Send UNFOLLOW \(command.arguments.split(whereSeparator: \.isWhitespace).first ?? "") to stop.")
        ]
    }

    /// The member a FOLLOW or UNFOLLOW names: by address, or as the owner of `L-n`.
    static func followedMember(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> Member {
        let argument = command.arguments.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        let word = command.word.rawValue
        if let id = ListingID(parsing: argument) {
            guard let listing = try ledger.listing(id: id.rawValue),
                listing.state == .live || listing.state == .closed || listing.state == .expired,
                let owner = try ledger.member(id: listing.ownerId)
            else {
                throw CommandError(
                    line: command.line, problem: "There is no listing \(id) to follow.",
                    remedy: "Send LISTINGS to see the live ones, then \(word) L-n.")
            }
            return owner
        }
        let email = Member.normalizedEmail(argument)
        guard email.contains("@") else {
            throw CommandError(
                line: command.line, problem: "\(word) needs a member's address or the number of one of their listings.",
                remedy: "Write it like: \(word) ann@example.org, or \(word) L-12.")
        }
        guard let member = try ledger.member(email: email), member.state == .active else {
            throw CommandError(
                line: command.line, problem: "\(email) is not a member of the network.",
                remedy: "Check the address, or \(word) the number of one of their listings (send LISTINGS to find one)."
            )
        }
        return member
    }
}
