/// What a reply tag proves (spec §2 path 1): the command words its mail offered, on that mail's
/// object. A tagged reply outside this scope proves nothing, and a state-changing command in it
/// takes the confirmation round trip (path 3).
///
/// | tag action (its ref)              | words it proves                                  |
/// | --------------------------------- | ------------------------------------------------ |
/// | `referral.owner` (R-n)            | ACCEPT REJECT CONTACTED WON LOST PAID            |
/// | `referral.referrer` (R-n)         | RECEIVED DISPUTE; REFER L-m (redirects that R-n) |
/// | `connection.addressee` (C-n)      | ACCEPT REJECT                                    |
/// | `agreement.referrer` (L-n)        | AGREE                                            |
/// | `listing.review` (L-n, an admin)  | APPROVE DECLINE FEATURE                          |
/// | `listing.owner` (L-n)             | CLOSE                                            |
/// | `customer.consent` (R-n)          | YES NO                                           |
/// | `member.confirm`, `confirm`       | CONFIRM                                          |
/// | `unsubscribe` (announcement, digest) | STOP                                          |
/// | `unsubscribe` (recognition)       | STOP RECOGNITION                                 |
/// | `member.probe` (bounce probe)     | none; any reply clears the member's bounces      |
/// | `digest.items` (dashboard)        | none itself; `1 ACCEPT` lines, each proven by its item's own tag |
///
/// A command that names an object (`ACCEPT R-7`) is in scope only when that is the tag's own
/// object; REFER names the listing the customer goes to, so it may name any.
public enum ReplyScope {
    /// The words each tag action proves.
    public static let words: [String: Set<CommandWord>] = [
        "referral.owner": [.accept, .reject, .contacted, .won, .lost, .paid],
        "referral.referrer": [.received, .dispute, .refer],
        "connection.addressee": [.accept, .reject],
        "agreement.referrer": [.agree],
        "listing.review": [.approve, .decline, .feature],
        "listing.owner": [.close],
        "customer.consent": [.yes, .no],
        "member.confirm": [.confirm],
        "confirm": [.confirm],
        "unsubscribe": [.stop, .recognition],
        // Any reply to a bounce probe proves the address receives mail (the daemon clears the
        // member's bounces before reading a command); it proves no command.
        "member.probe": [],
        // A dashboard's own address proves nothing by itself: each numbered line (`2 REJECT`) is
        // proven by the tag of the item it names (a digest's address is an `unsubscribe` one).
        "digest.items": [],
    ]

    /// Why the tag does not prove this command, or `nil` when it does.
    public static func refusal(_ command: ParsedCommand, tag: ReplyTag) -> String? {
        guard let allowed = words[tag.action], allowed.contains(command.word) else {
            return "\(command.word.rawValue) is not one of the words a \(tag.action) tag proves"
        }
        if command.word == .refer { return nil }
        let first = command.arguments.split(whereSeparator: { $0 == " " || $0 == "\t" }).first
        if let first, let named = ObjectRef(parsing: first), named.description != tag.ref {
            return "\(command.word.rawValue) names \(named), and the tag is for \(tag.ref ?? "no object")"
        }
        return nil
    }

    /// Whether the tag proves this command.
    public static func covers(_ command: ParsedCommand, tag: ReplyTag) -> Bool { refusal(command, tag: tag) == nil }
}
