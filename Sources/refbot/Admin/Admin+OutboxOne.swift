import ArgumentParser
import Foundation
import RefbotDaemon
import RefbotStore

/// What `refbot admin outbox ACTION ID` does to one mail.
enum OneMailAction: String, ExpressibleByArgument, CaseIterable {
    case show, retry, cancel
}

extension Admin {
    /// `refbot admin outbox show|retry|cancel ID [--announcement]`.
    static func oneMail(_ action: OneMailAction, id: Int64, wholeAnnouncement: Bool, store: Store) async throws {
        let now = Int64(Date().timeIntervalSince1970)
        func refuse(_ message: String) throws -> Never {
            printError("error: \(message)")
            throw ExitCode(1)
        }
        switch action {
        case .show:
            let found = try await store.read { db -> (OutboxMessage, Int64?, Bool)? in
                guard let row = try RefbotStore.Outbox.find(id, in: db) else { return nil }
                return (row, try OutboxAdmin.cancelledAt(id, in: db), try OutboxAdmin.isPurged(id, in: db))
            }
            guard let (row, cancelledAt, purged) = found else {
                try refuse("There is no mail \(id) in the outbox. `refbot admin outbox` and `--failed` list them.")
            }
            var state = row.state.rawValue
            if let cancelledAt { state = "cancelled \(AdminTime.text(cancelledAt))" }
            if let sentAt = row.sentAt, row.state == .sent { state = "sent \(AdminTime.text(sentAt))" }
            var lines = [
                "Mail \(id): \(state)",
                "Event:        \(row.event)" + (row.ref.map { " about \($0)" } ?? ""),
                "To:           \(row.recipientList.joined(separator: ", "))",
                "Envelope:     \(row.envelopeFrom)",
                "Message-ID:   <\(row.messageId)>",
                "Queued:       \(AdminTime.text(row.firstQueuedAt))",
                "Attempts:     \(row.attempts)" + (row.state == .pending ? ", next \(AdminTime.text(row.nextAttemptAt))" : ""),
            ]
            if let error = row.lastError { lines.append("Last error:   \(error)") }
            if let inbound = row.inboundId { lines.append("Answers:      inbound mail \(inbound)") }
            lines.append("")
            if purged {
                lines.append("(the body was purged under mail.retention_days or an erasure)")
            } else {
                lines.append(contentsOf: MailHeaderPeek.headerLines(row.raw))
                lines.append("(\(row.raw.count) bytes)")
            }
            for line in lines { print(Admin.printable(line)) }
        case .retry:
            switch try await store.write({ db in try OutboxAdmin.retry(id, now: now, in: db) }) {
            case .done: print("Mail \(id) queued again; a running daemon sends it on its next pass.")
            case .noSuchMail: try refuse("There is no mail \(id) in the outbox. `refbot admin outbox --failed` lists failed mail.")
            case .alreadySent(let at): try refuse("Mail \(id) was sent \(AdminTime.text(at)); there is nothing to retry.")
            case .unchanged: try refuse("Mail \(id) is waiting to be sent already; a running daemon sends it when it is due.")
            case .purged: try refuse("Mail \(id) has no body any more (purged under mail.retention_days or an erasure); it cannot be sent.")
            }
        case .cancel where wholeAnnouncement:
            guard let counts = try await store.write({ db in try OutboxAdmin.cancelAnnouncement(containing: id, now: now, in: db) })
            else {
                try refuse("Mail \(id) is not an announcement's (training.announcement). Cancel it alone without --announcement.")
            }
            print(
                "Cancelled \(counts.cancelled) mail\(counts.cancelled == 1 ? "" : "s") of the announcement not sent yet"
                    + (counts.sent > 0 ? "; \(counts.sent) had been sent already." : "."))
        case .cancel:
            switch try await store.write({ db in try OutboxAdmin.cancel(id, now: now, in: db) }) {
            case .done: print("Mail \(id) cancelled; it will not be sent. `refbot admin outbox retry \(id)` sends it after all.")
            case .noSuchMail: try refuse("There is no mail \(id) in the outbox. `refbot admin outbox` lists the waiting mail.")
            case .alreadySent(let at): try refuse("Mail \(id) was sent \(AdminTime.text(at)); it cannot be cancelled.")
            case .unchanged: try refuse("Mail \(id) is cancelled already.")
            case .purged: try refuse("Mail \(id) has no body any more.")
            }
        }
    }
}

/// The header of raw mail, read leniently (the mail may not parse), unfolded, one field a line.
enum MailHeaderPeek {
    static func headerLines(_ raw: Data, limit: Int = 64 * 1024) -> [String] {
        let text = String(decoding: raw.prefix(limit), as: UTF8.self)
        var fields: [String] = []
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            let line = line.hasSuffix("\r") ? line.dropLast() : line
            if line.isEmpty { break }
            if let first = line.first, first == " " || first == "\t", !fields.isEmpty {
                fields[fields.count - 1] += " " + line.trimmingCharacters(in: .whitespaces)
            } else {
                fields.append(String(line))
            }
        }
        return fields.map { $0.count > 300 ? String($0.prefix(299)) + "…" : $0 }
    }

    /// The value of the first field with that name, or `nil`.
    static func value(_ name: String, in raw: Data) -> String? {
        for field in headerLines(raw) {
            guard let colon = field.firstIndex(of: ":") else { continue }
            if field[..<colon].trimmingCharacters(in: .whitespaces).lowercased() == name.lowercased() {
                return field[field.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
