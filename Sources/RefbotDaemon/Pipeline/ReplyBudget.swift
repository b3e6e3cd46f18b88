import GRDB
import RefbotCore
import RefbotStore

/// Caps the automatic answers refbot sends to addresses that are not proven members (spec §2).
///
/// `From:` can be forged, so every answer to an address nobody has proven (HELP, SEARCH, SHOW,
/// STATUS, a `member.confirm` for JOIN, a `command.confirm` for a held command, a `command.error`)
/// may land on a stranger who never wrote. Two caps keep refbot from being turned on someone:
///
/// - `mail.replies_per_address_per_hour` (default 5) answers to one address an hour, counted on
///   the address lower-cased with any `+suffix` removed from the local part, so
///   `Carol+x@Example.org` and `carol@example.org` are one mailbox and share one count;
/// - `mail.unproven_replies_per_hour` (default 200) answers to all unproven addresses together.
///
/// The check comes before the command runs: a mail over a cap is marked ignored with the cap's
/// rule (`reply-cap`, `reply-cap-global`), logged, and does nothing at all, so no state changes
/// without the answer that tells of it. A proven member or admin (a member or `bot.admins` address
/// whose mail carries a live tag of theirs or a trusted DMARC/DKIM pass) is not counted, nor is
/// anyone answering a live tag of their own (refbot asked that address for the answer).
/// `mail.error_replies_per_hour` still caps `command.error` replies to any one sender on top.
struct ReplyBudget {
    /// `mail.replies_per_address_per_hour`.
    let perAddress: Int
    /// `mail.unproven_replies_per_hour`.
    let unproven: Int

    /// The rule a mail over the per-address cap is ignored under.
    static let perAddressRule = "reply-cap"
    /// The rule a mail over the cap for all unproven addresses is ignored under.
    static let globalRule = "reply-cap-global"

    init(configuration: Configuration) {
        perAddress = configuration.mail.repliesPerAddressPerHour
        unproven = configuration.mail.unprovenRepliesPerHour
    }

    /// What the budget says about answering one inbound mail.
    enum Verdict: Sendable, Equatable {
        /// The sender is a proven member or admin: answers are not counted.
        case proven
        /// Unproven and within both caps: answer, and count the answers under `key`.
        case allowed(key: String)
        /// Unproven and over a cap: no answer, and the command does not run.
        case withheld(rule: String)
    }

    /// The form an address is counted in: trimmed, lower-cased, without the `+suffix` of its
    /// local part (`Carol+news@Example.org` → `carol@example.org`). Counting folds case the Unicode
    /// way, wider than the ASCII-only folding that tells members apart: a mail server that folds
    /// a KELVIN SIGN to `k` may deliver both to one mailbox, and one count too many is harmless.
    static func countingKey(_ address: String) -> String {
        let normal = Member.normalizedEmail(address).lowercased()
        guard let at = normal.lastIndex(of: "@") else { return normal }
        let local = normal[..<at]
        guard let plus = local.firstIndex(of: "+"), plus > local.startIndex else { return normal }
        return String(local[..<plus]) + String(normal[at...])
    }

    /// Whether the sender's answers go uncounted: something in the mail proves the address
    /// (`proof`) and the sender is a member who has not left or an admin; or the mail answers a
    /// live tag of the sender's own, which refbot mailed to that very address to ask for this
    /// answer (a customer's YES, a CONFIRM).
    static func isProvenMember(member: Member?, isAdmin: Bool, proof: SenderAuthentication.Proof?) -> Bool {
        guard let proof else { return false }
        if proof == .ownedTag || isAdmin { return true }
        guard let member else { return false }
        return member.state != .left
    }

    /// Whether refbot may answer `sender` now.
    func verdict(sender: String, proven: Bool, now: Int64, in db: Database) throws -> Verdict {
        if proven { return .proven }
        let key = Self.countingKey(sender)
        let since = now - 3600
        if try UnprovenReplyLog.count(address: key, since: since, upTo: perAddress, in: db) >= perAddress {
            return .withheld(rule: Self.perAddressRule)
        }
        if try UnprovenReplyLog.reached(unproven, since: since, in: db) {
            return .withheld(rule: Self.globalRule)
        }
        return .allowed(key: key)
    }

    /// Counts each of `notifications` that goes to the sender's mailbox; returns how many.
    @discardableResult
    func spend(_ verdict: Verdict, on notifications: [Notification], now: Int64, in db: Database) throws -> Int {
        guard case .allowed(let key) = verdict else { return 0 }
        var spent = 0
        for notification in notifications where notification.to.contains(where: { Self.countingKey($0) == key }) {
            try UnprovenReplyLog.record(address: key, event: notification.event.rawValue, now: now, in: db)
            spent += 1
        }
        return spent
    }
}
