/// `ANNOUNCE` (admins): a training announcement (Title*, Link, then the text) to every active
/// member who has not sent STOP, each with a tagged unsubscribe address; the admin gets
/// `command.done` with the count.
public struct AnnounceHandler: CommandHandler {
    public let word = CommandWord.announce

    public init() {}

    /// Days an announcement's unsubscribe address keeps working.
    public static let unsubscribeDays: Int64 = 365

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        try MemberHandling.requireAdmin(context, word: word, line: command.line)
        let form = try FormFields.parse(lines: MemberHandling.formLines(command), spec: .announce, line: command.line).get()
        let body = form.text
        guard !body.isEmpty else {
            throw CommandError(
                line: command.line, problem: "The announcement has a title but no text.",
                remedy: "Leave a blank line after the Title: and Link: lines, then write the text.")
        }
        let title = form["title"] ?? ""
        let mails = try Self.announcements(
            title: title, link: form["link"], body: body, bounceLimit: context.settings.bounceLimit, ledger: ledger,
            now: context.now)
        let detail = mails.isEmpty
            ? "No member gets announcements right now (every member is new, has left, has sent STOP or bounces)."
            : "Each member can reply STOP to stop them."
        return [
            MemberHandling.done(
                command, context: context,
                summary: "Announcement \"\(title)\" queued for \(MemberHandling.count(mails.count, "member")).",
                detail: detail)
        ] + mails
    }

    /// Records the announcement and makes one `training.announcement` per member who gets them
    /// (active, no STOP, mail not bouncing `bounceLimit` times). The admin CLI uses it too, so both
    /// paths send the same mail.
    public static func announcements(
        title: String, link: String?, body: String, bounceLimit: Int, ledger: any Ledger, now: Int64
    ) throws -> [Notification] {
        let members = try ledger.membersReceivingAnnouncements().filter {
            bounceLimit <= 0 || !$0.isBouncing(limit: bounceLimit)
        }
        var mails: [Notification] = []
        mails.reserveCapacity(members.count)
        for member in members {
            let tag = try ledger.makeReplyTag(
                for: member.email, action: MemberHandling.unsubscribeAction, ref: nil, now: now,
                expiresAt: now + unsubscribeDays * NetworkSettings.secondsPerDay)
            var values: [String: TemplateValue] = [
                "name": .text(member.name), "title": .text(title), "body": .text(body),
            ]
            if let link, !link.isEmpty { values["link"] = .text(link) }
            mails.append(Notification(event: .trainingAnnouncement, to: [member.email], replyTag: tag.token, values: values, actions: ["STOP"]))
        }
        _ = try ledger.recordAnnouncement(title: title, link: link, body: body, sentCount: mails.count, now: now)
        return mails
    }
}
