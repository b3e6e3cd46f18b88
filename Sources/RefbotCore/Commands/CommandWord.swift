/// Who may use a command.
public enum CommandAudience: String, Sendable, Codable, CaseIterable {
    case anyone, member, admin
}

/// Every command word a member or an admin can send (spec §3). `HELP` is generated from this list.
public enum CommandWord: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case help = "HELP"
    case join = "JOIN"
    case confirm = "CONFIRM"
    case profile = "PROFILE"
    case listing = "LISTING"
    case search = "SEARCH"
    case listings = "LISTINGS"
    case show = "SHOW"
    case close = "CLOSE"
    case connect = "CONNECT"
    case follow = "FOLLOW"
    case unfollow = "UNFOLLOW"
    case refer = "REFER"
    case agree = "AGREE"
    case accept = "ACCEPT"
    case reject = "REJECT"
    case contacted = "CONTACTED"
    case won = "WON"
    case lost = "LOST"
    case paid = "PAID"
    case received = "RECEIVED"
    case dispute = "DISPUTE"
    case yes = "YES"
    case no = "NO"
    case status = "STATUS"
    case credits = "CREDITS"
    case redeem = "REDEEM"
    case stop = "STOP"
    case start = "START"
    case leave = "LEAVE"
    case forget = "FORGET"
    case export = "EXPORT"
    case approve = "APPROVE"
    case decline = "DECLINE"
    case feature = "FEATURE"
    case grant = "GRANT"
    case announce = "ANNOUNCE"

    public var description: String { rawValue }

    /// Reads a command word, ignoring case and trailing punctuation (`accept.`, `Accept!`).
    public init?(word: some StringProtocol) {
        let trimmed = word.trimmingCharacters(in: CommandWord.punctuation).uppercased()
        guard let value = CommandWord(rawValue: trimmed) else { return nil }
        self = value
    }

    private static let punctuation: Set<Character> = [".", ",", "!", "?", ":", ";", "*", "\"", "'", "(", ")"]

    /// How the command is written, for HELP.
    public var synopsis: String {
        switch self {
        case .help: "HELP"
        case .join: "JOIN (then Name:, Business:, Category:, City:, Website:, Phone:, About: lines)"
        case .confirm: "CONFIRM (in reply to a confirmation request)"
        case .profile: "PROFILE (alone to see it, or with JOIN's Key: value lines to change it)"
        case .listing: "LISTING (then Title:, Category:, Location:, Customer:, Reward:, Terms:, Expires:, Profession:, Jurisdiction: lines)"
        case .search: "SEARCH words [category:x] [location:y]"
        case .listings: "LISTINGS"
        case .show: "SHOW L-n"
        case .close: "CLOSE L-n"
        case .connect: "CONNECT email-or-L-n [a short message on the next lines]"
        case .follow: "FOLLOW email-or-L-n"
        case .unfollow: "UNFOLLOW email-or-L-n"
        case .refer: "REFER L-n (then Customer:, Email:, Phone:, Need:, Consent: lines)"
        case .agree: "AGREE (in reply to a partnership agreement)"
        case .accept: "ACCEPT (in reply to a referral or connection request)"
        case .reject: "REJECT [reason] (in reply to a referral or connection request)"
        case .contacted: "CONTACTED (in reply to a referral)"
        case .won: "WON [amount]"
        case .lost: "LOST [reason]"
        case .paid: "PAID [amount]"
        case .received: "RECEIVED (in reply to a payment notice)"
        case .dispute: "DISPUTE [reason]"
        case .yes: "YES (a customer agreeing to be introduced)"
        case .no: "NO (a customer declining an introduction)"
        case .status: "STATUS"
        case .credits: "CREDITS"
        case .redeem: "REDEEM n"
        case .stop: "STOP"
        case .start: "START"
        case .leave: "LEAVE"
        case .forget: "FORGET"
        case .export: "EXPORT"
        case .approve: "APPROVE L-n"
        case .decline: "DECLINE L-n [reason]"
        case .feature: "FEATURE L-n [days]"
        case .grant: "GRANT email n"
        case .announce: "ANNOUNCE (then Title:, Link: lines and the text)"
        }
    }

    /// What the command does, in one plain sentence, for HELP.
    public var summary: String {
        switch self {
        case .help: "Sends you this list."
        case .join: "Asks to join the network; we mail you a link to confirm your address."
        case .confirm: "Confirms a request we held until you said it was yours."
        case .profile: "Shows or updates your member profile."
        case .listing: "Posts a Referral Opportunity: the customers you want and what you pay for them. With Profession: and Jurisdiction: the network checks its referral-fee rules (not legal advice)."
        case .search: "Finds live listings; featured ones come first."
        case .listings: "Lists live listings."
        case .show: "Shows one listing in full."
        case .close: "Closes one of your listings."
        case .connect: "Asks another member to connect; referrals flow only between connections."
        case .follow: "Tells you when that member posts a new listing."
        case .unfollow: "Stops those notices."
        case .refer: "Refers a customer to a connection's listing."
        case .agree: "Agrees to the partnership terms of a listing; both sides get a copy."
        case .accept: "Accepts a referral (costs one credit) or a connection request."
        case .reject: "Turns down a referral or a connection request."
        case .contacted: "Records that you have contacted the referred customer."
        case .won: "Records a won sale and what the referrer is owed."
        case .lost: "Records that the customer did not buy."
        case .paid: "Records that you paid the referrer."
        case .received: "Confirms you received the payment for a referral."
        case .dispute: "Raises a problem with a referral with its owner and the admins."
        case .yes: "Agrees to an introduction."
        case .no: "Declines an introduction."
        case .status: "Sends your dashboard: referrals, revenue, rewards, credits and what waits on you."
        case .credits: "Shows your credits and points."
        case .redeem: "Turns n reward points into credits."
        case .stop: "Stops announcements and digests."
        case .start: "Starts them again."
        case .leave: "Leaves the network and closes your listings; open referrals stay with the other side."
        case .forget: "Leaves and erases your profile and stored mail; referrals stay on record without your details."
        case .export: "Mails you your own data as a CSV file."
        case .approve: "Puts a pending listing live."
        case .decline: "Declines a pending listing."
        case .feature: "Features a listing at the top of searches."
        case .grant: "Gives a member credits."
        case .announce: "Sends a training announcement to every member who has not sent STOP."
        }
    }

    /// Who may send the command.
    public var audience: CommandAudience {
        switch self {
        case .help, .join, .search, .listings, .show, .confirm, .yes, .no: .anyone
        case .approve, .decline, .feature, .grant, .announce: .admin
        default: .member
        }
    }

    /// Read-only commands run without sender authentication; their answer goes to `From:` only.
    public var isReadOnly: Bool {
        switch self {
        case .help, .search, .listings, .show, .status, .credits, .export: true
        default: false
        }
    }
}
