/// What a handler knows about the mail it is acting on.
public struct CommandContext: Sendable, Equatable {
    /// The sender's address, lowercased.
    public var sender: String
    /// The sender's display name, if the mail gave one.
    public var senderName: String?
    /// Whether the sender is one of `bot.admins`.
    public var isAdmin: Bool
    /// Whether the sender is proven to own the address (tagged reply, DMARC pass, or confirmation).
    public var isAuthenticated: Bool
    /// The tag of the address the mail came to (`referrals+TAG@…`), if any.
    public var tag: String?
    /// The Message-ID of the mail (without angle brackets), for threading the answer.
    public var messageID: String?
    /// The current time, Unix seconds. Handlers never read a clock.
    public var now: Int64
    /// The network's settings (`[network]`, `[links]`, `[mail]`).
    public var settings: NetworkSettings
    /// The network's name and the admins' addresses, for mail that names them.
    public var botName: String
    public var admins: [String]
    /// What a trusted `Authentication-Results` header said about the mail (`dmarc=pass`), if anything;
    /// kept as evidence when a referrer AGREEs.
    public var authVerdict: String?

    public init(
        sender: String, senderName: String? = nil, isAdmin: Bool = false, isAuthenticated: Bool = false,
        tag: String? = nil, messageID: String? = nil, now: Int64, settings: NetworkSettings = NetworkSettings(),
        botName: String = "", admins: [String] = [], authVerdict: String? = nil
    ) {
        self.authVerdict = authVerdict
        self.settings = settings
        self.botName = botName
        self.admins = admins
        self.sender = sender
        self.senderName = senderName
        self.isAdmin = isAdmin
        self.isAuthenticated = isAuthenticated
        self.tag = tag
        self.messageID = messageID
        self.now = now
    }
}
