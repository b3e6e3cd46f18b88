/// The configuration values the domain needs, from `[network]`, `[links]` and `[mail]` (spec §8).
///
/// The daemon fills it from the TOML file; the defaults are the spec's.
public struct NetworkSettings: Sendable, Hashable, Codable {
    /// Who vouches for a customer's consent to be referred (`network.customer_consent`).
    public enum CustomerConsentMode: String, Sendable, Hashable, Codable, CaseIterable {
        /// The referrer's `Consent: yes` is enough.
        case referrer
        /// refbot asks the customer by mail when the form has their email.
        case ask
    }

    /// `network.starting_credits`: credits a new member starts with.
    public var startingCredits: Int
    /// `network.points_per_credit`: points REDEEM turns into one credit.
    public var pointsPerCredit: Int
    /// `network.currency`: the currency of amounts written without one.
    public var currency: String
    /// `network.referral_expiry_days`: a pending referral expires after this many days.
    public var referralExpiryDays: Int
    /// `network.stale_after_days`: an accepted referral with no update this long gets a reminder.
    public var staleAfterDays: Int
    /// `network.auto_approve_listings`: new listings go live without an admin.
    public var autoApproveListings: Bool
    /// `network.customer_consent`.
    public var customerConsent: CustomerConsentMode
    /// `network.max_referrals_per_day`: REFERs one member may send in a day.
    public var maxReferralsPerDay: Int
    /// `network.max_connect_requests_per_day`: CONNECTs one member may send in a day.
    public var maxConnectRequestsPerDay: Int
    /// `links.expiry_days`: one-click links stop working after this many days.
    public var linkExpiryDays: Int
    /// `mail.bounce_limit`: bounces after which refbot stops mailing a member.
    public var bounceLimit: Int
    /// `mail.error_replies_per_hour`: `command.error` replies per sender per hour.
    public var errorRepliesPerHour: Int
    /// Days within which the same customer is not referred to the same listing again (spec §3: 90).
    public var duplicateCustomerDays: Int

    /// Settings with the spec's defaults unless given.
    public init(
        startingCredits: Int = 10, pointsPerCredit: Int = 1, currency: String = "USD", referralExpiryDays: Int = 14,
        staleAfterDays: Int = 10, autoApproveListings: Bool = false, customerConsent: CustomerConsentMode = .referrer,
        maxReferralsPerDay: Int = 20, maxConnectRequestsPerDay: Int = 20, linkExpiryDays: Int = 14,
        bounceLimit: Int = 3, errorRepliesPerHour: Int = 5, duplicateCustomerDays: Int = 90
    ) {
        self.startingCredits = startingCredits
        self.pointsPerCredit = pointsPerCredit
        self.currency = currency.uppercased()
        self.referralExpiryDays = referralExpiryDays
        self.staleAfterDays = staleAfterDays
        self.autoApproveListings = autoApproveListings
        self.customerConsent = customerConsent
        self.maxReferralsPerDay = maxReferralsPerDay
        self.maxConnectRequestsPerDay = maxConnectRequestsPerDay
        self.linkExpiryDays = linkExpiryDays
        self.bounceLimit = bounceLimit
        self.errorRepliesPerHour = errorRepliesPerHour
        self.duplicateCustomerDays = duplicateCustomerDays
    }

    /// The spec's defaults.
    public static let defaults = NetworkSettings()

    /// Seconds in a day, for turning the `*_days` settings into times.
    public static let secondsPerDay: Int64 = 86_400

    /// `referral_expiry_days` in seconds.
    public var referralExpirySeconds: Int64 { Int64(referralExpiryDays) * Self.secondsPerDay }
    /// `stale_after_days` in seconds.
    public var staleAfterSeconds: Int64 { Int64(staleAfterDays) * Self.secondsPerDay }
    /// `links.expiry_days` in seconds.
    public var linkExpirySeconds: Int64 { Int64(linkExpiryDays) * Self.secondsPerDay }
}
