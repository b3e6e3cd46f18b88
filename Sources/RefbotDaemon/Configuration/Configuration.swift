import RefbotCore
import RefbotTransport

/// Everything refbot reads from its TOML file (spec §8), with secrets resolved.
/// Properties mirror the keys: `imap.poll_seconds` is `configuration.imap.pollSeconds`.
public struct Configuration: Sendable, Equatable {
    /// `[bot]`
    public struct Bot: Sendable, Equatable {
        public var address = ""
        public var name = "Referral Network"
        public var baseURL = "http://127.0.0.1:8080"
        public var admins: [String] = []
        public var database = "/var/lib/refbot/refbot.sqlite"
        public var templates = "/usr/share/refbot/mail-templates"
        public var secretFile = "/var/lib/refbot/secret"
        /// `microsoft365`, `google`, `fastmail` or empty: the ``ProviderPreset`` whose values fill
        /// the keys the file leaves out.
        public var provider = ""
    }

    /// `[imap]`
    public struct IMAP: Sendable, Equatable {
        public var url = ""
        public var username = ""
        public var password = ""
        /// The file the password was read from (empty when it came from the environment).
        public var passwordFile = ""
        public var pollSeconds = 30
        public var processedFolder = "Processed"
        public var quarantineFolder = "Quarantine"
        public var caFile = ""
        public var tlsVerify = true
        /// Require STARTTLS on `imap://` URLs.
        public var starttls = true
        /// More folders read with the same rules as the inbox (the provider's junk folder); what
        /// refbot acts on there is moved out to the processed folder.
        public var alsoPoll: [String] = []
        /// Whether the file names `imap.processed_folder`; when it does not, refbot files into the
        /// server's `\Archive` folder where it lists one (``FolderResolution``).
        public var processedFolderIsSet = false
        /// `password`, or an OAuth2 access token from `[oauth]` (`xoauth2`, `oauthbearer`).
        public var auth: MailAuthMechanism = .password
    }

    /// `[smtp]`
    public struct SMTP: Sendable, Equatable {
        public var url = ""
        public var username = ""
        public var password = ""
        /// The file the password was read from (empty when it came from the environment).
        public var passwordFile = ""
        public var giveUpHours = 48
        public var caFile = ""
        public var tlsVerify = true
        /// Require STARTTLS on `smtp://` URLs.
        public var starttls = true
        /// The name given in EHLO; defaults to the domain of `bot.address`.
        public var heloName = ""
        /// The shortest and longest wait before retrying a deferred mail (Postfix's
        /// minimal_backoff_time and maximal_backoff_time).
        public var minBackoffSeconds = 300
        public var maxBackoffSeconds = 3600
        /// The most recipients refbot hands the server in any 60 seconds; 0 is no limit (``SendingLimits``).
        public var maxPerMinute = 0
        /// The most recipients refbot hands the server in any 24 hours; 0 is no limit.
        public var maxPerDay = 0
        /// `password`, or an OAuth2 access token from `[oauth]` (`xoauth2`, `oauthbearer`).
        public var auth: MailAuthMechanism = .password
        /// The most SMTP sessions the Sender keeps open at once: a deep outbox goes out over this
        /// many, each recipient's mail in order on one of them (``Sender/lanes(for:count:)``).
        public var maxConnections = 2
    }

    /// `[http]`
    public struct HTTP: Sendable, Equatable {
        public var listen = "127.0.0.1:8080"
        /// Networks of the reverse proxies whose `X-Forwarded-For` names the client (CIDRs).
        public var trustedProxies: [String] = []
        /// Where `/metrics` (and an unlimited `/healthz`) listen; empty: nowhere.
        public var metricsListen = "127.0.0.1:9464"
    }

    /// `[auth]`
    public struct Auth: Sendable, Equatable {
        public var trustedAuthservID = ""
    }

