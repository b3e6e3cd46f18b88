import RefbotMail

/// What the rules decided about an inbound mail before any command is read.
public enum Disposition: Sendable, Equatable {
    /// Read it as a command.
    case command
    /// Never answer it; the string names the rule (`auto-submitted`, `own-address`, …).
    case ignore(rule: String)
    /// A delivery status report for mail refbot sent.
    case bounce(DeliveryStatusReport)

    public static func == (lhs: Disposition, rhs: Disposition) -> Bool {
        switch (lhs, rhs) {
        case (.command, .command): true
        case (.ignore(let a), .ignore(let b)): a == b
        case (.bounce, .bounce): true
        default: false
        }
    }
}

/// One named check on an inbound mail, in the ordered table ``InboundRules/all``.
public struct InboundRule: Sendable {
    /// The rule's name for logs.
    public var name: String
    /// Returns a disposition when the rule applies, nil to pass the mail on.
    public var check: @Sendable (ParsedMessage, EmailAddress) -> Disposition?
}

/// The rules every inbound mail passes, in order; the first that applies decides.
public enum InboundRules {
    public static let all: [InboundRule] = [
        // Mail from refbot's own address (or a VERP address of it): never answer ourselves.
        InboundRule(name: "own-address") { message, bot in
            guard let from = message.from else { return nil }
            if from.address == bot.address { return .ignore(rule: "own-address") }
            if TaggedAddress.tag(of: from, base: bot) != nil { return .ignore(rule: "own-address") }
            return nil
        },
        // A bounce: a DSN (multipart/report) or a text bounce from MAILER-DAEMON.
        InboundRule(name: "dsn-report") { message, _ in
            if let report = DeliveryStatusReport.parse(message), !report.failed.isEmpty { return .bounce(report) }
            return nil
        },
        // Auto-Submitted, Precedence, X-Autoreply, List-Id, null sender, MAILER-DAEMON, out-of-office.
        InboundRule(name: "automated") { message, _ in
            AutoReplySignals.reason(for: message).map { .ignore(rule: $0) }
        },
        // No usable From address: there is no one to answer.
        InboundRule(name: "no-sender") { message, _ in
            message.from == nil ? .ignore(rule: "no-sender") : nil
        },
    ]

    /// The first rule's decision, or `.command`.
    public static func disposition(of message: ParsedMessage, bot: EmailAddress) -> Disposition {
        for rule in all {
            if let disposition = rule.check(message, bot) { return disposition }
        }
        return .command
    }
}
