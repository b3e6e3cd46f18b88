/// `CONNECT email-or-L-n` (a short message may follow): asks another member to connect
/// (`connection.request` to them, with ACCEPT and REJECT).
///
/// A request to someone who already asked the sender simply accepts theirs. Requests to oneself,
/// to a member already connected or already asked, and past `network.max_connect_requests_per_day`
/// are refused with a `command.error`.
public struct ConnectHandler: CommandHandler {
    public let word = CommandWord.connect

    public init() {}

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let line = command.line
        let requester = try ReferralDesk.activeMember(ledger, context, line: line)
        guard let requesterId = requester.id else { return [] }
        let target = try addressee(command, ledger: ledger)
        guard let addresseeId = target.id, target.state == .active else {
            throw CommandError(
                line: line, problem: "\(target.email) is no longer a member.",
                remedy: "Send SEARCH to find other members' listings.")
        }
        guard addresseeId != requesterId else {
            throw CommandError(
                line: line, problem: "That is you: you cannot connect to yourself.",
                remedy: "Write CONNECT with another member's address or listing, like CONNECT L-12.")
        }
        if try ledger.areConnected(requesterId, addresseeId) {
            throw CommandError(
                line: line, problem: "You are already connected to \(target.displayName).",
                remedy: "You can send referrals to their listings with REFER L-n.")
        }
        let message = Self.message(command.followingLines)

        // They asked first: saying CONNECT back accepts their request.
        if var theirs = try ledger.connection(from: addresseeId, to: requesterId), theirs.state == .pending,
            let theirID = theirs.connectionID
        {
            theirs.state = try moved(theirs, .accept, line: line)
            theirs.decidedAt = context.now
            try ledger.save(&theirs)
            let ref = theirID.description
            return [
                Notification(
                    event: .connectionAccepted, to: [target.email], ref: ref,
                    values: [
                        "requesterName": .text(target.displayName), "addresseeName": .text(requester.displayName),
                        "addresseeEmail": .text(requester.email),
                    ], thread: try ReferralDesk.thread(ledger, ref: ref)),
                ReferralDesk.done(
                    "You and \(target.displayName) are now connected (\(ref)).",
                    detail: "\(target.displayName) had already asked to connect with you, so we took your "
                        + "CONNECT as a yes. You can now send each other referrals with REFER L-n.",
                    ref: ref, command: command, context: context),
            ]
        }

        let since = context.now - NetworkSettings.secondsPerDay
        let sentToday = try ledger.connectRequestCount(by: requesterId, since: since)
        guard sentToday < context.settings.maxConnectRequestsPerDay else {
            throw CommandError(
                line: line,
                problem: "You have sent \(sentToday) connection requests in the last 24 hours, the most the network allows.",
                remedy: "Please try again tomorrow.")
        }

        var connection: Connection
        if var mine = try ledger.connection(from: requesterId, to: addresseeId) {
            guard let id = mine.connectionID else { return [] }
            do throws(ConnectionMoveError) {
                mine.state = try mine.state.after(.request)
            } catch {
                throw error.commandError(ref: id, line: line)
            }
            mine.message = message
            mine.createdAt = context.now
            mine.decidedAt = nil
            connection = mine
        } else {
            connection = Connection(requesterId: requesterId, addresseeId: addresseeId, message: message, createdAt: context.now)
        }
        try ledger.save(&connection)
        guard let id = connection.connectionID else { return [] }
        let ref = id.description
        let tag = try ledger.makeReplyTag(
            for: target.email, action: ReplyAction.connectionAddressee, ref: ref, now: context.now,
            expiresAt: context.now + ReferralDesk.requestTagSeconds)
        var values: [String: TemplateValue] = [
            "requesterName": .text(requester.displayName), "requesterEmail": .text(requester.email),
            "addresseeName": .text(target.name),
        ]
        if let category = requester.category { values["requesterCategory"] = .text(category) }
        if let city = requester.city { values["requesterCity"] = .text(city) }
        if let message { values["message"] = .text(message) }
        return [
            Notification(
                event: .connectionRequest, to: [target.email], ref: ref, replyTag: tag.token, values: values,
                actions: ["ACCEPT", "REJECT"]),
            ReferralDesk.done(
                "We asked \(target.displayName) to connect with you (\(ref)).",
                detail: "We will tell you when they answer.", ref: ref, command: command, context: context),
        ]
    }

    private func moved(_ connection: Connection, _ move: ConnectionMove, line: String) throws -> ConnectionState {
        do throws(ConnectionMoveError) {
            return try connection.state.after(move)
        } catch {
            throw error.commandError(ref: connection.connectionID ?? ConnectionID(0), line: line)
        }
    }

    /// The member named by the arguments: an address, or the owner of a listing.
    private func addressee(_ command: ParsedCommand, ledger: any Ledger) throws -> Member {
        let argument = command.arguments.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map(String.init) ?? ""
        guard !argument.isEmpty else {
            throw CommandError(
                line: command.line, problem: "CONNECT needs to know whom you want to connect with.",
                remedy: "Write the member's address or one of their listings, like CONNECT ann@example.org or CONNECT L-12.")
        }
        if let listingID = ListingID(parsing: argument) {
            guard let listing = try ledger.listing(id: listingID.rawValue), let owner = try ledger.member(id: listing.ownerId)
            else {
                throw CommandError(
                    line: command.line, problem: "There is no listing \(listingID).",
                    remedy: "Send SEARCH to find listings, then CONNECT L-n with one of their numbers.")
            }
            return owner
        }
        guard argument.contains("@"), let member = try ledger.member(email: argument), member.state != .pending else {
            throw CommandError(
                line: command.line, problem: "No member uses the address \"\(argument.prefix(80))\".",
                remedy: "Check the address, or write CONNECT L-n with the number of one of their listings.")
        }
        return member
    }

    /// The optional message: the lines after CONNECT, up to 1,000 characters.
    static func message(_ lines: [String]) -> String? {
        let text = lines.joined(separator: "\n").trimmedOfWhitespace
        return text.isEmpty ? nil : String(text.prefix(1000))
    }
}
