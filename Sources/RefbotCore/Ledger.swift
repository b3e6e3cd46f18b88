/// The state a command handler reads and changes, inside the one transaction that also queues
/// the mail the change causes. `RefbotStore`'s `StoreLedger` implements it over SQLite.
///
/// It is split by concern; each part lives in its own file:
/// ``MemberLedger`` (members, reply tags, held commands), ``ListingLedger`` (listings, search,
/// follows), ``NetworkLedger`` (connections) and ``ReferralLedger`` (referrals, agreements).
///
/// ```swift
/// guard let member = try ledger.member(email: context.sender) else { throw CommandError(…) }
/// ```
public protocol Ledger: MemberLedger, ListingLedger, NetworkLedger, ReferralLedger, RecognitionLedger, DigestLedger {}
