import Foundation
import GRDB
import RefbotCore

// The options, the generated network and the timing helpers of the scale benchmark (main.swift).

// MARK: - Options

struct Options {
    var members = 100_000
    var listings = 20_000
    var referrals = 1_000_000
    var connectionsPerMember = 4
    var runs = 300
    var database: String?
    var reuse = false
    var explain = false
    var profile = false
    var withoutV6Indexes = false
    var root = FileManager.default.currentDirectoryPath

    static let usage = """
        usage: refbot-bench [--members N] [--listings N] [--referrals N] [--connections-per-member N]
                            [--runs N] [--database PATH] [--reuse] [--explain] [--profile]
                            [--without-v6-indexes] [--root PATH]

          --database PATH  where the network is made (default: a fresh file in a temporary folder, removed after)
          --reuse          measure an existing --database as it is instead of making it anew
          --explain        print SQLite's query plan for the queries the three commands run
          --profile        for one run of each command, print the SQL statements that took the most time
          --without-v6-indexes  drop the indexes of migration "v6: lookup indexes" after making the network,
                           to measure the schema as it was before them
          --root PATH      the repository (for mail-templates/); default: the current folder
        """

    init(_ arguments: [String]) {
        var iterator = arguments.makeIterator()
        func number(_ name: String) -> Int {
            guard let text = iterator.next(), let value = Int(text.replacingOccurrences(of: "_", with: "")), value >= 0 else {
                fail("\(name) needs a number")
            }
            return value
        }
        func text(_ name: String) -> String {
            guard let value = iterator.next() else { fail("\(name) needs a path") }
            return value
        }
        while let argument = iterator.next() {
            switch argument {
            case "--members": members = max(number(argument), 10)
            case "--listings": listings = max(number(argument), 10)
            case "--referrals": referrals = number(argument)
            case "--connections-per-member": connectionsPerMember = number(argument)
            case "--runs": runs = max(number(argument), 1)
            case "--database": database = text(argument)
            case "--reuse": reuse = true
            case "--explain": explain = true
            case "--profile": profile = true
            case "--without-v6-indexes": withoutV6Indexes = true
            case "--root": root = text(argument)
            case "-h", "--help":
                say(Options.usage)
                exit(0)
            default: fail("unknown option \(argument)")
            }
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("refbot-bench: \(message)\n\n\(Options.usage)\n".utf8))
    exit(2)
}

func progress(_ message: String) {
    FileHandle.standardError.write(Data("\(message)\n".utf8))
}

/// A small deterministic generator (xorshift), so every run builds the same network.
struct Generator {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

// MARK: - Vocabulary

let firstNames = ["Alice", "Bob", "Carol", "Dana", "Eli", "Farah", "Grace", "Hugo", "Ines", "Jonas", "Kemal", "Lena",
                  "Marta", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Samir", "Tess", "Umar", "Vera", "Wen", "Yusuf"]
let lastNames = ["Builder", "Diaz", "Whitfield", "Okafor", "Novak", "Schmidt", "Tanaka", "Moreau", "Rossi", "Kowalski",
                 "Haddad", "Larsen", "Silva", "Nguyen", "Fischer", "Byrne", "Costa", "Meyer", "Ivanova", "Park"]
let cities = ["Springfield", "Riverside", "Fairview", "Madison", "Georgetown", "Arlington", "Salem", "Clinton",
              "Greenville", "Bristol", "Oxford", "Dover", "Franklin", "Ashland", "Milton", "New York", "San Diego",
              "Portland", "Austin", "Denver", "Boston", "Chicago", "Seattle", "Miami", "Berlin", "Lyon", "Porto"]
/// (title, category) of the trades listings offer work in.
let trades: [(String, String)] = [
    ("Kitchen remodels", "Home improvement"), ("Bathroom tiling", "Home improvement"), ("Roof repair", "Construction"),
    ("Plumbing and heating", "Home improvement"), ("Electrical rewiring", "Construction"),
    ("Garden design", "Landscaping"), ("Tree surgery", "Landscaping"), ("Wedding photography", "Events"),
    ("Event catering", "Events"), ("Tax returns for freelancers", "Finance"), ("Bookkeeping", "Finance"),
    ("Mortgage advice", "Finance"), ("Dog grooming", "Pets"), ("Veterinary house calls", "Pets"),
    ("Website design", "Marketing"), ("Search engine optimisation", "Marketing"), ("Social media ads", "Marketing"),
    ("Office cleaning", "Cleaning"), ("Window cleaning", "Cleaning"), ("Moving and storage", "Logistics"),
    ("Courier deliveries", "Logistics"), ("Personal training", "Health"), ("Physiotherapy", "Health"),
    ("Dental implants", "Health"), ("Conveyancing", "Legal"), ("Employment law", "Legal"),
    ("IT support for small offices", "Technology"), ("Solar panel installation", "Energy"),
    ("Heat pump installation", "Energy"), ("Used car sales", "Automotive"), ("Car servicing", "Automotive"),
    ("Piano lessons", "Education"), ("Maths tutoring", "Education"), ("Interior design", "Home improvement"),
]
let customers = ["Homeowners", "Small businesses", "Couples planning a wedding", "Landlords", "Families with children",
                 "Freelancers", "New parents", "Retirees", "Start-ups", "Property developers"]
let needs = ["A new kitchen before summer", "Quote for a full rewire", "Needs help with last year's return",
             "Looking for someone reliable, soon", "Wants three quotes", "Moving in March", "Budget about 5k",
             "Call after 5pm please", "Urgent: leak in the roof", "Planning for next spring"]

// MARK: - The network

let now: Int64 = 1_790_000_000
let day: Int64 = 86_400

func memberEmail(_ id: Int) -> String { "member\(id)@biz\(id % 997).example" }

/// Fills the empty, migrated database in one transaction with prepared statements.
func generate(_ db: Database, _ options: Options) throws {
    try db.execute(sql: "PRAGMA cache_size = -262144")
    var random = Generator()
    let clock = ContinuousClock()
    var started = clock.now
    func done(_ what: String, _ count: Int) {
        progress(String(format: "  %d %@ in %.1f s", count, what, seconds(clock.now - started)))
        started = clock.now
    }

    // Members: member 1 is the busy one (many listings, many referrals both ways).
    let member = try db.makeStatement(
        sql: """
            INSERT INTO member (id, email, name, business, category, city, state, credits, points, joinedAt, confirmedAt, leftAt)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    var active = [Bool](repeating: false, count: options.members + 1)
    for id in 1...options.members {
        let trade = random.pick(trades)
        let name = "\(random.pick(firstNames)) \(random.pick(lastNames))"
        let roll = random.below(100)
        let state = id == 1 || roll >= 4 ? "active" : (roll < 2 ? "pending" : "left")
        active[id] = state == "active"
        let joined = now - Int64(random.below(3 * 365)) * day
        member.setUncheckedArguments([
            id, memberEmail(id), name, "\(name.split(separator: " ").last ?? "") \(trade.1)", trade.1, random.pick(cities),
            state, id == 1 ? 1_000_000 : 5 + random.below(40), random.below(500), joined,
            state == "pending" ? nil : joined + 3600, state == "left" ? now - day : nil,
        ])
        try member.execute()
        if id % 50_000 == 0 { progress("  members: \(id)") }
    }
    done("members", options.members)

    // Listings: most live; member 1 owns the first 20. Triggers fill the search index as refbot's do.
    let listing = try db.makeStatement(
        sql: """
            INSERT INTO listing (id, ownerId, title, category, location, customer, rewardKind, rewardAmountMinor,
              rewardCurrency, rewardBasisPoints, rewardText, state, featuredUntil, expiresAt, createdAt, updatedAt, declineReason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    var listingOwner = [Int](repeating: 0, count: options.listings + 1)
    var liveListings: [Int] = []
    for id in 1...options.listings {
        var owner = id <= 20 ? 1 : 2 + random.below(options.members - 1)
        while !active[owner] { owner = 2 + random.below(options.members - 1) }
        listingOwner[id] = owner
        let trade = random.pick(trades)
        let city = random.pick(cities)
        let title = random.chance(60) ? "\(trade.0) in \(city)" : trade.0
        let roll = random.below(100)
        let state =
            roll < 85 ? "live" : roll < 90 ? "pending" : roll < 94 ? "closed" : roll < 98 ? "expired" : "declined"
        if state == "live" { liveListings.append(id) }
        var kind = "none"
        var amount: Int?
        var currency: String?
        var basisPoints: Int?
        var text: String?
        switch random.below(10) {
        case 0...3: (kind, amount, currency) = ("perLead", 1_000 * (2 + random.below(20)), "USD")
        case 4...6: (kind, amount, currency) = ("perSale", 5_000 * (2 + random.below(40)), "USD")
        case 7: (kind, basisPoints) = ("percentOfSale", 100 * (2 + random.below(14)))
        case 8: (kind, text) = ("inKind", "a free consultation")
        default: break
        }
        let created = now - Int64(random.below(2 * 365)) * day
        let featured: Int64? = state == "live" && random.chance(2) ? now + 7 * day : nil
        let expires: Int64? =
            state == "live" ? (random.chance(50) ? nil : now + Int64(1 + random.below(180)) * day)
            : state == "expired" ? now - Int64(random.below(300)) * day : nil
        listing.setUncheckedArguments([
            id, owner, title, trade.1, random.chance(90) ? city : nil, random.pick(customers), kind, amount, currency,
            basisPoints, text, state, featured, expires, created, created, state == "declined" ? "Not a business" : nil,
        ])
        try listing.execute()
    }
    done("listings (\(liveListings.count) live, in the search index)", options.listings)

    // Referrals, each with the reply tags refbot made for it and the mail that announced it.
    let referral = try db.makeStatement(
        sql: """
            INSERT INTO referral (id, listingId, ownerId, referrerId, customerName, customerEmail, customerPhone, need,
              consent, state, createdAt, deliveredAt, updatedAt, acceptedAt, closedAt, rewardOwedMinor, rewardOwedCurrency,
              rewardPaidMinor, rewardPaidCurrency, wonAmountMinor, wonCurrency, rejectReason, lostReason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
    let token = try db.makeStatement(
        sql: "INSERT INTO replyToken (tokenHash, memberEmail, action, ref, createdAt, expiresAt) VALUES (?, ?, ?, ?, ?, ?)")
    let outbox = try db.makeStatement(
        sql: """
            INSERT INTO outboxMessage (event, ref, recipients, envelopeFrom, messageId, raw, state, attempts,
              firstQueuedAt, nextAttemptAt, sentAt)
            VALUES ('referral.new', ?, ?, ?, ?, ?, 'sent', 1, ?, ?, ?)
            """)
    // History mail is shortened to a header block: enough for the table's shape, not its full size.
    let historyRaw = Data(
        (0..<6).map { "X-History-\($0): a line standing in for the headers and text of a sent mail\r\n" }.joined().utf8)
    var tokens = 0
    func makeToken(_ email: String, _ action: String, _ ref: String, _ created: Int64) throws {
        tokens += 1
        // Stored hashed, as refbot stores tags; the bench recomputes the clear tag with benchTag.
        token.setUncheckedArguments([ReplyTag.hash(benchTag(action: action, ref: ref)), email, action, ref, created, created + 30 * day])
        try token.execute()
    }
    let heavyReceived = options.referrals / 100
    for id in 1...max(options.referrals, 1) where options.referrals > 0 {
        let listingId: Int
        if id % 100 == 0 {
            listingId = 1 + random.below(min(20, options.listings))  // member 1's listings: 1 % of all referrals
        } else {
            listingId = liveListings.isEmpty ? 1 + random.below(options.listings) : random.pick(liveListings)
        }
        let owner = listingOwner[listingId]
        var referrer = id % 500 == 1 && owner != 1 ? 1 : 1 + random.below(options.members)
        while referrer == owner || !active[referrer] { referrer = 1 + random.below(options.members) }
        // A growing network: 3 % of referrals are from the last three days, the rest spread over three years.
        let age = random.chance(3) ? Int64(random.below(3 * 86_400)) : Int64(3 * 86_400 + random.below(3 * 365 * 86_400))
        let created = now - age
        let roll = random.below(100)
        let state: String
        if age < 3 * day {
            state = roll < 60 ? "pending" : roll < 85 ? "accepted" : roll < 90 ? "rejected" : "contacted"
        } else if age < 30 * day {
            state = ["pending", "accepted", "accepted", "contacted", "contacted", "contacted", "won", "lost", "rejected",
                     "expired"][roll % 10]
        } else {
            state = ["won", "paid", "closed", "closed", "closed", "lost", "lost", "rejected", "expired", "expired"][roll % 10]
        }
        let consentRoll = random.below(100)
        let consent = consentRoll < 75 ? "byReferrer" : consentRoll < 95 ? "granted" : consentRoll < 98 ? "asked" : "refused"
        let delivered: Int64? = state == "pending" && (consent == "asked" || random.chance(15)) ? nil : created + 60
        let accepted: Int64? = ["pending", "rejected", "expired"].contains(state) ? nil : created + 3600
        let closed: Int64? = ["closed", "rejected", "expired"].contains(state) ? created + 20 * day : nil
        let won = ["won", "paid", "closed"].contains(state)
        let owed: Int? = won ? 5_000 * (1 + random.below(20)) : nil
        let paid: Int? = state == "paid" || state == "closed" ? owed : nil
        let customer = "\(random.pick(firstNames)) \(random.pick(lastNames))"
        referral.setUncheckedArguments([
            id, listingId, owner, referrer, customer, random.chance(80) ? "customer\(id)@mail.example" : nil,
            random.chance(50) ? "555-\(1000 + id % 9000)" : nil, random.pick(needs), consent, state, created, delivered,
            created + 3600, accepted, closed, owed, owed.map { _ in "USD" }, paid, paid.map { _ in "USD" },
            won ? 100_000 * (1 + random.below(50)) : nil, won ? "USD" : nil, state == "rejected" ? "Too far away" : nil,
            state == "lost" ? "Went with a cheaper quote" : nil,
        ])
        try referral.execute()
        let ref = "R-\(id)"
        let ownerEmail = memberEmail(owner)
        if delivered != nil {
            try makeToken(ownerEmail, ReplyAction.referralOwner, ref, created)
            outbox.setUncheckedArguments([
                ref, ownerEmail, "referrals+bounce-\(id)@example.org", "r\(id).history@example.org", historyRaw, created,
                created, created + 5,
            ])
            try outbox.execute()
        }
        try makeToken(memberEmail(referrer), ReplyAction.referralReferrer, ref, created)
        if id % 100_000 == 0 { progress("  referrals: \(id)") }
    }
    done("referrals (member 1 owns ~\(heavyReceived); \(tokens) reply tags, one sent mail per delivered referral)",
         options.referrals)

    // Connections: a few requests per member, most accepted; member 1 has requests waiting.
    let connection = try db.makeStatement(
        sql: """
            INSERT OR IGNORE INTO connection (requesterId, addresseeId, state, message, createdAt, decidedAt)
            VALUES (?, ?, ?, ?, ?, ?)
            """)
    var connections = 0
    for requester in 1...options.members {
        for _ in 0..<options.connectionsPerMember {
            let addressee = requester % 250 == 0 ? 1 : 1 + random.below(options.members)
            guard addressee != requester else { continue }
            let roll = random.below(100)
            let state = addressee == 1 || roll < 8 ? "pending" : roll < 93 ? "accepted" : "rejected"
            let created = now - Int64(random.below(3 * 365)) * day
            connection.setUncheckedArguments([
                requester, addressee, state, random.chance(30) ? "We share customers." : nil, created,
                state == "pending" ? nil : created + day,
            ])
            try connection.execute()
            connections += db.changesCount
        }
    }
    done("connections", connections)

    for (index, title) in ["Welcome to the network", "How to write a good listing", "Spring referral drive"].enumerated() {
        try db.execute(
            sql: "INSERT INTO announcement (title, body, createdAt, sentCount) VALUES (?, ?, ?, ?)",
            arguments: [title, "Announcement text.", now - Int64(90 - 30 * index) * day, options.members])
    }
}

// MARK: - Measuring

struct Latencies {
    var name: String
    var milliseconds: [Double]

    func percentile(_ p: Double) -> Double {
        let sorted = milliseconds.sorted()
        let rank = Int((p / 100 * Double(sorted.count - 1)).rounded())
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    var line: String {
        let p95 = percentile(95)
        return name.padding(toLength: max(52, name.count), withPad: " ", startingAt: 0) + String(
            format: " %5d runs  p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms  max %7.2f ms  %@",
            milliseconds.count, percentile(50), p95, percentile(99), milliseconds.max() ?? 0,
            p95 < 20 ? "ok" : "OVER 20 ms")
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Times `runs` calls of `body` (after `warmup` untimed ones), each given its run number.
func measure(
    _ name: String, runs: Int, warmup: Int = 5, _ body: (Int) async throws -> Void
) async throws -> Latencies {
    for index in 0..<warmup { try await body(index) }
    let clock = ContinuousClock()
    var milliseconds: [Double] = []
    milliseconds.reserveCapacity(runs)
    for index in warmup..<(warmup + runs) {
        let start = clock.now
        try await body(index)
        milliseconds.append(seconds(clock.now - start) * 1000)
    }
    let result = Latencies(name: name, milliseconds: milliseconds)
    say(result.line)
    return result
}


/// SQLite's own time per statement text, summed over the statements one command ran.
final class SQLProfile: @unchecked Sendable {
    private let lock = NSLock()
    private var totals: [String: (count: Int, seconds: Double)] = [:]

    func record(_ event: Database.TraceEvent) {
        guard case .profile(let statement, let duration) = event else { return }
        let sql = statement.sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        lock.lock()
        defer { lock.unlock() }
        let old = totals[sql] ?? (0, 0)
        totals[sql] = (old.count + 1, old.seconds + duration)
    }

    /// The statements by time, most first, and their share of the command's `total`; then forgets them.
    func report(_ name: String, total: Duration) -> String {
        lock.lock()
        defer {
            totals = [:]
            lock.unlock()
        }
        let sqlSeconds = totals.values.reduce(0) { $0 + $1.seconds }
        var lines = [String(format: "profile of %@: %.2f ms in all, %.2f ms in SQLite", name, seconds(total) * 1000, sqlSeconds * 1000)]
        for (sql, value) in totals.sorted(by: { $0.value.seconds > $1.value.seconds }).prefix(6) {
            lines.append(String(format: "  %8.2f ms  %5d x  %@", value.seconds * 1000, value.count, String(sql.prefix(150))))
        }
        return lines.joined(separator: "\n")
    }
}

/// Writes a line to standard output at once (not buffered), so figures measured so far are kept if a run is stopped.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// The reply tag the bench made for one action on one referral (`benchor100` for the owner of
/// R-100): the database keeps only its hash, so the bench writes to it by recomputing it.
func benchTag(action: String, ref: String) -> String {
    "bench" + (action == ReplyAction.referralOwner ? "o" : "r") + ref.lowercased().replacingOccurrences(of: "-", with: "")
}
