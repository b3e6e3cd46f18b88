import Foundation
import GRDB
import RefbotCore
import RefbotStore
import Testing

/// Listing search over the real FTS5 index ("v3: listing search"), ranked with `SearchRanking`.
@Suite("Listing search")
struct ListingSearchTests {
    let store: Store
    let now: Int64 = 1_790_000_000

    init() throws {
        (store, _) = try makeStore()
    }

    /// Inserts a member and returns its id.
    private func member(_ email: String, in db: Database) throws -> Int64 {
        var member = Member(
            email: email, name: email.split(separator: "@")[0].capitalized, business: nil, city: "Springfield",
            state: .active, joinedAt: now)
        try StoreLedger(db).save(&member)
        return member.id ?? 0
    }

    /// Inserts a listing and returns its id.
    @discardableResult
    private func listing(
        _ title: String, owner: Int64, category: String = "Home improvement", location: String? = "Springfield",
        customer: String = "Homeowners", reward: Reward = .none, state: ListingState = .live,
        featuredUntil: Int64? = nil, expiresAt: Int64? = nil, createdAt: Int64? = nil, in db: Database
    ) throws -> Int64 {
        var listing = Listing(
            ownerId: owner, title: title, category: category, location: location, customer: customer, reward: reward,
            state: state, featuredUntil: featuredUntil, expiresAt: expiresAt, createdAt: createdAt ?? now)
        try StoreLedger(db).save(&listing)
        return listing.id ?? 0
    }

    private func search(_ text: String, limit: Int = 20) async throws -> [Int64] {
        let now = now
        return try await store.read { db in
            try StoreLedger(db).searchListings(ListingQuery(parsing: text), now: now, limit: limit).compactMap(
                \.listing.id)
        }
    }

    @Test("Only live listings match; pending, declined, closed and expired ones do not")
    func onlyLive() async throws {
        let ids = try await store.write { db in
            let owner = try member("ann@example.org", in: db)
            return try ListingState.allCases.map { state in
                (state, try listing("Kitchen remodels \(state)", owner: owner, state: state, in: db))
            }
        }
        let live = ids.filter { $0.0 == .live }.map(\.1)
        #expect(try await search("kitchen") == live)
        #expect(try await search("") == live)
    }

    @Test("A listing leaves the index when it is closed and comes back when approved again")
    func indexFollowsState() async throws {
        let id = try await store.write { db in
            try listing("Roof repairs", owner: try member("ann@example.org", in: db), state: .pending, in: db)
        }
        #expect(try await search("roof").isEmpty)
        try await store.write { db in
            try db.execute(sql: "UPDATE listing SET state = 'live' WHERE id = ?", arguments: [id])
        }
        #expect(try await search("roof") == [id])
        try await store.write { db in
            try db.execute(sql: "UPDATE listing SET title = 'Gutter cleaning' WHERE id = ?", arguments: [id])
        }
        #expect(try await search("roof").isEmpty)
        #expect(try await search("gutter") == [id])
        try await store.write { db in
            try db.execute(sql: "UPDATE listing SET state = 'closed' WHERE id = ?", arguments: [id])
        }
        #expect(try await search("gutter").isEmpty)
        try await store.write { db in
            try db.execute(sql: "UPDATE listing SET state = 'live' WHERE id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM listing WHERE id = ?", arguments: [id])
        }
        #expect(try await search("gutter").isEmpty)
        let integrity = try await store.write { db in
            try db.execute(sql: "INSERT INTO listingSearch (listingSearch) VALUES ('integrity-check')")
            return true
        }
        #expect(integrity)
    }

    @Test("Featured listings come first, then the better bm25 match, then the newest")
    func ranking() async throws {
        let (weak, strong, featured, newerWeak) = try await store.write { db in
            let owner = try member("ann@example.org", in: db)
            // "plumbing" only in the customer text: a weaker match than in the title.
            let weak = try listing(
                "Bathroom fitting", owner: owner, customer: "People who need plumbing done", createdAt: now - 300,
                in: db)
            let strong = try listing(
                "Plumbing repairs", owner: owner, category: "Plumbing", createdAt: now - 200, in: db)
            let featured = try listing(
                "Garden design", owner: owner, customer: "Anyone who also needs plumbing", featuredUntil: now + 3600,
                createdAt: now - 400, in: db)
            let newerWeak = try listing(
                "Bathroom fitting too", owner: owner, customer: "People who need plumbing done", createdAt: now - 100,
                in: db)
            return (weak, strong, featured, newerWeak)
        }
        let found = try await search("plumbing")
        #expect(found.first == featured)
        #expect(found.dropFirst().first == strong)
        #expect(Set(found.dropFirst(2)) == [weak, newerWeak])
        // Once the feature has ended it ranks by its match like the rest.
        let later = try await store.read { [now] db in
            try StoreLedger(db).searchListings(ListingQuery(parsing: "plumbing"), now: now + 7200, limit: 20)
        }
        #expect(later.first?.listing.id == strong)
        #expect(later.last?.listing.id != strong)
    }

    @Test("Equal matches list the newest first")
    func newestFirst() async throws {
        let (older, newer) = try await store.write { db in
            let owner = try member("ann@example.org", in: db)
            return (
                try listing("Window cleaning", owner: owner, createdAt: now - 100, in: db),
                try listing("Window cleaning", owner: owner, createdAt: now - 10, in: db)
            )
        }
        #expect(try await search("window") == [newer, older])
    }

