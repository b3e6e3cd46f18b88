/// ACCEPT or REJECT of a connection request (`C-n`), by the member who was asked.
enum ConnectionAnswer {
    /// The connection the command is about, when it names one (`ACCEPT C-3`) or came to a
    /// connection request's reply address; `nil` when it is about a referral.
    static func target(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws
        -> (ConnectionID, rest: String)?
    {
        let (ref, rest) = ReferralDesk.leadingRef(command.arguments)
        switch ref {
        case .connection(let id)?: return (id, rest)
        case .referral?, .listing?: return nil
        case nil: break
        }
        let tag = try ReferralDesk.tag(ledger, context, line: command.line)
        if let tag, tag.action == ReplyAction.connectionAddressee, let id = tag.ref.flatMap(ConnectionID.init(parsing:)) {
            return (id, rest)
        }
        if tag == nil, ref == nil {
            throw CommandError(
                line: command.line, problem: "\(command.word) needs to know which referral or connection request you mean.",
                remedy: "Reply to the mail about it, or write the reference, like \(command.word) R-12 or \(command.word) C-3.")
        }
        return nil
    }

    static func answer(
        _ move: ConnectionMove, id: ConnectionID, rest: String, command: ParsedCommand, context: CommandContext,
        ledger: any Ledger
    ) throws -> [Notification] {
        let line = command.line
        let member = try ReferralDesk.activeMember(ledger, context, line: line)
        guard var connection = try ledger.connection(id: id.rawValue) else {
            throw CommandError(
                line: line, problem: "There is no connection request \(id).",
                remedy: "Check the number in the subject of the request.")
        }
        guard connection.addresseeId == member.id else {
            throw CommandError(
                line: line, problem: "Only the member who was asked can answer \(id).",
                remedy: connection.requesterId == member.id
                    ? "You sent this request; we will tell you when they answer." : "Send STATUS to see what waits on you.")
        }
        do throws(ConnectionMoveError) {
            connection.state = try connection.state.after(move)
        } catch {
            throw error.commandError(ref: id, line: line)
        }
        connection.decidedAt = context.now
        try ledger.save(&connection)
        guard let requester = try ledger.member(id: connection.requesterId) else { return [] }
        let ref = id.description
        var values: [String: TemplateValue] = [
            "requesterName": .text(requester.name), "addresseeName": .text(member.displayName),
            "addresseeEmail": .text(member.email),
        ]
        let thread = try ReferralDesk.thread(ledger, ref: ref)
        if move == .accept {
            return [
                Notification(event: .connectionAccepted, to: [requester.email], ref: ref, values: values, thread: thread),
                ReferralDesk.done(
                    "You and \(requester.displayName) are now connected (\(ref)).",
                    detail: "You can now send each other referrals with REFER L-n.", ref: ref, command: command,
                    context: context, thread: thread),
            ]
        }
        if let reason = ReferralDesk.reason(rest: rest, following: command.followingLines) {
            values["reason"] = .text(reason)
        }
        return [
            Notification(event: .connectionRejected, to: [requester.email], ref: ref, values: values, thread: thread),
            ReferralDesk.done(
                "You turned down \(requester.displayName)'s request to connect (\(ref)).", ref: ref, command: command,
                context: context, thread: thread),
        ]
    }
}
