import GRDB
import RefbotCore

/// A listing's reward is kept in plain columns (money as integer minor units), not as JSON.
extension Listing: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "listing"

    public init(row: Row) throws {
        self.init(row: row, at: try row.positions(of: Self.orderedColumns, table: Self.databaseTableName))
    }

    /// Reads the row with column `orderedColumns[n]` at `p[n]`.
    private init(row: Row, at p: [Int]) {
        let kind = Reward.Kind(rawValue: row[p[6]] ?? "none") ?? .none
        let reward = Reward(
            kind: kind, amountMinor: row[p[7]], currency: row[p[8]], basisPoints: row[p[9]], text: row[p[10]]) ?? .none
        let customTerms: String? = row[p[11]]
        self.init(
            id: row[p[0]], ownerId: row[p[1]], title: row[p[2]], category: row[p[3]], location: row[p[4]],
            customer: row[p[5]], reward: reward, terms: customTerms.map { .custom($0) } ?? .standard,
            state: ListingState(rawValue: row[p[12]] ?? "") ?? .pending, featuredUntil: row[p[13]],
            expiresAt: row[p[14]], createdAt: row[p[15]], updatedAt: row[p[16]], declineReason: row[p[17]])
        compliance = ListingCompliance(
            profession: row[p[18]], jurisdiction: row[p[19]], heldBy: row[p[20]], disclosure: row[p[21]],
            overrideReason: row[p[22]], overrideBy: row[p[23]], overrideAt: row[p[24]])
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

    /// `id`, then ``storedColumns``: the order ``init(row:at:)`` reads them in.
    static let orderedColumns = ["id"] + storedColumns
    /// Positions 0, 1, 2 … of ``orderedColumns``.
    private static let inOrder = Array(orderedColumns.indices)

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

extension Listing: OrderedColumns {
    init(orderedRow row: Row) throws { self.init(row: row, at: Self.inOrder) }
}

/// Referral money is kept as minor units plus currency columns.
extension Referral: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "referral"

    private static func money(_ row: Row, _ minor: Int, currency: Int) -> Money? {
        guard let minor: Int64 = row[minor], let code: String = row[currency] else { return nil }
        return Money(amountMinor: minor, currency: code)
    }

    public init(row: Row) throws {
        self.init(row: row, at: try row.positions(of: Self.orderedColumns, table: Self.databaseTableName))
    }

    /// Reads the row with column `orderedColumns[n]` at `p[n]`.
    private init(row: Row, at p: [Int]) {
        self.init(
            id: row[p[0]], listingId: row[p[1]], ownerId: row[p[2]], referrerId: row[p[3]],
            customerName: row[p[4]], customerEmail: row[p[5]], customerPhone: row[p[6]],
            need: row[p[7]], consent: CustomerConsent(rawValue: row[p[8]] ?? "") ?? .byReferrer,
            state: ReferralState(rawValue: row[p[9]] ?? "") ?? .pending, createdAt: row[p[10]],
            deliveredAt: row[p[11]], updatedAt: row[p[12]], remindedAt: row[p[13]],
            acceptedAt: row[p[14]], closedAt: row[p[15]],
            rewardOwed: Self.money(row, p[16], currency: p[17]), inKindOwed: row[p[18]],
            rewardPaid: Self.money(row, p[19], currency: p[20]),
            wonAmount: Self.money(row, p[21], currency: p[22]), rejectReason: row[p[23]],
            lostReason: row[p[24]], disputeReason: row[p[25]], disputedAt: row[p[26]],
            selfReferralFlag: row[p[27]] ?? false)
    }

    /// Every stored column but `id`, in the order of ``storedValues``.
    static let storedColumns = [
        "listingId", "ownerId", "referrerId", "customerName", "customerEmail", "customerPhone", "need", "consent",
        "state", "createdAt", "deliveredAt", "updatedAt", "remindedAt", "acceptedAt", "closedAt", "rewardOwedMinor",
        "rewardOwedCurrency", "inKindOwed", "rewardPaidMinor", "rewardPaidCurrency", "wonAmountMinor", "wonCurrency",
        "rejectReason", "lostReason", "disputeReason", "disputedAt", "selfReferralFlag",
    ]

    /// `id`, then ``storedColumns``: the order ``init(row:at:)`` reads them in.
    static let orderedColumns = ["id"] + storedColumns
    /// Positions 0, 1, 2 … of ``orderedColumns``.
    private static let inOrder = Array(orderedColumns.indices)

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

extension Referral: OrderedColumns {
    init(orderedRow row: Row) throws { self.init(row: row, at: Self.inOrder) }
}
