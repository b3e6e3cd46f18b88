/// Every kind of mail refbot sends. The raw value is the spec's event name, the template file stem
/// in `mail-templates/`, and the `X-Refbot-Event` header value, so one `grep` finds all three.
public enum MailEvent: String, Sendable, Codable, CaseIterable {
    case help = "help"
    case commandError = "command.error"
    case commandDone = "command.done"
    /// To admins: an outbound mail could not be delivered within `smtp.give_up_hours`.
    case deliveryFailed = "delivery.failed"
    /// To admins: an inbound mail could not be handled and was moved to the quarantine folder.
    case messageQuarantined = "message.quarantined"

    /// Whether the mail answers the mail a member just sent (`Auto-Submitted: auto-replied`)
    /// rather than being generated on its own (`auto-generated`), per RFC 3834.
    public var isReply: Bool {
        switch self {
        case .help, .commandError, .commandDone: true
        case .deliveryFailed, .messageQuarantined: false
        }
    }
}
