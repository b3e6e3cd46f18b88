/// `EXPORT`: mails the member their own data as one CSV file (RFC 4180): their profile, listings,
/// referrals sent and received, and connections, one row each with a `section` column.
public struct ExportHandler: CommandHandler {
    public let word = CommandWord.export

    public init() {}

    /// The CSV's columns; each section fills the ones that apply.
    static let columns = [
        "section", "ref", "state", "created", "counterpart", "name", "business", "title", "category", "location",
        "website", "phone", "email", "about", "customer", "need", "reward", "owed", "paid", "won", "reason",
        "credits", "points", "announcements",
    ]

    public func handle(_ command: ParsedCommand, context: CommandContext, ledger: any Ledger) throws -> [Notification] {
        let member = try MemberHandling.member(context, ledger: ledger, line: command.line, allowPending: true)
        let data = try member.id.map { try ledger.exportData(forMember: $0) } ?? MemberExport()
        let csv = Self.csv(member: member, data: data)
        let filename = "refbot-export-\(MemberHandling.date(context.now)).csv"
        return [
            Notification(
                event: .export, to: [context.sender],
                values: [
                    "name": .text(member.name), "filename": .text(filename), "profileCount": 1,
                    "listingCount": .number(Int64(data.listings.count)),
                    "sentCount": .number(Int64(data.referralsSent.count)),
                    "receivedCount": .number(Int64(data.referralsReceived.filter { $0.referral.ownerSeesCustomer }.count)),
                    "connectionCount": .number(Int64(data.connections.count)),
                ],
                quoted: MemberHandling.quoted(command), thread: MemberHandling.thread(context),
                attachments: [
                    .init(filename: filename, contentType: "text/csv; charset=utf-8", data: Array(csv.utf8))
                ])
        ]
    }

    /// The member's data as CSV text, CRLF line ends.
    public static func csv(member: Member, data: MemberExport) -> String {
        var rows: [[String: String]] = []
        rows.append([
            "section": "profile", "ref": member.email, "state": member.state.rawValue,
            "created": MemberHandling.timestamp(member.joinedAt), "name": member.name, "business": member.business ?? "",
            "category": member.category ?? "", "location": member.city ?? "", "website": member.website ?? "",
            "phone": member.phone ?? "", "email": member.email, "about": member.about ?? "",
            "credits": "\(member.credits)", "points": "\(member.points)",
            "announcements": member.announcementsOff ? "off" : "on",
        ])
        for listing in data.listings {
            rows.append([
                "section": "listing", "ref": listing.listingID?.description ?? "", "state": listing.state.rawValue,
                "created": MemberHandling.timestamp(listing.createdAt), "title": listing.title,
                "category": listing.category, "location": listing.location ?? "", "customer": listing.customer,
                "reward": listing.reward.description, "reason": listing.declineReason ?? "",
            ])
        }
        /// The referrer sees the customer as they wrote them; the owner sees exactly what
        /// `referral.received` gave them: contact details only with the customer's consent.
        func referralRow(_ item: MemberExport.ExportedReferral, section: String, contact: Bool) -> [String: String] {
            let referral = item.referral
            return [
                "section": section, "ref": referral.referralID?.description ?? "", "state": referral.state.rawValue,
                "created": MemberHandling.timestamp(referral.createdAt), "counterpart": item.counterpart,
                "title": item.listingTitle, "customer": referral.customerName,
                "email": contact ? referral.customerEmail ?? "" : "",
                "phone": contact ? referral.customerPhone ?? "" : "", "need": referral.need,
                "owed": referral.rewardOwed?.description ?? referral.inKindOwed ?? "",
                "paid": referral.rewardPaid?.description ?? "", "won": referral.wonAmount?.description ?? "",
                "reason": referral.rejectReason ?? referral.lostReason ?? referral.disputeReason ?? "",
            ]
        }
        rows += data.referralsSent.map { referralRow($0, section: "referral sent", contact: true) }
        // A referral not yet delivered to the owner (waiting for AGREE or the customer's YES, or
        // declined by the customer) was never shown to them, so it is not in their export either.
        rows += data.referralsReceived.filter { $0.referral.ownerSeesCustomer }.map {
            referralRow($0, section: "referral received", contact: $0.referral.ownerSeesContactDetails)
        }
        for item in data.connections {
            rows.append([
                "section": "connection", "ref": item.connection.connectionID?.description ?? "",
                "state": item.connection.state.rawValue, "created": MemberHandling.timestamp(item.connection.createdAt),
                "counterpart": item.counterpart, "about": item.requestedByMember ? "you asked" : "they asked",
                "need": item.connection.message ?? "",
            ])
        }
        let lines = [columns.map(field).joined(separator: ",")]
            + rows.map { row in columns.map { field(row[$0] ?? "") }.joined(separator: ",") }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a line break; quotes doubled.
    /// A field that a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or CR first) gets a
    /// leading `'`.
    public static func field(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first), Int(text) == nil {
            text = "'" + text
        }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingAll("\"", with: "\"\"") + "\""
    }
}

extension String {
    /// The string with every `target` replaced (Core has no Foundation).
    fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
        var result = ""
        for character in self {
            if character == target { result += replacement } else { result.append(character) }
        }
        return result
    }
}
