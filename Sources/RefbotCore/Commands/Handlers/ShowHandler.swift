/// `SHOW L-n` (anyone, read-only): the whole listing, as `listing`, with how to connect to the owner,
/// follow them and, once connected, refer a customer.
///
/// Anyone sees a listing that is open (live and not past its expiry); its owner and the admins also
/// see it in any other state.
public struct ShowHandler: CommandHandler {
    public let word = CommandWord.show

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let notFound = CommandError(
            line: command.line,
            problem: "\(command.arguments.isEmpty ? "That" : String(command.arguments.prefix(20))) "
                + "is not a live listing.",
            remedy: "Send LISTINGS to see the live ones, or SEARCH with a few words.")
        let target: ListingTarget.Found
        do {
            target = try ListingTarget.resolve(command, context: context, ledger: ledger)
        } catch let error as CommandError where error.problem.hasPrefix("There is no listing") {
            throw notFound
        }
        let listing = target.listing
        let sender = try ledger.member(email: context.sender)
        let isOwner = sender?.id == listing.ownerId
        guard listing.isOpen(at: context.now) || isOwner || context.isAdmin else { throw notFound }

        let owner = try ledger.member(id: listing.ownerId)
        var values = listing.mailValues(owner: owner, now: context.now)
        let isMember = sender?.state == .active
        var isConnected = false
        if let senderId = sender?.id, !isOwner { isConnected = try ledger.areConnected(senderId, listing.ownerId) }
        values["isOwner"] = .flag(isOwner)
        values["isOpen"] = .flag(listing.isOpen(at: context.now))
        values["isMember"] = .flag(isMember)
        values["isConnected"] = .flag(isConnected)
        values["canConnect"] = .flag(isMember && !isOwner && !isConnected)
        values["canFollow"] = .flag(isMember && !isOwner)
        values["canRefer"] = .flag(isMember && isConnected && listing.isOpen(at: context.now))
        values["isStranger"] = .flag(!isMember)
        if let reason = listing.declineReason, isOwner || context.isAdmin { values["declineReason"] = .text(reason) }
        return [
            Notification(
                event: .listing, to: [context.sender], ref: target.id.description, values: values,
                quoted: [command.line],
                thread: context.messageID.map { [$0] } ?? [])
        ]
    }
}
