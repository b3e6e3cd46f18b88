/// What mail providers mean by their replies: which SMTP answers say "too many, slow down" (a
/// sending quota or rate limit, not a fault of the mail), and what a login or submission refusal
/// means in the provider's own words, with what to change.
///
/// ```swift
/// ProviderReply.isQuota(code: 550, text: "550 5.4.5 Daily user sending quota exceeded.")   // true
/// ProviderReply.explain(code: 535, text: "535 5.7.139 Authentication unsuccessful, ...")?.remedy
/// ```
public enum ProviderReply {
    /// The enhanced status code (RFC 3463, `4.7.0`, `5.7.139`) in a reply's text, if any.
    public static func enhancedStatus(in text: String) -> String? {
        for word in text.split(whereSeparator: { $0.isWhitespace || $0 == "-" || $0 == "#" || $0 == "(" }) {
            var token = word
            while let last = token.last, !last.isNumber { token = token.dropLast() }
            let parts = token.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 3, ["2", "4", "5"].contains(String(parts[0])),
                parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) })
            else { continue }
            return parts.joined(separator: ".")
        }
        return nil
    }

    /// Words providers use when they refuse for volume.
    static let volumeWords = [
        "quota", "rate limit", "ratelimit", "rate-limit", "rate limited", "too many", "limit exceeded",
        "exceeded", "throttl", "sending limit", "unusual rate", "try again later", "slow down",
    ]

    /// Whether an SMTP reply says the sender has sent too much for now (a provider's quota or
    /// rate limit) rather than that this mail cannot be delivered. Such a reply defers the mail
    /// and slows the whole Sender down; it never fails the mail.
    ///
    /// Recognised: Gmail `550 5.4.5 Daily (user) sending quota exceeded`, `421 4.7.0`/`4.7.28 …
    /// rate limited`, `452 4.5.3 Too many recipients`; Exchange Online `554 5.2.0 STOREDRV.Submission.
    /// Exception:SubmissionQuotaExceededException`, `432 4.3.2 … sender thread limit exceeded`;
    /// and any 421/450/451/452/454/550/554 reply whose enhanced status is `x.7.x`, `x.4.5` or
    /// `4.5.3` and whose text speaks of a rate, a limit or a quota. A recipient's full mailbox
    /// (`5.2.2`, "over quota") is the recipient's problem, not a quota of refbot's: not counted.
    public static func isQuota(code: Int, text: String) -> Bool {
        let lower = text.lowercased()
        let status = enhancedStatus(in: text)
        if status == "5.2.2" || status == "4.2.2" { return false }
        if lower.contains("submissionquotaexceeded") || lower.contains("sender thread limit") { return true }
        guard [421, 432, 450, 451, 452, 454, 550, 554].contains(code) else { return false }
        let speaksOfVolume = volumeWords.contains { lower.contains($0) }
        guard let status else { return code == 421 && speaksOfVolume }
        let parts = status.split(separator: ".")
        if status == "4.5.3" || parts[1] == "4" && parts[2] == "5" { return true }
        if parts[1] == "7" || parts[1] == "3" && parts[2] == "2" || status == "5.2.0" { return speaksOfVolume }
        return code == 421 && speaksOfVolume
    }

    /// Whether a quota reply speaks of a whole day (Gmail's daily sending quota, Exchange's
    /// submission quota): waiting a minute will not help.
    public static func isDailyQuota(text: String) -> Bool {
        let lower = text.lowercased()
        return lower.contains("daily") || lower.contains("submissionquotaexceeded") || lower.contains("24 hour")
            || lower.contains("per day")
    }

    /// A provider's refusal, as the provider means it, and what to change.
    public struct Explanation: Sendable, Equatable, CustomStringConvertible {
        /// Who words it so (`Exchange Online`, `Google`, `any server`).
        public var provider: String
        /// What the provider is saying.
        public var meaning: String
        /// What would work.
        public var remedy: String
        public var description: String { "\(provider) says: \(meaning); \(remedy)" }
    }

    /// One row of the table: a reply code (or 0 for any), the enhanced status or text it must
    /// carry (lower-case), and the explanation.
    struct Row: Sendable {
        var code: Int
        var marker: String
        var explanation: Explanation
    }

    /// Reply code and marker to explanation; the first row that matches wins, so the specific
    /// rows come before the general ones.
    static let table: [Row] = [
        Row(code: 535, marker: "5.7.139", explanation: Explanation(
            provider: "Exchange Online",
            meaning: "basic authentication (a password) is disabled for SMTP AUTH on this tenant or mailbox",
            remedy: "turn on authenticated SMTP for the bot's mailbox (Exchange admin center > the mailbox > Mail apps > "
                + "Authenticated SMTP, or Set-CASMailbox -SmtpClientAuthenticationDisabled $false) and make sure "
                + "Security defaults do not block it, or log in with OAuth2 instead of smtp.password_file")),
        Row(code: 550, marker: "5.7.30", explanation: Explanation(
            provider: "Exchange Online",
            meaning: "basic authentication is not supported for client submission",
            remedy: "log in with OAuth2 instead of smtp.password_file; a password no longer works for this tenant")),
        Row(code: 535, marker: "5.7.3", explanation: Explanation(
            provider: "Exchange Online",
            meaning: "authentication unsuccessful: the user name or password is wrong, or the account may not use SMTP AUTH",
            remedy: "check smtp.username (the mailbox's full address) and the password in smtp.password_file; if they are right, "
                + "authenticated SMTP or the sign-in may be blocked by a Conditional Access policy or Security defaults")),
        Row(code: 530, marker: "5.7.57", explanation: Explanation(
            provider: "Exchange Online",
            meaning: "the client was not authenticated to send mail",
            remedy: "set smtp.username and smtp.password_file (or OAuth2): smtp.office365.com takes no anonymous mail")),
        Row(code: 550, marker: "5.7.60", explanation: Explanation(
            provider: "Exchange Online",
            meaning: "the logged-in account may not send as bot.address",
            remedy: "log in as the bot's own mailbox, or give the account Send As permission on bot.address")),
        Row(code: 554, marker: "submissionquotaexceeded", explanation: Explanation(
            provider: "Exchange Online",
            meaning: "the mailbox has used its sending quota (30 mails a minute, 10 000 recipients a day)",
            remedy: "keep smtp.max_per_minute at 30 or less and smtp.max_per_day at 10000 or less; refbot waits and sends the rest later")),
        Row(code: 534, marker: "5.7.9", explanation: Explanation(
            provider: "Google",
            meaning: "an application-specific password is required",
            remedy: "turn on 2-Step Verification for the bot's Google account and put an app password in the "
                + "password file, or log in with OAuth2")),
        Row(code: 535, marker: "5.7.8", explanation: Explanation(
            provider: "Google",
            meaning: "the user name and password were not accepted",
            remedy: "use the full Gmail or Workspace address as the user name and an app password (the account "
                + "password does not work), or log in with OAuth2")),
        Row(code: 534, marker: "5.7.14", explanation: Explanation(
            provider: "Google",
            meaning: "Google wants someone to sign in through a web browser first",
            remedy: "sign in to the bot's account in a browser from this network, then use an app password or OAuth2")),
        Row(code: 550, marker: "5.4.5", explanation: Explanation(
            provider: "Google",
            meaning: "the account has reached its daily sending limit (about 2 000 mails a day for Workspace, 500 for Gmail)",
            remedy: "set smtp.max_per_day below the account's limit; refbot keeps the mail and sends it when the quota frees up")),
        Row(code: 421, marker: "4.7.28", explanation: Explanation(
            provider: "Google",
            meaning: "Gmail is rate limiting mail from this sender for an unusual rate",
            remedy: "set smtp.max_per_minute lower; refbot slows down and sends the rest later")),
        Row(code: 0, marker: "authenticationfailed", explanation: Explanation(
            provider: "the IMAP server",
            meaning: "the login was refused",
            remedy: "check imap.username and the password in imap.password_file; Exchange Online accepts no passwords for IMAP "
                + "(basic authentication was turned off in 2022): log in with OAuth2; Gmail wants an app password or OAuth2")),
        Row(code: 0, marker: "application-specific password required", explanation: Explanation(
            provider: "Google",
            meaning: "an application-specific password is required",
            remedy: "turn on 2-Step Verification for the bot's Google account and use an app password, or OAuth2")),
        Row(code: 0, marker: "web browser", explanation: Explanation(
            provider: "Google",
            meaning: "Google wants someone to sign in through a web browser first",
            remedy: "sign in to the bot's account in a browser from this network, then use an app password or OAuth2")),
        Row(code: 0, marker: "authenticate failed", explanation: Explanation(
            provider: "Exchange Online",
            meaning: "the IMAP login was refused; Exchange Online turned off passwords (basic authentication) for IMAP in 2022",
            remedy: "log in with OAuth2; for another server, check imap.username and imap.password_file")),
    ]

    /// The explanation for a refusal, when the table knows it: `code` is the SMTP reply code
    /// (0 when there is none, as for IMAP), `text` the server's words.
    public static func explain(code: Int, text: String) -> Explanation? {
        let lower = text.lowercased()
        let status = enhancedStatus(in: text)
        for row in table where row.code == 0 || row.code == code {
            let marker = row.marker
            let isStatus = marker.first?.isNumber == true
            if isStatus ? status == marker : lower.contains(marker) { return row.explanation }
        }
        return nil
    }
}
