import Foundation

/// What trusted `Authentication-Results` say about the `From:` address of a message.
public enum AuthenticationVerdict: Sendable, Equatable {
    /// DMARC passed for the `From:` domain.
    case dmarcPass
    /// DKIM passed with a signing domain equal to the `From:` domain.
    case dkimPassAligned
    /// Nothing trusted vouches for the `From:` address.
    case none
}

/// The verdict on a message's sender and why: what ``AuthenticationResults/assess(_:trustedAuthservID:)`` found.
public struct AuthenticationAssessment: Sendable, Equatable {
    /// What the MTA's own fields say of the single `From:` mailbox.
    public var verdict: AuthenticationVerdict
    /// A field with the trusted authserv-id stands where the sender writes: someone tried to forge a verdict.
    public var forgerySign: Bool
    /// Why, in words for the log and the agreement evidence.
    public var reason: String

    public init(verdict: AuthenticationVerdict, forgerySign: Bool = false, reason: String) {
        self.verdict = verdict
        self.forgerySign = forgerySign
        self.reason = reason
    }
}
