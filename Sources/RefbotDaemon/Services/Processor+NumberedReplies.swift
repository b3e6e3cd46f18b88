import GRDB
import Logging
import RefbotCore
import RefbotMail
import RefbotStore

/// A reply to a dashboard or digest that acts on several of its numbered items at once
/// (`1 ACCEPT`, `2 REJECT not my area`, `3 WON $1,200`, one per line, any order).
///
/// Each line runs as the command it names, sent to the reply address of the item it numbers: the
/// item's own tag proves it (made for this member, about that object, scoped to the words the item
/// offers, dead once the object closes), exactly as a reply to the single notification would be.
/// Each line runs in its own savepoint inside the mail's one transaction: a line that fails leaves
/// no trace and does not stop the others. The mail the actions cause to other members is queued as
/// usual; the member gets one `command.done` that lists the result of every line.
///
/// A reply whose `From:` is not the member the mail was made for (a forwarded digest, a forged
/// `From:`), with no trusted DMARC or DKIM pass either, acts on nothing: it is held and the `From:`
/// address is asked to CONFIRM, as any unproven command is.
extension Processor {
    /// What one numbered line came to.
    struct NumberedResult {
        var line: String
        var done: Bool
        var text: String
        var remedy: String?
    }

    /// The numbered lines of a reply to a mail with numbered items, or `nil` when it is not one.
    func numberedReply(newText: String, tagHash: String?, in db: Database) throws -> NumberedReply.Parsed? {
        guard let tagHash, let parsed = NumberedReply.parse(newText) else { return nil }
        let ledger = StoreLedger(db)
        if try ledger.digestItemCount(mailTagHash: tagHash) > 0 { return parsed }
        // A dashboard or digest that listed nothing: answered, not read as a command it is not.
        guard let tag = try ledger.replyTag(hash: tagHash),
            tag.action == WaitingItems.mailAction || tag.action == MemberHandling.unsubscribeAction
        else { return nil }
        return parsed
    }

    /// Handles a numbered reply in the mail's transaction: holds it when the sender is not proven,
    /// or runs every line; queues the answers and marks the row done.
    func handleNumberedReply(
        _ parsed: NumberedReply.Parsed, id: Int64, row: InboundMessage, message: ParsedMessage, sender: EmailAddress,
        context: CommandContext, evidence: SenderAuthentication.Evidence, answers: ReplyBudget.Verdict,
        budget: ReplyBudget, historyMark: Int64, now: Int64, in db: Database
    ) throws -> ProcessOutcome {
        let ledger = StoreLedger(db)
        guard let mailTagHash = context.tag else { return .failed }
        let synthetic = Self.heldForm(parsed)
        try refuseIfSuspended(synthetic, member: try ledger.member(email: sender.address), context: context, inboundId: id)
        let mailTag = try ledger.replyTag(hash: mailTagHash)
        let ownTag = mailTag.map { Member.sameEmail($0.memberEmail, Member.normalizedEmail(sender.address)) && $0.isLive(at: now) }
            ?? false
        var notifications: [Notification]
        let disposition: String
        if !ownTag && SenderAuthentication.proof(evidence: evidence) == nil {
            // Not the member the mail was made for, or a tag past its life: the From: address confirms first.
            let reason = mailTag.map { tag in
                !Member.sameEmail(tag.memberEmail, Member.normalizedEmail(sender.address))
                    ? "tag of another address" : tag.revokedAt != nil ? "tag revoked" : "tag expired"
            } ?? "unknown tag"
            let recent = try ledger.heldCommandCount(sender: sender.address, since: now - 3600)
            guard recent < configuration.mail.errorRepliesPerHour else {
                tallies.record(id, synthetic.word.rawValue, .withheld)
                try InboundQueue.markIgnored(id, rule: "held-rate-limit", now: now, in: db)
                logger.notice(
                    "Confirmation withheld", metadata: ["inbound.id": "\(id)", "rule": "held-rate-limit", "member.email": "\(sender.address)"])
                return .ignored
            }
            notifications = [try ConfirmHandler.hold(synthetic, inboundId: id, context: context, ledger: ledger)]
            disposition = "held"
            tallies.record(id, synthetic.word.rawValue, .held)
            logger.info(
                "Command held for confirmation",
                metadata: [
                    "inbound.id": "\(id)", "command": "numbered", "member.email": "\(sender.address)",
                    "lines": "\(parsed.lines.count)", "reason": "\(reason)",
                ])
        } else {
            notifications = try runNumbered(parsed, mailTagHash: mailTagHash, inboundId: id, context: context, in: db)
            disposition = "numbered"
            tallies.record(id, synthetic.word.rawValue, .executed)
        }
        try LedgerHistory.stamp(
            actor: Member.normalizedEmail(sender.address),
            method: row.uidValidity == LinkActionRunner.linkUIDValidity ? .link : .mail, inboundId: id, after: historyMark,
            in: db)
        try budget.spend(answers, on: notifications, now: now, in: db)
        for (index, notification) in notifications.enumerated() {
            try enqueue(notification, unique: "in\(id).\(index)", inboundId: id, now: now, in: db)
        }
        try InboundQueue.markDone(id, disposition: disposition, now: now, in: db)
        return .done(queued: notifications.count)
    }