    @Test("Words are ANDed, the last word matches as a prefix, and diacritics are ignored")
    func wordsAndPrefix() async throws {
        let (kitchen, cafe) = try await store.write { db in
            let owner = try member("ann@example.org", in: db)
            let kitchen = try listing("Kitchen remodels", owner: owner, in: db)
            let cafe = try listing("Café catering", owner: owner, category: "Food", in: db)
            try listing("Kitchen knives", owner: owner, category: "Retail", in: db)
            return (kitchen, cafe)
        }
        #expect(try await search("kitchen remod") == [kitchen])
        #expect(try await search("home kitch") == [kitchen])
        #expect(try await search("kitch home").isEmpty)  // only the last word is a prefix
        #expect(try await search("cafe") == [cafe])
        #expect(try await search("kitchen catering").isEmpty)
    }

    @Test("category: and location: filter by column, with quoted phrases")
    func filters() async throws {
        let (newYork, york, plumbing) = try await store.write { db in
            let owner = try member("ann@example.org", in: db)
            let newYork = try listing("Tax returns", owner: owner, category: "Accounting", location: "New York", in: db)
            let york = try listing("Tax advice", owner: owner, category: "Accounting", location: "York", in: db)
            let plumbing = try listing(
                "New York plumbing", owner: owner, category: "Plumbing", location: "Boston", in: db)
            return (newYork, york, plumbing)
        }
        #expect(try await search(#"location:"New York""#) == [newYork])
        #expect(Set(try await search("tax location:york")) == [newYork, york])
        #expect(try await search("category:plumbing") == [plumbing])
        #expect(try await search(#"tax category:accounting location:"new york""#) == [newYork])
        #expect(try await search("category:Accounting location:Boston").isEmpty)
    }

    @Test(
        "FTS5 syntax in member input is searched as text, never as syntax",
        arguments: [
            #"kitchen""#, #""kitchen"#, "kitchen*", "*", "NEAR(kitchen remodels)", "kitchen -remodels", "title:kitchen",
            "kitchen OR roof", "NOT kitchen", "kitchen AND", "(kitchen", "kitchen)", "^kitchen", "{title}: kitchen",
            #"category:"home"#, "location:*", #"" OR 1=1 --"#, "kitchen + remodels", "'; DROP TABLE listing; --",
        ])
    func injectionSafe(text: String) async throws {
        let id = try await store.write { db in
            try listing("Kitchen remodels", owner: try member("ann@example.org", in: db), in: db)
        }
        let found = try await search(text)
        // Whatever the query means as words, it runs, returns only live listings, and the table is intact.
        #expect(found.allSatisfy { $0 == id })
        #expect(try await search("kitchen") == [id])
    }

    @Test("Input with nothing to search for finds nothing rather than everything")
    func nothingSearchable() async throws {
        try await store.write { db in
            _ = try listing("Kitchen remodels", owner: try member("ann@example.org", in: db), in: db)
        }
        #expect(try await search("*** --").isEmpty)
        #expect(try await search(#"location:"""#).count == 1)  // an empty filter is no filter
    }

    @Test("The limit caps the results after ranking")
    func limit() async throws {
        let featured = try await store.write { db in
            let owner = try member("ann@example.org", in: db)
            for index in 0..<5 { try listing("Roof work \(index)", owner: owner, createdAt: now - 10, in: db) }
            return try listing(
                "Roof work featured", owner: owner, featuredUntil: now + 60, createdAt: now - 1000, in: db)
        }
        let found = try await search("roof", limit: 3)
        #expect(found.count == 3)
        #expect(found.first == featured)
    }

    @Test("Listings past expiresAt are not found, and listingsToExpire names them")
    func expiry() async throws {
        let (expired, open) = try await store.write { db in
            let owner = try member("ann@example.org", in: db)
            return (
                try listing("Old offer", owner: owner, expiresAt: now - 1, in: db),
                try listing("New offer", owner: owner, expiresAt: now + 86_400, in: db)
            )
        }
        #expect(try await search("offer") == [open])
        let due = try await store.read { [now] db in try StoreLedger(db).listingsToExpire(now: now).compactMap(\.id) }
        #expect(due == [expired])
    }

    @Test("Follows are idempotent and list only active followers")
    func follows() async throws {
        let result = try await store.write { db in
            let ledger = StoreLedger(db)
            let ann = try member("ann@example.org", in: db)
            let bob = try member("bob@example.org", in: db)
            let cat = try member("cat@example.org", in: db)
            let first = try ledger.follow(followerId: bob, followedId: ann, now: now)
            let second = try ledger.follow(followerId: bob, followedId: ann, now: now)
            _ = try ledger.follow(followerId: cat, followedId: ann, now: now)
            try db.execute(sql: "UPDATE member SET state = 'left' WHERE id = ?", arguments: [cat])
            let followers = try ledger.followers(of: ann).map(\.email)
            let removed = try ledger.unfollow(followerId: bob, followedId: ann)
            let removedAgain = try ledger.unfollow(followerId: bob, followedId: ann)
            return (first, second, followers, removed, removedAgain)
        }
        #expect(result.0 == true)
        #expect(result.1 == false)
        #expect(result.2 == ["bob@example.org"])
        #expect(result.3 == true)
        #expect(result.4 == false)
    }
}
