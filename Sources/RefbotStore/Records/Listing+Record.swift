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

    /// The terms' text when they are custom.
    private var customTerms: String? {
        if case .custom(let text) = terms { return text }
        return nil
    }

    /// Every stored column but `id`, in the order of ``storedValues``.
    static let storedColumns = [
        "ownerId", "title", "category", "location", "customer", "rewardKind", "rewardAmountMinor", "rewardCurrency",
        "rewardBasisPoints", "rewardText", "customTerms", "state", "featuredUntil", "expiresAt", "createdAt",
        "updatedAt", "declineReason", "profession", "jurisdiction", "complianceHeldBy", "complianceDisclosure",
        "complianceOverrideReason", "complianceOverrideBy", "complianceOverrideAt",
    ]

    /// The values of ``storedColumns``.
    var storedValues: [(any DatabaseValueConvertible)?] {
        [
            ownerId, title, category, location, customer, reward.kind.rawValue, reward.amount?.amountMinor,
            reward.amount?.currency, reward.basisPoints, reward.inKindText, customTerms, state.rawValue,
            featuredUntil, expiresAt, createdAt, updatedAt, declineReason, compliance.profession,
            compliance.jurisdiction, compliance.heldBy, compliance.disclosure, compliance.overrideReason,
            compliance.overrideBy, compliance.overrideAt,
        ]
    }

    /// One statement that writes every stored column of the row with the given id.
    static let updateSQL = StoreLedger.updateSQL(table: databaseTableName, columns: storedColumns)
    /// One statement that inserts a new row with every stored column (SQLite picks the id).
    static let insertSQL = Database.insertSQL(table: databaseTableName, columns: storedColumns)

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        for (column, value) in zip(Self.storedColumns, storedValues) { container[column] = value }
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

    /// Every stored column but `id`, in the order of ``storedValues``.
    static let storedColumns = [
        "listingId", "ownerId", "referrerId", "customerName", "customerEmail", "customerPhone", "need", "consent",
        "state", "createdAt", "deliveredAt", "updatedAt", "remindedAt", "acceptedAt", "closedAt", "rewardOwedMinor",
        "rewardOwedCurrency", "inKindOwed", "rewardPaidMinor", "rewardPaidCurrency", "wonAmountMinor", "wonCurrency",
        "rejectReason", "lostReason", "disputeReason", "disputedAt", "selfReferralFlag",
    ]

    /// The values of ``storedColumns``.
    var storedValues: [(any DatabaseValueConvertible)?] {
        [
            listingId, ownerId, referrerId, customerName, customerEmail, customerPhone, need, consent.rawValue,
            state.rawValue, createdAt, deliveredAt, updatedAt, remindedAt, acceptedAt, closedAt,
            rewardOwed?.amountMinor, rewardOwed?.currency, inKindOwed, rewardPaid?.amountMinor, rewardPaid?.currency,
            wonAmount?.amountMinor, wonAmount?.currency, rejectReason, lostReason, disputeReason, disputedAt,
            selfReferralFlag,
        ]
    }

    /// One statement that writes every stored column of the row with the given id.
    static let updateSQL = StoreLedger.updateSQL(table: databaseTableName, columns: storedColumns)
    /// One statement that inserts a new row with every stored column (SQLite picks the id).
    static let insertSQL = Database.insertSQL(table: databaseTableName, columns: storedColumns)

    public func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        for (column, value) in zip(Self.storedColumns, storedValues) { container[column] = value }
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
