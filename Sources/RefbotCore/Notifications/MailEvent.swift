/// Every kind of mail refbot sends. The raw value is the spec's event name, the template file stem
/// in `mail-templates/`, and the `X-Refbot-Event` header value, so one `grep` finds all three.
public enum MailEvent: String, Sendable, Codable, CaseIterable {
    case help = "help"
    case commandError = "command.error"
    case commandDone = "command.done"
    /// To admins: an outbound mail could not be delivered within `smtp.give_up_hours`.
    case deliveryFailed = "delivery.failed"
    /// To admins: an inbound mail could not be handled and was moved to the quarantine folder.
    case messageQuarantined = "message.quarantined"
    /// To admins: the notices kept back once `mail.admin_notices_per_hour` were mailed, in one mail.
    case adminSummary = "admin.summary"
    /// To admins: the OAuth2 token endpoint refused refbot's refresh token or client credentials;
    /// mail waits until the admin runs `refbot auth login` (or fixes the app registration).
    case oauthRefused = "oauth.refused"
    /// To someone who sent JOIN: confirm the address (double opt-in).
    case memberConfirm = "member.confirm"
    /// To a member who confirmed JOIN: what to do next.
    case memberWelcome = "member.welcome"
    /// To a member who sent a bare PROFILE.
    case profile = "profile"
    /// To the `From:` address of a held command: reply CONFIRM to run it.
    case commandConfirm = "command.confirm"
    /// To a member who sent CREDITS: credits and points.
    case credits = "credits"
    /// To a member an admin granted credits to (or took credits from).
    case creditsGranted = "credits.granted"
    /// To a member who sent EXPORT: their data as a CSV attachment.
    case export = "export"
    /// To admins: a member's bounces reached `mail.bounce_limit` and their probe bounced too: mail to them stops.
    case memberBouncing = "member.bouncing"
    /// To a member whose mail bounced `mail.bounce_limit` times: any reply says the address works;
    /// if this mail bounces too, refbot stops mailing them.
    case memberProbe = "member.probe"
    /// To every member who has not sent STOP: an admin's ANNOUNCE.
    case trainingAnnouncement = "training.announcement"
    /// To a member another member asked to connect: ACCEPT or REJECT.
    case connectionRequest = "connection.request"
    /// To the member who sent CONNECT: the other side accepted.
    case connectionAccepted = "connection.accepted"
    /// To the member who sent CONNECT: the other side said no.
    case connectionRejected = "connection.rejected"
    /// To a referrer who sent REFER: what happens next.
    case referralSent = "referral.sent"
    /// To a listing's owner: a new referral to ACCEPT or REJECT.
    case referralReceived = "referral.received"
    /// To a referrer without an agreement for the listing's terms: reply AGREE.
    case agreementRequest = "agreement.request"
    /// To both parties of an executed agreement: the text attached, with the record.
    case agreementCopy = "agreement.copy"
    /// To the referrer: the owner accepted the referral.
    case referralAccepted = "referral.accepted"
    /// To the referrer: the owner turned the referral down (or the customer declined).
    case referralRejected = "referral.rejected"
    /// To the referrer (and both sides on RECEIVED): the referral moved on, or expired.
    case referralUpdated = "referral.updated"
    /// To the owner and the admins: the referrer disputes the outcome or the payment.
    case referralDisputed = "referral.disputed"
    /// To a referred customer: may we pass on your details? YES or NO.
    case customerConsent = "customer.consent"
    /// To the owner: a pending referral waits for an answer, or an accepted one has had no update.
    case referralReminder = "referral.reminder"
    /// To a member who sent STATUS: their referral business at a glance.
    case dashboard = "dashboard"
    /// The dashboard, mailed every `network.digest_days` to members who have not sent STOP.
    case digest = "digest"

    /// To a member who sent LISTING: what happens next.
    case listingSubmitted = "listing.submitted"
    /// To each admin: a new listing to APPROVE or DECLINE.
    case listingReview = "listing.review"
    /// To whoever sent SHOW L-n: the listing in full.
    case listing = "listing"
    /// To whoever sent SEARCH or LISTINGS: the live listings found.
    case searchResults = "search.results"
    /// To the owner: an admin approved the listing; it is live.
    case listingApproved = "listing.approved"
    /// To the owner: an admin declined the listing, with the reason.
    case listingDeclined = "listing.declined"
    /// To the owner: a listing reached its `Expires:` date.
    case listingExpired = "listing.expired"
    /// To each follower of the owner: a new listing is live.
    case listingNew = "listing.new"
    /// To a member an admin suspended: what that means and whom to ask.
    case memberSuspended = "member.suspended"
    /// To a member whose suspension an admin lifted.
    case memberResumed = "member.resumed"
    /// To a member's old address after an admin changed it: where their mail goes now.
    case memberAddressChanged = "member.address.changed"
    /// To a member's new address after an admin changed it: welcome at the new address.
    case memberAddressWelcome = "member.address.welcome"
    /// To admins: a member's provider forwarded their complaint (an ARF feedback report):
    /// announcements and digests to them stopped.
    case memberComplaint = "member.complaint"
    /// To admins, once in January: last year's payee totals are ready (`refbot admin payouts`).
    case adminPayoutsReminder = "admin.payouts.reminder"
    /// To the member who sent LISTING: it breaks a compliance rule (`compliance.rules_file`), why, and what would work.
    case listingRefused = "listing.refused"
    /// To each admin: a new listing breaks a compliance rule and is held; how to override.
    case listingHeld = "listing.held"
    /// To every member who has not sent STOP, on the first pass of a month: last month's top
    /// referrers by referrals given, accepted and won — counts only (`network.recognition_top`).
    case recognitionMonthly = "recognition.monthly"
    /// To admins: a webhook delivery was given up on after its `max_attempts` (``WebhookQueue``).
    case webhookFailed = "webhook.failed"

    /// Whether the mail answers the mail a member just sent (`Auto-Submitted: auto-replied`)
    /// rather than being generated on its own (`auto-generated`), per RFC 3834.
    public var isReply: Bool {
        switch self {
        case .help, .commandError, .commandDone: true
        case .memberConfirm, .memberWelcome, .profile, .commandConfirm, .credits, .export: true
        case .creditsGranted, .memberBouncing, .memberProbe, .trainingAnnouncement: false
        case .referralSent, .agreementRequest, .dashboard: true
        case .connectionRequest, .connectionAccepted, .connectionRejected, .referralReceived, .agreementCopy,
            .referralAccepted, .referralRejected, .referralUpdated, .referralDisputed, .customerConsent,
            .referralReminder:
            false
        case .listingSubmitted, .listing, .searchResults: true
        case .listingReview, .listingApproved, .listingDeclined, .listingNew, .listingExpired, .digest: false
        case .deliveryFailed, .messageQuarantined, .adminSummary, .memberComplaint, .oauthRefused: false
        case .adminPayoutsReminder: false
        case .listingRefused: true
        case .listingHeld: false
        case .recognitionMonthly: false
        case .webhookFailed: false
        case .memberSuspended, .memberResumed, .memberAddressChanged, .memberAddressWelcome: false
        }
    }
}
