/// The partnership terms between a listing's owner and one referrer, with the evidence of the
/// referrer's agreement (spec §3, "Agreements keep evidence").
public struct Agreement: Sendable, Hashable, Codable, Identifiable {
    /// The stored row id; `nil` until stored.
    public var id: Int64?
    /// The listing the terms are for.
    public var listingId: Int64
    /// The listing's owner.
    public var ownerId: Int64
    /// The referrer who agreed.
    public var referrerId: Int64
    /// The version of the standard text, or `custom` for the owner's own terms.
    public var version: String
    /// SHA-256 of the UTF-8 bytes of the attached text, 64 lower-case hex digits.
    public var sha256: String
    /// When the owner agreed (posted the listing with these terms), Unix seconds.
    public var ownerAgreedAt: Int64
    /// How the owner agreed.
    public var ownerMethod: AgreementMethod
    /// When the referrer agreed; the agreement is executed from then.
    public var referrerAgreedAt: Int64
    /// How the referrer agreed.
    public var referrerMethod: AgreementMethod
    /// An opaque id for the referrer's agreeing reply (`ev-…`, random): names that evidence
    /// without showing the reply tag it came to, which stays a capability of the referrer alone.
    public var evidenceId: String?
    /// The Message-ID of the referrer's AGREE mail (`nil` for a link).
    public var messageId: String?
    /// The `Authentication-Results` verdict of that mail, e.g. `dmarc=pass`.
    public var authVerdict: String?

    /// An executed agreement.
    public init(
        id: Int64? = nil, listingId: Int64, ownerId: Int64, referrerId: Int64, version: String, sha256: String,
        ownerAgreedAt: Int64, ownerMethod: AgreementMethod = .listing, referrerAgreedAt: Int64,
        referrerMethod: AgreementMethod, evidenceId: String? = nil, messageId: String? = nil, authVerdict: String? = nil
    ) {
        self.id = id
        self.listingId = listingId
        self.ownerId = ownerId
        self.referrerId = referrerId
        self.version = version
        self.sha256 = sha256.lowercased()
        self.ownerAgreedAt = ownerAgreedAt
        self.ownerMethod = ownerMethod
        self.referrerAgreedAt = referrerAgreedAt
        self.referrerMethod = referrerMethod
        self.evidenceId = evidenceId
        self.messageId = messageId
        self.authVerdict = authVerdict
    }

    /// A new random evidence id: `ev-` and 20 characters from a-z and 2-7 (100 bits), not derived
    /// from anything.
    public static func newEvidenceId() -> String { "ev-" + RandomBase32.string(count: 20) }

    /// The version recorded for an owner's custom terms.
    public static let customVersion = "custom"

    /// Whether `sha256` is 64 lower-case hex digits.
    public var hasWellFormedDigest: Bool {
        sha256.utf8.count == 64 && sha256.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// Whether this agreement still covers new referrals: a new version of the standard text, or
    /// changed custom text, asks again (spec §3).
    public func covers(version currentVersion: String, sha256 currentDigest: String) -> Bool {
        version == currentVersion && sha256 == currentDigest.lowercased()
    }
}
