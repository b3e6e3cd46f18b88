/// What the web side needs from the daemon. RefbotHTTP knows nothing of the store: the daemon
/// implements this over its database, its Processor and its health state.
public protocol LinkActions: Sendable {
    /// What following the link `token` would do, without doing it. Throws ``LinkPageError``.
    func describe(token: String) async throws -> LinkDescription
    /// Runs the link's command as a reply by mail from the tag's owner and reports the outcome.
    /// Throws ``LinkPageError``.
    func perform(token: String, reason: String?) async throws -> LinkOutcome
    /// The daemon's health for `/healthz`.
    func health() async -> HealthReport
    /// Prometheus text exposition for `/metrics`.
    func metrics() async -> String
}

/// What a link will do, for the page shown before the click.
public struct LinkDescription: Sendable, Equatable {
    /// The command word: `ACCEPT`, `REJECT`, `STOP`…
    public var word: String
    /// The object acted on (`R-12`), if any.
    public var ref: String?
    /// The member the link acts for.
    public var memberEmail: String
    /// One sentence saying exactly what the click does.
    public var summary: String
    /// Whether the page offers a reason box (REJECT).
    public var asksForReason: Bool
    /// Unix seconds after which the link no longer acts.
    public var expiresAt: Int64

    public init(word: String, ref: String?, memberEmail: String, summary: String, asksForReason: Bool, expiresAt: Int64) {
        self.word = word
        self.ref = ref
        self.memberEmail = memberEmail
        self.summary = summary
        self.asksForReason = asksForReason
        self.expiresAt = expiresAt
    }
}

/// What happened after a click.
public struct LinkOutcome: Sendable, Equatable {
    /// The command word that was run.
    public var word: String
    /// The object acted on, if any.
    public var ref: String?
    /// Whether the daemon finished processing before the page was answered.
    public var finished: Bool
    /// The subject of the answer the daemon mailed, when it finished.
    public var answerSubject: String?
    /// Whether the command was refused (the answer is an error reply saying why).
    public var refused: Bool

    public init(word: String, ref: String?, finished: Bool, answerSubject: String?, refused: Bool = false) {
        self.word = word
        self.ref = ref
        self.finished = finished
        self.answerSubject = answerSubject
        self.refused = refused
    }
}

/// The daemon's health, for `/healthz`.
public struct HealthReport: Sendable, Equatable {
    public var healthy: Bool
    /// Unix seconds of the last poll that reached the IMAP server.
    public var lastGoodPoll: Int64?
    public var outboxDepth: Int
    public var now: Int64

    public init(healthy: Bool, lastGoodPoll: Int64?, outboxDepth: Int, now: Int64) {
        self.healthy = healthy
        self.lastGoodPoll = lastGoodPoll
        self.outboxDepth = outboxDepth
        self.now = now
    }
}
