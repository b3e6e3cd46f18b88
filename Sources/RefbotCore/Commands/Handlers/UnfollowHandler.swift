/// `UNFOLLOW email-or-L-n` (member): no more `listing.new` mail about that member's listings.
public struct UnfollowHandler: CommandHandler {
    public let word = CommandWord.unfollow

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let follower = try ListingHandler.activeMember(
            context, ledger: ledger, line: command.line, doing: "follow members")
        let followed = try FollowHandler.followedMember(command, context: context, ledger: ledger)
        let named = command.arguments.split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
        var removed = false
        if let followerId = follower.id, let followedId = followed.id {
            removed = try ledger.unfollow(followerId: followerId, followedId: followedId)
        }
        return [
            ListingTarget.done(
                command, context: context, ref: nil,
                summary: removed
                    ? "You no longer follow \(followed.displayName)."
                    : "You were not following \(followed.displayName), so nothing changed.",
                detail: removed ? "Send FOLLOW \(named) to follow them again." : nil)
        ]
    }
}