    /// The held form of a numbered reply: its lines as one command, so the confirmation shows them all.
    static func heldForm(_ parsed: NumberedReply.Parsed) -> ParsedCommand {
        let lines = parsed.lines.map(\.line)
        return ParsedCommand(
            word: parsed.lines.first?.word ?? .status, arguments: "", line: lines.first ?? "",
            followingLines: Array(lines.dropFirst()), source: .body)
    }

    /// Runs every numbered line for `context.sender` (proven: the mail's own tag, a trusted pass,
    /// or a confirmation); returns the mail to queue: what the actions cause, and one `command.done`.
    func runNumbered(
        _ parsed: NumberedReply.Parsed, mailTagHash: String, inboundId: Int64, context: CommandContext, in db: Database
    ) throws -> [Notification] {
        let ledger = StoreLedger(db)
        let listed = try ledger.digestItemCount(mailTagHash: mailTagHash)
        var outgoing: [Notification] = []
        var results: [NumberedResult] = []
        for line in parsed.lines {
            let result: NumberedResult
            do {
                let (produced, text) = try runLine(line, mailTagHash: mailTagHash, listed: listed, context: context, in: db)
                outgoing += produced
                result = NumberedResult(line: line.line, done: true, text: text)
                logger.info(
                    "Command executed",
                    metadata: [
                        "inbound.id": "\(inboundId)", "command": "\(line.word?.rawValue ?? "-")", "item": "\(line.number)",
                        "member.email": "\(context.sender)", "auth": "item tag",
                    ])
            } catch let error as CommandError {
                result = NumberedResult(line: line.line, done: false, text: error.problem, remedy: error.remedy)
                logger.info(
                    "Command refused",
                    metadata: [
                        "inbound.id": "\(inboundId)", "command": "\(line.word?.rawValue ?? "-")", "item": "\(line.number)",
                        "member.email": "\(context.sender)", "error": "\(error.problem)",
                    ])
            }
            results.append(result)
        }
        outgoing.append(Self.summary(results, parsed: parsed, context: context))
        return outgoing
    }

    /// Runs one line in its own savepoint; returns the mail it causes to others and what was done.
    private func runLine(
        _ line: NumberedLine, mailTagHash: String, listed: Int, context: CommandContext, in db: Database
    ) throws -> ([Notification], String) {
        let ledger = StoreLedger(db)
        guard let item = try ledger.digestItem(mailTagHash: mailTagHash, number: line.number) else {
            throw CommandError(
                line: line.line,
                problem: listed == 0
                    ? "The mail you replied to listed no numbered items, so there is no item \(line.number)."
                    : "The mail you replied to has no item \(line.number): it listed items 1 to \(listed).",
                remedy: "Use a number from the mail you are replying to, or send STATUS for a fresh numbered list.")
        }
        guard let word = line.word, item.words.contains(word) else {
            let takes = item.words.isEmpty
                ? "Item \(line.number) is news and takes no word."
                : "Item \(line.number) (\(item.ref)) takes \(Self.wordList(item.words)), not \(line.wordText.uppercased())."
            throw CommandError(
                line: line.line, problem: takes,
                remedy: item.words.isEmpty
                    ? "Nothing to do for it; leave it out of your reply."
                    : "Write \(item.words.map { "\(line.number) \($0.rawValue)" }.joined(separator: " or ")) on its own line.")
        }
        var arguments = line.arguments
        let (named, rest) = Self.leadingRef(arguments)
        if let named {
            guard named.description == item.ref else {
                throw CommandError(
                    line: line.line, problem: "Item \(line.number) is \(item.ref), not \(named).",
                    remedy: "Check the number in the mail you are replying to, or write \(word.rawValue) \(named) in a mail of its own.")
            }
            arguments = rest
        }
        var lineContext = context
        lineContext.tag = item.itemTagHash
        if let hash = item.itemTagHash {
            guard let tag = try ledger.replyTag(hash: hash) else {
                throw CommandError(
                    line: line.line, problem: "Item \(line.number) can no longer be answered from this mail.",
                    remedy: "Send STATUS for a fresh numbered list.")
            }
            guard Member.sameEmail(tag.memberEmail, Member.normalizedEmail(context.sender)) else {
                throw CommandError(
                    line: line.line,
                    problem: "Item \(line.number) was listed for another member, so we did not act on it.",
                    remedy: "Answer from the address the mail went to, or send STATUS for your own list.")
            }
            if let revokedAt = tag.revokedAt {
                throw CommandError(
                    line: line.line,
                    problem: "\(item.ref) has moved on since that mail (on \(WaitingItems.day(revokedAt))): it closed, or you answered it already.",
                    remedy: "Send STATUS to see what still waits on you.")
            }
            guard context.now < tag.expiresAt else {
                throw CommandError(
                    line: line.line, problem: "Item \(line.number) of that mail expired on \(WaitingItems.day(tag.expiresAt)).",
                    remedy: "Send STATUS for a fresh numbered list.")
            }
            lineContext.isAuthenticated = true
        } else if SenderAuthentication.needsProof(word) {
            // Only read-only words go without an item tag (news: SHOW).
            throw CommandError(
                line: line.line, problem: "Item \(line.number) takes no \(word.rawValue).",
                remedy: "Send STATUS for a fresh numbered list.")
        }
        let command = ParsedCommand(
            word: word, arguments: arguments.isEmpty ? item.ref : "\(item.ref) \(arguments)", line: line.line,
            followingLines: [], source: .body)
        let handler = try router.handler(for: command)
        var produced: [Notification] = []
        try db.inSavepoint {
            produced = try handler.handle(command, context: lineContext, ledger: ledger)
            return .commit
        }
        // The sender's own answer becomes this line's result; mail to anyone else goes out as usual.
        var texts: [String] = []
        var others: [Notification] = []
        for notification in produced {
            let toSender = notification.to.count == 1 && Member.sameEmail(notification.to[0], Member.normalizedEmail(context.sender))
            if toSender, notification.event == .commandDone {
                if case .text(let summary)? = notification.values["summary"] { texts.append(summary) }
                if case .text(let detail)? = notification.values["detail"] {
                    // "Reply … to this mail" speaks of a mail the member does not get here.
                    texts += detail.split(separator: "\n").map(String.init).filter { !$0.hasPrefix("Reply ") }
                }
            } else if toSender, notification.event == .referralUpdated, notification.quoted == [line.line],
                case .text(let headline)? = notification.values["headline"]
            {
                texts.append(headline + ".")
            } else {
                others.append(notification)
                if toSender { texts.append("We sent you the answer in its own mail.") }
            }
        }
        return (others, texts.isEmpty ? "\(word.rawValue) \(item.ref): done." : texts.joined(separator: " "))
    }

