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
    /// To each follower of the owner: a new listing is live.
    case listingNew = "listing.new"

    /// Whether the mail answers the mail a member just sent (`Auto-Submitted: auto-replied`)
    /// rather than being generated on its own (`auto-generated`), per RFC 3834.
    public var isReply: Bool {
        switch self {
        case .help, .commandError, .commandDone: true
        case .listingSubmitted, .listing, .searchResults: true
        case .listingReview, .listingApproved, .listingDeclined, .listingNew: false
        case .deliveryFailed, .messageQuarantined: false
        }
    }
}
