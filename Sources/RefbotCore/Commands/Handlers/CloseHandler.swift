/// `CLOSE L-n` (the listing's owner, or an admin): the listing stops showing in search and taking
/// referrals; the sender gets `command.done`. Referrals already passed stay open.
public struct CloseHandler: CommandHandler {
    public let word = CommandWord.close

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let target = try ListingTarget.resolve(command, context: context, ledger: ledger)
        var listing = target.listing
        let sender = try ledger.member(email: context.sender)
        guard sender?.id == listing.ownerId || context.isAdmin else {
            throw CommandError(
                line: command.line, problem: "\(target.id) is not your listing, so you cannot close it.",
                remedy: "Send CLOSE with the number of one of your own listings.")
        }
        do {
            listing.state = try listing.state.after(.close)
        } catch {
            throw error.commandError(ref: target.id, line: command.line)
        }
        listing.updatedAt = context.now
        try ledger.save(&listing)
        return [
            ListingTarget.done(
                command, context: context, ref: target.id, summary: "\(target.id) \"\(listing.title)\" is closed.",
                detail: "It no longer shows in search results or takes new referrals. Referrals already passed to "
                    + "you stay open; post a new LISTING when you want referrals again.")
        ]
    }
}