    /// The one `command.done` that lists every line's result.
    static func summary(_ results: [NumberedResult], parsed: NumberedReply.Parsed, context: CommandContext) -> Notification {
        let done = results.filter(\.done).count
        let summary =
            done == results.count
            ? (results.count == 1 ? "the line of your reply was carried out" : "all \(results.count) lines of your reply were carried out")
            : "\(done) of the \(results.count) lines of your reply \(done == 1 ? "was" : "were") carried out"
        var notes: [String] = []
        if parsed.skipped > 0 {
            notes.append(
                "We read the first \(NumberedReply.maxLines) numbered lines; the other \(parsed.skipped) were not carried out. "
                    + "Send them in another reply, at most \(NumberedReply.maxLines) lines at a time.")
        }
        if !parsed.unnumbered.isEmpty {
            notes.append(
                "These lines have no item number, so we did not act on them: "
                    + parsed.unnumbered.map { "\"\(MailComposer.shortened($0, limit: 80))\"" }.joined(separator: ", ")
                    + ". Put the item's number first, like 1 ACCEPT.")
        }
        if done < results.count || !notes.isEmpty {
            notes.append("Send STATUS for a fresh numbered list of what still waits on you.")
        }
        var values: [String: TemplateValue] = [
            "summary": .text(String(summary.prefix(1)).uppercased() + String(summary.dropFirst()) + "."),
            "results": .list(
                results.map { result in
                    var entry: [String: TemplateValue] = [
                        "line": .text(MailComposer.shortened(result.line, limit: 200)), "done": .flag(result.done),
                        "text": .text(result.text),
                    ]
                    if let remedy = result.remedy { entry["remedy"] = .text(remedy) }
                    return .object(entry)
                }),
            "hasResults": .flag(!results.isEmpty),
        ]
        if !notes.isEmpty { values["detail"] = .text(notes.joined(separator: "\n")) }
        return Notification(
            event: .commandDone, to: [context.sender], values: values, thread: context.messageID.map { [$0] } ?? [])
    }

    /// `ACCEPT or REJECT`, `CONTACTED, WON or LOST`.
    static func wordList(_ words: [CommandWord]) -> String {
        let all = words.map(\.rawValue)
        guard let last = all.last else { return "no word" }
        return all.count == 1 ? last : all.dropLast().joined(separator: ", ") + " or " + last
    }

    /// A reference at the start of a line's arguments (`R-12 too far`) and the rest.
    static func leadingRef(_ arguments: String) -> (ObjectRef?, String) {
        let parts = arguments.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = parts.first, let ref = ObjectRef(parsing: first) else { return (nil, arguments) }
        return (ref, parts.count > 1 ? String(parts[1]) : "")
    }
}
