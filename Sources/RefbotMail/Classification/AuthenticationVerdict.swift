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
