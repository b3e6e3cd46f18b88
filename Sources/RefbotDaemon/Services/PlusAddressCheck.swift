import Foundation
import RefbotTransport

/// Whether the bot's server takes `bot+tag@domain`: refbot's reply tags (`bot+R-12-…@`) and
/// bounce addresses (`bot+bounce-…@`) need it. `refbot check-config` sends one probe mail to
/// `bot+check@domain` over SMTP and looks for it over IMAP in the inbox (or the processed folder,
/// where a running daemon files it). A round trip, rather than the RCPT TO answer alone, because
/// many servers accept any recipient at RCPT time and only then bounce it, drop it or deliver it
/// to another mailbox (a catch-all): only seeing the mail arrive proves that replies and bounces
/// will reach refbot.
public enum PlusAddressCheck {
    /// What the probe showed.
    public enum Outcome: Sendable, Equatable {
        /// The probe arrived in `folder` after `seconds`.
        case arrived(folder: String, seconds: Int)
        /// The SMTP server refused the probe's recipient.
        case refused(String)
        /// The SMTP server took the probe but it did not arrive within the time allowed.
        case missing(seconds: Int)
        /// The probe could not be sent or looked for (the servers failed otherwise).
        case unchecked(String)
    }

    /// The probe's address: the bot's address with `+check`.
    public static func probeAddress(bot: String) -> String? {
        guard let at = bot.lastIndex(of: "@") else { return nil }
        let local = bot[..<at]
        let base = local.split(separator: "+", maxSplits: 1).first.map(String.init) ?? String(local)
        return base + "+check" + bot[at...]
    }

    /// The probe mail (CRLF line ends), auto-generated so nothing answers it.
    public static func probe(from bot: String, to address: String, messageID: String, date: Date) -> [UInt8] {
        let text = """
            From: <\(bot)>\r
            To: <\(address)>\r
            Subject: refbot check-config: plus addressing probe\r
            Date: \(date.formatted(.dateTime.locale(Locale(identifier: "en_US_POSIX"))))\r
            Message-ID: <\(messageID)>\r
            Auto-Submitted: auto-generated\r
            MIME-Version: 1.0\r
            Content-Type: text/plain; charset=utf-8\r
            \r
            refbot check-config sent this to see whether mail to \(address) reaches this mailbox.\r
            It can be deleted.\r

            """
        return Array(text.utf8)
    }

    /// Sends the probe and waits up to `timeout` seconds for it; moves it out of the inbox to
    /// `processedFolder` when found there.
    public static func run(
        bot: String, processedFolder: String, mailbox: any InboundMailbox, submitter: any MailSubmitter,
        timeout: Int = 30, pollInterval: Duration = .seconds(1)
    ) async -> Outcome {
        guard let address = probeAddress(bot: bot), let domain = bot.split(separator: "@").last else {
            return .unchecked("bot.address \"\(bot)\" has no domain")
        }
        let messageID = "plus-check.\(UUID().uuidString.lowercased())@\(domain)"
        let mail = OutgoingMail(
            envelopeFrom: bot, recipients: [address], data: probe(from: bot, to: address, messageID: messageID, date: Date()))
        let results = await submitter.submit([mail])
        if case .failure(let error)? = results.first {
            if let code = error.serverCode, code >= 500, error.code == .rejected { return .refused(error.message) }
            return .unchecked(error.message)
        }
        let start = ContinuousClock.now
        let folders = ["INBOX", processedFolder].filter { !$0.hasPrefix("\\") }
        while true {
            for folder in folders {
                guard let found = try? await mailbox.search(messageID: messageID, in: folder), !found.isEmpty else { continue }
                if folder == "INBOX" {
                    _ = try? await mailbox.createFolderIfMissing(processedFolder)
                    _ = try? await mailbox.move(uids: found, from: folder, to: processedFolder)
                }
                let elapsed = ContinuousClock.now - start
                return .arrived(folder: folder, seconds: Int(elapsed.components.seconds))
            }
            if ContinuousClock.now - start >= .seconds(timeout) { return .missing(seconds: timeout) }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// What to do when the server does not take plus addresses.
    public static let remedy =
        "refbot's reply tags (bot+R-12-…@) and bounce addresses (bot+bounce-…@) need plus addressing: turn it on "
        + "for the bot's mailbox (Postfix: recipient_delimiter = +; Dovecot LMTP: recipient_delimiter = +; "
        + "Exchange Online: Set-OrganizationConfig -DisablePlusAddressInRecipients $false; Gmail, Google Workspace "
        + "and Fastmail have it on), or have the server deliver bot+anything@ to this mailbox with an alias"
}
