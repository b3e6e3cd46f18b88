/// A value a mail template can show: text, a number, a yes/no, a list or a nested object.
public indirect enum TemplateValue: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    case text(String)
    case number(Int64)
    case flag(Bool)
    case list([TemplateValue])
    case object([String: TemplateValue])

    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .flag(value) }
    public init(integerLiteral value: Int64) { self = .number(value) }
    public init(arrayLiteral elements: TemplateValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}

/// A mail a command handler wants sent. Handlers return these; the daemon renders them from
/// `mail-templates/` and puts them in the outbox in the same transaction as the state change.
///
/// ```swift
/// Notification(event: .help, to: [sender], values: ["commands": .list(rows)])
/// ```
public struct Notification: Sendable, Equatable {
    /// What kind of mail this is (its template and `X-Refbot-Event`).
    public var event: MailEvent
    /// Recipient addresses.
    public var to: [String]
    /// The object the mail is about (`R-12`), for `X-Refbot-Ref` and the subject.
    public var ref: String?
    /// When the mail expects an answer: the tag of the reply address (`referrals+TAG@…`).
    public var replyTag: String?
    /// The values the template shows.
    public var values: [String: TemplateValue]
    /// The lines of the member's mail this answers, quoted back as a transcript.
    public var quoted: [String]
    /// Message-IDs (without angle brackets) this mail follows, oldest first, for threading.
    public var thread: [String]
    /// Files to attach.
    public var attachments: [Attachment]
    /// Reply words the mail offers as buttons (`["ACCEPT", "REJECT"]`; needs `replyTag`): each gets a
    /// `mailto:` link and a signed web link in the template's `actionLinks`.
    public var actions: [String]

    /// A file attached to a notification.
    public struct Attachment: Sendable, Equatable {
        public var filename: String
        public var contentType: String
        public var data: [UInt8]
        public init(filename: String, contentType: String, data: [UInt8]) {
            self.filename = filename
            self.contentType = contentType
            self.data = data
        }
    }

    public init(
        event: MailEvent, to: [String], ref: String? = nil, replyTag: String? = nil,
        values: [String: TemplateValue] = [:], quoted: [String] = [], thread: [String] = [],
        attachments: [Attachment] = [], actions: [String] = []
    ) {
        self.event = event
        self.to = to
        self.ref = ref
        self.replyTag = replyTag
        self.values = values
        self.quoted = quoted
        self.thread = thread
        self.attachments = attachments
        self.actions = actions
    }
}