    /// `[network]`
    public struct Network: Sendable, Equatable {
        public var startingCredits = 10
        public var pointsPerCredit = 1
        public var currency = "USD"
        public var referralExpiryDays = 14
        public var staleAfterDays = 10
        public var autoApproveListings = false
        public var customerConsent = "referrer"
        public var maxReferralsPerDay = 20
        public var maxConnectRequestsPerDay = 20
        /// Days between digests (the dashboard mailed to each member who has not sent STOP); 0 is off.
        public var digestDays = 0
        /// Whole units of `currency`: `refbot admin payouts` flags payees paid this much or more in
        /// a year (600 is the US 1099-NEC line).
        public var payoutReportThreshold = 600
        /// How many members each list of the monthly recognition mail names; 0 turns the mail off.
        public var recognitionTop = 5
    }

    /// `[links]`
    public struct Links: Sendable, Equatable {
        public var expiryDays = 14
    }

    /// `[health]`
    public struct Health: Sendable, Equatable {
        public var maxPollAgeSeconds = 600
    }

    /// `[mail]`
    public struct Mail: Sendable, Equatable {
        public var bounceLimit = 3
        public var errorRepliesPerHour = 5
        /// Inbound mail larger than this many bytes is quarantined unread.
        public var maxMessageBytes = 10 << 20
        /// Announcements go out at most this many a minute (queued with staggered send times).
        public var announcementRatePerMinute = 60
        /// Raw inbound mail and rendered outbound bodies are purged this many days after they are
        /// done (acted on and filed; sent or given up); 0 keeps them. Ledger rows stay.
        public var retentionDays = 30
        /// Automatic answers to one address that is not a proven member, an hour (counted on the
        /// address lower-cased with any `+suffix` removed); past it, silence.
        public var repliesPerAddressPerHour = 5
        /// Automatic answers to all addresses that are not proven members together, an hour.
        public var unprovenRepliesPerHour = 200
        /// Notices mailed to the admins on their own, an hour; past it they wait for one summary.
        public var adminNoticesPerHour = 10
        /// A member's bounce count starts again at 0 after this many days without a bounce (as
        /// Discourse does); 0 never. A member whose mail stopped stays stopped.
        public var bounceResetDays = 30
    }

    public var bot = Bot()
    public var imap = IMAP()
    public var smtp = SMTP()
    public var http = HTTP()
    public var auth = Auth()
    public var network = Network()
    public var links = Links()
    public var health = Health()
    public var mail = Mail()
    /// Where the relative paths above were resolved (``ServicePaths``).
    public var paths = ServicePaths()
    public var oauth = OAuth()
    /// `[compliance]`: the listing rules (``ComplianceRulesFile``).
    public var compliance = Compliance()
    /// `[[webhooks]]`: where state changes are POSTed (``Webhook``).
    public var webhooks: [Webhook] = []

    public init() {}

    /// The settings the domain handlers need.
    public var networkSettings: NetworkSettings {
        NetworkSettings(
            startingCredits: network.startingCredits, pointsPerCredit: network.pointsPerCredit, currency: network.currency,
            referralExpiryDays: network.referralExpiryDays, staleAfterDays: network.staleAfterDays,
            autoApproveListings: network.autoApproveListings,
            customerConsent: network.customerConsent == "ask" ? .ask : .referrer,
            maxReferralsPerDay: network.maxReferralsPerDay, maxConnectRequestsPerDay: network.maxConnectRequestsPerDay,
            linkExpiryDays: links.expiryDays, bounceLimit: mail.bounceLimit, errorRepliesPerHour: mail.errorRepliesPerHour)
    }

    /// The IMAP settings for the transport.
    public var imapServer: IMAPServerSettings {
        IMAPServerSettings(
            url: imap.url, username: imap.username, password: imap.password, requireTLS: imap.starttls,
            caFile: imap.caFile, tlsVerify: imap.tlsVerify, auth: imap.auth)
    }

    /// The SMTP settings for the transport.
    public var smtpServer: SMTPServerSettings {
        SMTPServerSettings(
            url: smtp.url, username: smtp.username, password: smtp.password, requireTLS: smtp.starttls,
            caFile: smtp.caFile, tlsVerify: smtp.tlsVerify,
            heloName: smtp.heloName.isEmpty ? domain(of: bot.address) : smtp.heloName, auth: smtp.auth)
    }

    private func domain(of address: String) -> String {
        address.split(separator: "@").last.map(String.init) ?? "localhost"
    }
}

extension Configuration.SMTP {
    /// The largest `smtp.max_connections` accepted.
    public static let connectionsLimit = 8
}
