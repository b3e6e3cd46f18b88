import GRDB
import RefbotCore

/// A listing's reward is kept in plain columns (money as integer minor units), not as JSON.
extension Listing: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "listing"

    public init(row: Row) throws {
        let kind = Reward.Kind(rawValue: row["rewardKind"] ?? "none") ?? .none
        let reward = Reward(
            kind: kind, amountMinor: row["rewardAmountMinor"], currency: row["rewardCurrency"],
            basisPoints: row["rewardBasisPoints"], text: row["rewardText"]) ?? .none
        let customTerms: String? = row["customTerms"]
        self.init(
            id: row["id"], ownerId: row["ownerId"], title: row["title"], category: row["category"],
            location: row["location"], customer: row["customer"], reward: reward,
            terms: customTerms.map { .custom($0) } ?? .standard,
            state: ListingState(rawValue: row["state"] ?? "") ?? .pending, featuredUntil: row["featuredUntil"],
            expiresAt: row["expiresAt"], createdAt: row["createdAt"], updatedAt: row["updatedAt"],
            declineReason: row["declineReason"])
        compliance = ListingCompliance(
            profession: row["profession"], jurisdiction: row["jurisdiction"], heldBy: row["complianceHeldBy"],
            disclosure: row["complianceDisclosure"], overrideReason: row["complianceOverrideReason"],
            overrideBy: row["complianceOverrideBy"], overrideAt: row["complianceOverrideAt"])
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["ownerId"] = ownerId
        container["title"] = title
        container["category"] = category
        container["location"] = location
        container["customer"] = customer
        container["rewardKind"] = reward.kind.rawValue
        container["rewardAmountMinor"] = reward.amount?.amountMinor
        container["rewardCurrency"] = reward.amount?.currency
        container["rewardBasisPoints"] = reward.basisPoints
        container["rewardText"] = reward.inKindText
        if case .custom(let text) = terms { container["customTerms"] = text } else { container["customTerms"] = nil }
        container["state"] = state.rawValue
        container["featuredUntil"] = featuredUntil
        container["expiresAt"] = expiresAt
        container["createdAt"] = createdAt
        container["updatedAt"] = updatedAt
        container["declineReason"] = declineReason
        container["profession"] = compliance.profession
        container["jurisdiction"] = compliance.jurisdiction
        container["complianceHeldBy"] = compliance.heldBy
        container["complianceDisclosure"] = compliance.disclosure
        container["complianceOverrideReason"] = compliance.overrideReason
        container["complianceOverrideBy"] = compliance.overrideBy
        container["complianceOverrideAt"] = compliance.overrideAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// Referral money is kept as minor units plus currency columns.
extension Referral: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "referral"

    private static func money(_ row: Row, _ prefix: String, currency: String) -> Money? {
        guard let minor: Int64 = row["\(prefix)Minor"], let code: String = row[currency] else { return nil }
        return Money(amountMinor: minor, currency: code)
    }

    public init(row: Row) throws {
        self.init(
            id: row["id"], listingId: row["listingId"], ownerId: row["ownerId"], referrerId: row["referrerId"],
            customerName: row["customerName"], customerEmail: row["customerEmail"], customerPhone: row["customerPhone"],
            need: row["need"], consent: CustomerConsent(rawValue: row["consent"] ?? "") ?? .byReferrer,
            state: ReferralState(rawValue: row["state"] ?? "") ?? .pending, createdAt: row["createdAt"],
            deliveredAt: row["deliveredAt"], updatedAt: row["updatedAt"], remindedAt: row["remindedAt"],
            acceptedAt: row["acceptedAt"], closedAt: row["closedAt"],
            rewardOwed: Self.money(row, "rewardOwed", currency: "rewardOwedCurrency"), inKindOwed: row["inKindOwed"],
            rewardPaid: Self.money(row, "rewardPaid", currency: "rewardPaidCurrency"),
            wonAmount: Self.money(row, "wonAmount", currency: "wonCurrency"), rejectReason: row["rejectReason"],
            lostReason: row["lostReason"], disputeReason: row["disputeReason"], disputedAt: row["disputedAt"],
            selfReferralFlag: row["selfReferralFlag"] ?? false)
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["listingId"] = listingId
        container["ownerId"] = ownerId
        container["referrerId"] = referrerId
        container["customerName"] = customerName
        container["customerEmail"] = customerEmail
        container["customerPhone"] = customerPhone
        container["need"] = need
        container["consent"] = consent.rawValue
        container["state"] = state.rawValue
        container["createdAt"] = createdAt
        container["deliveredAt"] = deliveredAt
        container["updatedAt"] = updatedAt
        container["remindedAt"] = remindedAt
        container["acceptedAt"] = acceptedAt
        container["closedAt"] = closedAt
        container["rewardOwedMinor"] = rewardOwed?.amountMinor
        container["rewardOwedCurrency"] = rewardOwed?.currency
        container["inKindOwed"] = inKindOwed
        container["rewardPaidMinor"] = rewardPaid?.amountMinor
        container["rewardPaidCurrency"] = rewardPaid?.currency
        container["wonAmountMinor"] = wonAmount?.amountMinor
        container["wonCurrency"] = wonAmount?.currency
        container["rejectReason"] = rejectReason
        container["lostReason"] = lostReason
        container["disputeReason"] = disputeReason
        container["disputedAt"] = disputedAt
        container["selfReferralFlag"] = selfReferralFlag
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
