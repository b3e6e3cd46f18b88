/// Listings, their search, and follows.
public protocol ListingLedger {
    /// The listing with this id, if any.
    func listing(id: Int64) throws -> Listing?
    /// Inserts the listing (setting its id) or updates it.
    func save(_ listing: inout Listing) throws
}
