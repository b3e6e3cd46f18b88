import Foundation
import GRDB
import RefbotCore

/// `refbot admin export members|listings|referrals`: the rows an admin hands to another system,
/// each an ordered list of column and value.
///
/// A customer's email and phone are in a referral's row only where the member EXPORT command
/// gives them to the owner: the referral was delivered and the customer consented (the referrer
/// vouched where the network trusts that, or the customer said YES). Otherwise both are empty.
public enum AdminExport {
    public enum Kind: String, Sendable, CaseIterable {
        case members, listings, referrals
    }

    /// One row: columns in order, values as text.
    public typealias Record = [(column: String, value: String)]

    /// The columns of each kind, in order.
    public static func columns(_ kind: Kind) -> [String] {
        switch kind {
        case .members:
            ["email", "name", "business", "category", "city", "website", "phone", "state", "joined", "credits", "points",
             "announcements", "suspended"]
        case .listings:
            ["ref", "owner", "title", "category", "location", "customer", "reward", "state", "created", "updated", "expires"]
        case .referrals:
            ["ref", "state", "listing", "owner", "referrer", "customer", "customer_email", "customer_phone", "consent",
             "need", "reward_owed", "reward_paid", "won", "created", "updated", "closed"]
        }
    }

    /// `2026-12-04T05:30:00Z`, or empty.
    public static func timestamp(_ seconds: Int64?) -> String {
        guard let seconds else { return "" }
        return Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(.iso8601)
    }

    /// The rows of `kind`, oldest first. `since` (seconds) keeps members who joined then or later,
    /// and listings and referrals changed then or later.
    public static func records(_ kind: Kind, since: Int64?, in db: Database) throws -> [Record] {
        let from = since ?? Int64.min
        switch kind {
        case .members:
            let members = try Member.fetchAll(
                db, sql: "SELECT * FROM member WHERE joinedAt >= ? AND erasedAt IS NULL ORDER BY id", arguments: [from])
            return members.map { m in
                zip(columns(.members), [
                    m.email, m.name, m.business ?? "", m.category ?? "", m.city ?? "", m.website ?? "", m.phone ?? "",
                    m.state.rawValue, timestamp(m.joinedAt), "\(m.credits)", "\(m.points)",
                    m.announcementsOff ? "off" : "on", m.isSuspended ? "yes" : "no",
                ]).map { ($0, $1) }
            }
        case .listings:
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT listing.*, member.email AS exportOwner FROM listing JOIN member ON member.id = listing.ownerId
                    WHERE listing.updatedAt >= ? ORDER BY listing.id
                    """, arguments: [from])
            return try rows.map { row in
                let l = try Listing(row: row)
                let owner: String = row["exportOwner"]
                return zip(columns(.listings), [
                    l.listingID?.description ?? "", owner, l.title, l.category, l.location ?? "", l.customer,
                    l.reward.description, l.state.rawValue, timestamp(l.createdAt), timestamp(l.updatedAt),
                    timestamp(l.expiresAt),
                ]).map { ($0, $1) }
            }
        case .referrals:
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT referral.*, o.email AS exportOwner, f.email AS exportReferrer FROM referral
                    JOIN member o ON o.id = referral.ownerId JOIN member f ON f.id = referral.referrerId
                    WHERE referral.updatedAt >= ? ORDER BY referral.id
                    """, arguments: [from])
            return try rows.map { row in
                let r = try Referral(row: row)
                let owner: String = row["exportOwner"]
                let referrer: String = row["exportReferrer"]
                let contact = r.ownerSeesContactDetails
                return zip(columns(.referrals), [
                    r.referralID?.description ?? "", r.state.rawValue, "L-\(r.listingId)", owner, referrer, r.customerName,
                    contact ? r.customerEmail ?? "" : "", contact ? r.customerPhone ?? "" : "", r.consent.rawValue,
                    r.need, r.rewardOwed?.plain ?? r.inKindOwed ?? "", r.rewardPaid?.plain ?? "", r.wonAmount?.plain ?? "",
                    timestamp(r.createdAt), timestamp(r.updatedAt), timestamp(r.closedAt),
                ]).map { ($0, $1) }
            }
        }
    }
}
