import Foundation
import RefbotTransport

/// What `bot.provider` fills in: server URLs, the login mechanism, OAuth2 endpoints and scopes, and
/// the provider's limits and folder names. Every value is a default; a key set in the file wins.
///
/// The sending limits and folder names are plain data here, for `smtp.max_per_minute`,
/// `smtp.max_per_day` and the folder settings to take as their defaults.
public struct ProviderPreset: Sendable, Equatable {
    /// The `bot.provider` value.
    public var name: String
    /// How the provider names itself in messages.
    public var displayName: String
    public var imapURL: String
    public var smtpURL: String
    /// The login mechanism for IMAP and SMTP.
    public var auth: MailAuthMechanism
    /// The token endpoint; `{tenant}` stands for `oauth.tenant`.
    public var tokenURL: String
    /// The device authorization endpoint (RFC 8628), where the provider allows it for mail scopes.
    public var deviceCodeURL: String
    /// The authorization endpoint for the authorization-code flow with PKCE.
    public var authorizeURL: String
    /// Scopes for a token that acts as the mailbox's user (delegated; `refbot auth login`).
    public var delegatedScope: String
    /// Scope for the app-only client-credentials grant; empty where the provider has none for mail.
    public var appScope: String
    /// `oauth.tenant` when none is set (delegated grant only).
    public var defaultTenant: String
    /// The most messages the provider takes from one mailbox a minute; nil where it publishes none.
    public var maxPerMinute: Int?
    /// The most messages (Exchange: recipients) a day.
    public var maxPerDay: Int?
    /// Where the provider files spam, as IMAP lists it.
    public var junkFolder: String
    /// The provider's archive folder.
    public var archiveFolder: String

    /// The presets by `bot.provider` value.
    public static let all: [String: ProviderPreset] = [
        "microsoft365": .microsoft365, "google": .google, "fastmail": .fastmail,
    ]

    /// Exchange Online (Microsoft 365). IMAP `outlook.office365.com:993`, SMTP AUTH
    /// `smtp.office365.com:587` with STARTTLS; XOAUTH2 with Entra ID tokens; device-code flow for the
    /// delegated grant, `IMAP.AccessAsApp`/`SMTP.SendAsApp` through `.default` for the app-only one.
    /// Limits: 30 messages a minute and 10 000 recipients a day per mailbox.
    public static let microsoft365 = ProviderPreset(
        name: "microsoft365", displayName: "Microsoft 365",
        imapURL: "imaps://outlook.office365.com:993/INBOX", smtpURL: "smtp://smtp.office365.com:587",
        auth: .xoauth2,
        tokenURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
        deviceCodeURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/devicecode",
        authorizeURL: "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/authorize",
        delegatedScope:
            "offline_access https://outlook.office.com/IMAP.AccessAsUser.All https://outlook.office.com/SMTP.Send",
        appScope: "https://outlook.office365.com/.default", defaultTenant: "organizations",
        maxPerMinute: 30, maxPerDay: 10_000, junkFolder: "Junk Email", archiveFolder: "Archive")

    /// Google Workspace and Gmail. IMAP `imap.gmail.com:993`, SMTP `smtp.gmail.com:465`; XOAUTH2 with
    /// the `https://mail.google.com/` scope, which Google's device flow does not grant, so
    /// `refbot auth login` uses the loopback-redirect authorization-code flow with PKCE.
    /// Limits: about 2 000 messages a day for a Workspace account (500 for a free Gmail account).
    public static let google = ProviderPreset(
        name: "google", displayName: "Google",
        imapURL: "imaps://imap.gmail.com:993/INBOX", smtpURL: "smtps://smtp.gmail.com:465", auth: .xoauth2,
        tokenURL: "https://oauth2.googleapis.com/token", deviceCodeURL: "",
        authorizeURL: "https://accounts.google.com/o/oauth2/v2/auth", delegatedScope: "https://mail.google.com/",
        appScope: "", defaultTenant: "", maxPerMinute: nil, maxPerDay: 2_000, junkFolder: "[Gmail]/Spam",
        archiveFolder: "[Gmail]/All Mail")

    /// Fastmail: IMAP `imap.fastmail.com:993`, SMTP `smtp.fastmail.com:465`, with an app password
    /// (Fastmail offers OAuth2 to registered partner apps only).
    public static let fastmail = ProviderPreset(
        name: "fastmail", displayName: "Fastmail",
        imapURL: "imaps://imap.fastmail.com:993/INBOX", smtpURL: "smtps://smtp.fastmail.com:465", auth: .password,
        tokenURL: "", deviceCodeURL: "", authorizeURL: "", delegatedScope: "", appScope: "", defaultTenant: "",
        maxPerMinute: nil, maxPerDay: nil, junkFolder: "Spam", archiveFolder: "Archive")

    /// `template` with `{tenant}` replaced.
    public static func fill(_ template: String, tenant: String) -> String {
        template.replacingOccurrences(of: "{tenant}", with: tenant)
    }
}
