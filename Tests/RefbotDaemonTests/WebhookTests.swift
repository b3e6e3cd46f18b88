import Foundation
import GRDB
import Logging
import RefbotCore
import RefbotDaemon
import RefbotMail
import RefbotStore
import RefbotTransport
import RefbotTestSupport
import Synchronization
import Testing

/// Posts recorded by a webhook sender instead of libcurl, answered from a script.
final class FakeWebhookReceiver: Sendable {
    struct Post: Sendable {
        var url: String
        var body: String
        var headers: [String]
        func header(_ name: String) -> String? {
            headers.first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }
    }
    private let state = Mutex<(posts: [Post], statuses: [String: [Int]])>(([], [:]))
    var posts: [Post] { state.withLock { $0.posts } }

    /// Answers `statuses` in turn to posts to `url` (the last repeats); 200 when none are set.
    func answer(_ url: String, with statuses: [Int]) { state.withLock { $0.statuses[url] = statuses } }

    var post: WebhookSender.Post {
        { url, body, headers, _ in
            let status = self.state.withLock { state -> Int in
                state.posts.append(Post(url: url, body: body, headers: headers))
                guard var queue = state.statuses[url], !queue.isEmpty else { return 200 }
                let next = queue.count > 1 ? queue.removeFirst() : queue[0]
                state.statuses[url] = queue
                return next
            }
            return WebhookSender.Answer(status: status)
        }
    }
}

/// A small JSON Schema (2020-12) checker: type, required, properties, additionalProperties: false,
/// enum, const, pattern, oneOf and local $ref. Enough for docs/webhooks.schema.json.
struct SchemaChecker {
    let root: [String: Any]

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        root = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// The problems of `value` against `schema` (the root when nil); empty when it is valid.
    func problems(_ value: Any, schema: [String: Any]? = nil, at path: String = "$") -> [String] {
        var schema = schema ?? root
        if let ref = schema["$ref"] as? String {
            let name = ref.replacingOccurrences(of: "#/$defs/", with: "")
            schema = ((root["$defs"] as? [String: Any])?[name] as? [String: Any]) ?? [:]
        }
        var found: [String] = []
        if let alternatives = schema["oneOf"] as? [[String: Any]] {
            let matching = alternatives.filter { problems(value, schema: $0, at: path).isEmpty }
            if matching.count != 1 {
                let why = alternatives.map { problems(value, schema: $0, at: path).prefix(2).joined(separator: "; ") }
                found.append("\(path): matches \(matching.count) of oneOf, not 1 (\(why.joined(separator: " | ")))")
            }
        }
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [(type as? String) ?? ""]
            if !types.contains(where: { Self.isType(value, $0) }) { found.append("\(path): is not \(types)") }
        }
        if let options = schema["enum"] as? [Any], !options.contains(where: { Self.equal($0, value) }) {
            found.append("\(path): \(value) is not one of \(options)")
        }
        if let constant = schema["const"], !Self.equal(constant, value) { found.append("\(path): \(value) is not \(constant)") }
        if let pattern = schema["pattern"] as? String, let text = value as? String,
            text.range(of: pattern, options: .regularExpression) == nil
        {
            found.append("\(path): \"\(text)\" does not match \(pattern)")
        }
        if let object = value as? [String: Any], !(value is NSNull) {
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path): lacks \(key)")
            }
            if (schema["additionalProperties"] as? Bool) == false {
                for key in object.keys where properties[key] == nil { found.append("\(path): has \(key), which the schema does not list") }
            }
            for (key, item) in object {
                if let sub = properties[key] as? [String: Any] { found += problems(item, schema: sub, at: "\(path).\(key)") }
            }
        }
        return found
    }

    static func isType(_ value: Any, _ type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "object": return value is [String: Any]
        case "string": return value is String
        case "boolean": return (value as? NSNumber).map { String(cString: $0.objCType) == "c" } ?? false
        case "integer":
            guard let number = value as? NSNumber, !isType(value, "boolean") else { return false }
            return number.doubleValue == number.doubleValue.rounded()
        default: return false
        }
    }

    static func equal(_ a: Any, _ b: Any) -> Bool {
        if let a = a as? String, let b = b as? String { return a == b }
        if let a = a as? NSNumber, let b = b as? NSNumber { return a == b }
        return false
    }
}

extension ReferralWorld {
    /// Every webhook row, oldest first.
    func webhookRows() async throws -> [WebhookDelivery] {
        try await daemon.store.read { db in try WebhookQueue.all(in: db) }
    }
}

func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite("Webhooks")
struct WebhookTests {
    static let schemaPath = RefbotProcess.packageRoot + "/docs/webhooks.schema.json"
    static let crm = "https://crm.example.org/refbot"
    static let other = "https://ops.example.org/hook"

    static func hooks(_ c: inout RefbotDaemon.Configuration, events: [String] = ["*"]) {
        c.webhooks = [
            .init(url: crm, secret: "crm-secret-0123456789", events: ["*"]),
            .init(url: other, secret: "ops-secret-0123456789", events: events),
        ]
    }

    @Test("A referral's life posts one row per state change per url, in order, whoever is mailed; payloads carry no tag and validate against the schema")
    func referralLifecycle() async throws {
        let receiver = FakeWebhookReceiver()
        let world = try await ReferralWorld { Self.hooks(&$0, events: ["referral.accepted"]) }
        _ = receiver
        let owner = "Bob Builder <\(ReferralWorld.owner)>"
        let referrer = "Alice Example <\(ReferralWorld.referrer)>"
        let first = try await world.refer()
        let agree = try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress)
        let agreed = try await world.send(from: referrer, to: agree, subject: "Re: terms", body: "AGREE", authenticated: false)
        // agreement.copy goes to both sides: one state change, one row.
        #expect(agreed.filter { $0.event == "agreement.copy" }.count == 2)
        let ownerAddress = try #require(try the("referral.received", to: ReferralWorld.owner, in: agreed).replyAddress)
        _ = try await world.send(from: owner, to: ownerAddress, subject: "Re: R-1", body: "ACCEPT", authenticated: false)
        _ = try await world.send(from: owner, to: ownerAddress, subject: "Re: R-1", body: "WON $5,000", authenticated: false)
        let paid = try await world.send(from: owner, to: ownerAddress, subject: "Re: R-1", body: "PAID", authenticated: false)
        let referrerAddress = try #require(try the("referral.updated", to: ReferralWorld.referrer, in: paid).replyAddress)
        let closed = try await world.send(
            from: referrer, to: referrerAddress, subject: "Re: R-1", body: "RECEIVED, thanks!", authenticated: false)
        // RECEIVED mails both sides referral.updated: still one row.
        #expect(closed.filter { $0.event == "referral.updated" }.count == 2)

        let rows = try await world.webhookRows()
        let crmRows = rows.filter { $0.url == Self.crm }
        #expect(
            crmRows.map(\.event) == [
                "referral.sent", "agreement.copy", "referral.received", "referral.accepted", "referral.updated",
                "referral.updated", "referral.updated",
            ])
        // The second url takes referral.accepted only, as its events say.
        #expect(rows.filter { $0.url == Self.other }.map(\.event) == ["referral.accepted"])
        // Both urls get the same event id for the same change; each row its own delivery id.
        let accepted = rows.filter { $0.event == "referral.accepted" }
        #expect(Set(accepted.map(\.eventId)).count == 1 && Set(accepted.map(\.deliveryId)).count == 2)

        let checker = try SchemaChecker(path: Self.schemaPath)
        let bodies = crmRows.map(\.body)
        for body in bodies {
            let payload = try json(body)
            #expect(checker.problems(payload).isEmpty, "\(checker.problems(payload)) in \(body)")
            #expect(!body.contains("referrals+"), "a reply address in \(body)")
        }
        let states = try bodies.map { try json($0) }.compactMap { (($0["data"] as? [String: Any])?["state"] as? String) }
        // agreement.copy is about the listing (live); the rest about R-1.
        #expect(states == ["pending", "live", "pending", "accepted", "won", "paid", "closed"])
        let actors = try bodies.map { try json($0) }.compactMap { (($0["actor"] as? [String: Any])?["email"] as? String) }
        #expect(actors == [ReferralWorld.referrer, ReferralWorld.referrer, ReferralWorld.referrer] + Array(repeating: ReferralWorld.owner, count: 3) + [ReferralWorld.referrer])
        // The customer is in the payload once the owner has been told, with the referrer's consent.
        let agreementData = try #require(try json(bodies[1])["data"] as? [String: Any])
        #expect(agreementData["referrer"] as? String == ReferralWorld.referrer)
        #expect(agreementData["owner"] as? String == ReferralWorld.owner)
        let sentCustomer = try #require(try json(bodies[0])["data"] as? [String: Any])["customer"]
        #expect(sentCustomer is NSNull)
        let receivedData = try #require(try json(bodies[2])["data"] as? [String: Any])
        let receivedCustomer = try #require(receivedData["customer"] as? [String: Any])
        #expect(receivedCustomer["email"] as? String == "carol@diaz.example")
    }

    @Test("With customer_consent = ask, no payload carries the customer's name, email or phone before they say YES")
    func noContactDetailsWithoutConsent() async throws {
        let world = try await ReferralWorld {
            Self.hooks(&$0)
            $0.network.customerConsent = "ask"
        }
        let first = try await world.refer()
        let agree = try #require(try the("agreement.request", to: ReferralWorld.referrer, in: first).replyAddress)
        let agreed = try await world.send(
            from: "Alice Example <\(ReferralWorld.referrer)>", to: agree, subject: "Re: terms", body: "AGREE", authenticated: false)
        // The customer is asked: their details reach nobody but them until they say YES.
        _ = try the("customer.consent", to: "carol@diaz.example", in: agreed)
        let rows = try await world.webhookRows()
        #expect(rows.filter { $0.url == Self.crm }.map(\.event) == ["referral.sent", "agreement.copy", "customer.consent"])
        for row in rows {
            #expect(!row.body.contains("carol@diaz.example") && !row.body.contains("555-0100") && !row.body.contains("Carol Diaz"), "\(row.body)")
        }
    }

    @Test("One state change mailed to several people is one row per url; another change of the same object is another row")
    func dedupePerStateChange() async throws {
        let directory = try TemporaryDirectory()
        var settings = testConfiguration(in: directory)
        Self.hooks(&settings)
        let configuration = settings
        let store = try Store(path: configuration.bot.database)
        let logger = Logger(label: "test")
        let written = try await store.write { db -> [Int] in
            var member = Member(email: "ann@example.org", name: "Ann", state: .active, joinedAt: 1)
            try StoreLedger(db).save(&member)
            let one = Notification(event: .memberSuspended, to: ["ann@example.org"])
            let copy = Notification(event: .memberSuspended, to: ["admin@example.org", "ann@example.org"])
            return [
                try WebhookEvents.record(one, configuration: configuration, inboundId: nil, unique: "a", now: 100, logger: logger, in: db),
                try WebhookEvents.record(copy, configuration: configuration, inboundId: nil, unique: "b", now: 100, logger: logger, in: db),
                try WebhookEvents.record(one, configuration: configuration, inboundId: nil, unique: "c", now: 200, logger: logger, in: db),
            ]
        }
        #expect(written == [2, 0, 2])
    }

    @Test("A later event for an object waits while an earlier one is pending; other objects do not wait")
    func orderPerObject() async throws {
        let directory = try TemporaryDirectory()
        let store = try Store(path: directory.path + "/refbot.sqlite")
        @Sendable func row(_ object: String, _ n: Int) -> WebhookDelivery {
            WebhookDelivery(
                deliveryId: "d\(n)", eventId: "e\(n)", url: Self.crm, event: "referral.updated", objectKey: object,
                dedupeKey: "k\(n)", body: "{}", createdAt: 10)
        }
        let due = try await store.write { db -> [[String]] in
            for (n, object) in ["referral:R-1", "referral:R-1", "referral:R-2"].enumerated() {
                try WebhookQueue.enqueue(row(object, n), in: db)
            }
            var seen: [[String]] = [try WebhookQueue.due(url: Self.crm, now: 10, limit: 10, in: db).map(\.deliveryId)]
            // The first R-1 row fails and waits for its retry: the second R-1 row still waits.
            try WebhookQueue.deferDelivery(1, until: 100, status: 500, error: "HTTP 500", in: db)
            seen.append(try WebhookQueue.due(url: Self.crm, now: 10, limit: 10, in: db).map(\.deliveryId))
            // Given up on: the next R-1 row goes.
            try WebhookQueue.fail(1, status: 500, error: "HTTP 500", now: 20, in: db)
            seen.append(try WebhookQueue.due(url: Self.crm, now: 20, limit: 10, in: db).map(\.deliveryId))
            return seen
        }
        #expect(due == [["d0", "d2"], ["d2"], ["d1", "d2"]])
    }

    @Test("500 then 200: the event is posted again with the same delivery id and body, and the next event of the object follows it")
    func retriedInOrder() async throws {
        let receiver = FakeWebhookReceiver()
        receiver.answer(Self.crm, with: [500, 200])
        let clock = ManualClock()
        let directory = try TemporaryDirectory()
        var configuration = testConfiguration(in: directory)
        configuration.webhooks = [.init(url: Self.crm, secret: "crm-secret-0123456789", events: ["member.suspended", "member.resumed"])]
        configuration.webhooks[0].minBackoffSeconds = 30
        let daemon = try await buildDaemon(
            configuration, environment: [:], logger: LogCapture().logger, clock: clock.daemonClock, mailbox: FakeMailbox(),
            submitter: FakeSubmitter(), webhookPost: receiver.post)
        try await daemon.store.write { db in
            var member = Member(email: "ann@example.org", name: "Ann", state: .active, joinedAt: 1)
            try StoreLedger(db).save(&member)
        }
        let desk = MemberAdminDesk(configuration: configuration, composer: try Processor.composer(for: configuration), logger: Logger(label: "t"))
        _ = try await desk.suspend(email: "ann@example.org", reason: "spam", actor: "admin@example.org", now: clock.now, store: daemon.store)
        clock.advance(by: 1)
        _ = try await desk.resume(email: "ann@example.org", actor: "admin@example.org", now: clock.now, store: daemon.store)

        #expect(try await daemon.webhooks.runOnce() == 0)
        #expect(receiver.posts.map { $0.header("Refbot-Event") } == ["member.suspended"], "member.resumed waits behind the failed event")
        #expect(try await daemon.webhooks.runOnce() == 0, "not due before the backoff")
        clock.advance(by: 31)
        #expect(try await daemon.webhooks.runOnce() == 2)
        let posts = receiver.posts
        #expect(posts.map { $0.header("Refbot-Event") } == ["member.suspended", "member.suspended", "member.resumed"])
        #expect(posts[0].header("Refbot-Delivery") == posts[1].header("Refbot-Delivery"))
        #expect(posts[0].body == posts[1].body)
        let page = PrometheusText(daemon.metrics.exposition(.init(), pollAge: nil))
        #expect(page.value("refbot_webhook_posts_total", ["result": "delivered"]) == 2)
        #expect(page.value("refbot_webhook_posts_total", ["result": "deferred"]) == 1)
        #expect(page.value("refbot_webhook_posts_total", ["result": "failed"]) == 0)
        // Each attempt is signed at its own time over the same body.
        for post in posts {
            let signature = try #require(post.header("Refbot-Signature"))
            let t = try #require(signature.split(separator: ",").first.flatMap { Int64($0.dropFirst(2)) })
            #expect(signature == WebhookSignature.header(body: post.body, secret: "crm-secret-0123456789", timestamp: t))
        }
    }

    @Test("Given up after max_attempts: the row is failed, the admins get webhook.failed, later events of the object go, --retry queues it again")
    func giveUp() async throws {
        let receiver = FakeWebhookReceiver()
        receiver.answer(Self.crm, with: [503, 503, 200])
        let clock = ManualClock()
        let directory = try TemporaryDirectory()
        var configuration = testConfiguration(in: directory)
        configuration.webhooks = [.init(url: Self.crm, secret: "crm-secret-0123456789")]
        configuration.webhooks[0].maxAttempts = 2
        configuration.webhooks[0].minBackoffSeconds = 1
        let submitter = FakeSubmitter()
        let daemon = try await buildDaemon(
            configuration, environment: [:], logger: LogCapture().logger, clock: clock.daemonClock, mailbox: FakeMailbox(),
            submitter: submitter, webhookPost: receiver.post)
        try await daemon.store.write { db in
            var member = Member(email: "ann@example.org", name: "Ann", state: .active, joinedAt: 1)
            try StoreLedger(db).save(&member)
        }
        let desk = MemberAdminDesk(configuration: configuration, composer: try Processor.composer(for: configuration), logger: Logger(label: "t"))
        _ = try await desk.suspend(email: "ann@example.org", reason: nil, actor: "admin@example.org", now: clock.now, store: daemon.store)
        clock.advance(by: 1)
        _ = try await desk.resume(email: "ann@example.org", actor: "admin@example.org", now: clock.now, store: daemon.store)
        _ = try await daemon.runOnce()
        clock.advance(by: 5)
        _ = try await daemon.runOnce()
        let rows = try await daemon.store.read { db in try WebhookQueue.all(in: db) }
        #expect(rows.map(\.state) == [.failed, .delivered])
        #expect(rows[0].attempts == 2 && rows[0].lastStatus == 503)
        let notices = try submitter.accepted.map { try MessageParser.parse($0.data) }.filter { $0.header("X-Refbot-Event") == "webhook.failed" }
        #expect(notices.count == 1)
        #expect(notices.first?.textBody.contains(rows[0].deliveryId) == true)
        #expect(notices.first?.textBody.contains("refbot admin webhooks --failed --retry") == true)
        #expect(notices.first?.to.map(\.address) == ["admin@example.org"])

        let retried = try await daemon.store.write { db in try WebhookQueue.retryFailed(now: clock.now, in: db) }
        #expect(retried == 1)
        _ = try await daemon.runOnce()
        #expect(try await daemon.store.read { db in try WebhookQueue.all(in: db) }.map(\.state) == [.delivered, .delivered])
    }

    @Test("A member's mail cannot choose where refbot posts: only configured urls get rows, and a row for a url no longer configured is given up, never posted")
    func urlsOnlyFromConfiguration() async throws {
        let receiver = FakeWebhookReceiver()
        let world = try await ReferralWorld { Self.hooks(&$0) }
        _ = try await world.send(
            from: "Mallory <mallory@evil.example>", subject: "JOIN",
            body: "Name: Mallory\nWebsite: https://evil.example/hook\nAbout: post to https://evil.example/hook\nRefbot-Webhook: https://evil.example/hook",
            authenticated: true)
        let rows = try await world.webhookRows()
        #expect(!rows.isEmpty)
        #expect(Set(rows.map(\.url)).isSubset(of: [Self.crm, Self.other]))

        // The same database under a configuration without that url: the row is given up, not posted.
        try await world.daemon.store.write { db in
            try WebhookQueue.enqueue(
                WebhookDelivery(
                    deliveryId: "whd_x", eventId: "evt_x", url: "https://evil.example/hook", event: "member.confirm",
                    objectKey: "member:mallory@evil.example", dedupeKey: "x", body: "{}", createdAt: 0), in: db)
        }
        let sender = WebhookSender(
            store: world.daemon.store, composer: try Processor.composer(for: world.daemon.configuration),
            configuration: world.daemon.configuration, clock: world.clock.daemonClock, logger: Logger(label: "t"), post: receiver.post)
        _ = try await sender.runOnce()
        #expect(!receiver.posts.contains { $0.url.contains("evil") })
        let evil = try await world.daemon.store.read { db in try WebhookQueue.all(url: "https://evil.example/hook", in: db) }
        #expect(evil.map(\.state) == [.failed])
    }

    @Test("Rows delivered or given up on before the cutoff are deleted; pending rows and newer ones stay")
    func purge() async throws {
        let directory = try TemporaryDirectory()
        let store = try Store(path: directory.path + "/refbot.sqlite")
        let left = try await store.write { db -> [String] in
            for n in 0..<5 {
                try WebhookQueue.enqueue(
                    WebhookDelivery(
                        deliveryId: "d\(n)", eventId: "e\(n)", url: Self.crm, event: "member.welcome", objectKey: "member:m\(n)",
                        dedupeKey: "k\(n)", body: "{}", createdAt: 0), in: db)
            }
            try WebhookQueue.markDelivered(1, status: 200, now: 100, in: db)
            try WebhookQueue.markDelivered(2, status: 200, now: 1000, in: db)
            try WebhookQueue.fail(3, status: 500, error: "HTTP 500", now: 100, in: db)
            try WebhookQueue.deferDelivery(4, until: 50, status: 500, error: "HTTP 500", in: db)
            #expect(try WebhookQueue.purge(olderThan: 500, in: db) == 2)
            return try WebhookQueue.all(in: db).map(\.deliveryId)
        }
        #expect(left == ["d1", "d3", "d4"])
    }

    @Test("The signature is HMAC-SHA256 over \"t.body\" in lower-case hex, as Python's hmac computes it")
    func signatureVector() {
        #expect(
            WebhookSignature.header(body: "{\"a\":1}", secret: "whsec_test_0123456789", timestamp: 1_790_000_000)
                == "t=1790000000,v1=d82f2921adb59825b54371446ec18ef8313cbadb96b28134d3679bc8bb79e7d0")
    }

    @Test("Backoff doubles from min_backoff_seconds up to max_backoff_seconds, jittered")
    func backoff() {
        let delays = (1...8).map { WebhookSender.nextAttempt(attempts: $0, now: 0, jitter: 1.0, minimal: 30, maximal: 3600) }
        #expect(delays == [30, 60, 120, 240, 480, 960, 1920, 3600])
        #expect(WebhookSender.nextAttempt(attempts: 2, now: 0, jitter: 1.1, minimal: 30, maximal: 3600) == 66)
    }
}

@Suite("Webhook configuration")
struct WebhookConfigurationTests {
    static let base = """
        [bot]
        address = "referrals@example.org"
        [imap]
        url = "imaps://mail.example.org/INBOX"
        username = "referrals@example.org"
        [smtp]
        url = "smtps://mail.example.org"

        """
    static let passwords = ["REFBOT_IMAP_PASSWORD": "x", "REFBOT_SMTP_PASSWORD": "y"]

    func parse(_ webhooks: String, secret: String = "0123456789abcdef0123") throws -> (RefbotDaemon.Configuration, TemporaryDirectory) {
        let directory = try TemporaryDirectory()
        try secret.write(toFile: directory.path + "/hook-secret", atomically: true, encoding: .utf8)
        let text = Self.base + webhooks.replacingOccurrences(of: "SECRET", with: directory.path + "/hook-secret")
        return (try Configuration.parse(text, environment: Self.passwords), directory)
    }

    func problems(_ webhooks: String, secret: String = "0123456789abcdef0123") -> [ConfigError.Problem] {
        do {
            _ = try parse(webhooks, secret: secret)
            return []
        } catch {
            return (error as? ConfigError)?.problems ?? []
        }
    }

    @Test("[[webhooks]] entries are read with their secret and events; defaults apply")
    func reads() throws {
        let (c, _) = try parse("""
            [[webhooks]]
            url = "https://crm.example.org/a"
            secret_file = "SECRET"
            events = ["referral.accepted", "listing.approved"]
            timeout_seconds = 5
            [[webhooks]]
            url = "http://127.0.0.1:9000/b"
            secret_file = "SECRET"
            """)
        #expect(c.webhooks.map(\.url) == ["https://crm.example.org/a", "http://127.0.0.1:9000/b"])
        #expect(c.webhooks[0].secret == "0123456789abcdef0123")
        #expect(c.webhooks[0].events == ["referral.accepted", "listing.approved"])
        #expect(c.webhooks[0].timeoutSeconds == 5 && c.webhooks[1].timeoutSeconds == 10)
        #expect(c.webhooks[1].events == ["*"] && c.webhooks[1].maxAttempts == 10)
        #expect(c.webhooks[0].subscribes(to: .referralAccepted) && !c.webhooks[0].subscribes(to: .referralRejected))
        #expect(!c.webhooks[1].subscribes(to: .help), "answers that change nothing are never posted")
    }

    @Test("Refused: another scheme, an unknown event, a missing or short secret, a url listed twice")
    func refusals() {
        let ftp = problems("[[webhooks]]\nurl = \"ftp://crm.example.org/a\"\nsecret_file = \"SECRET\"")
        #expect(ftp.map(\.key) == ["webhooks[1].url"])
        #expect(ftp.first?.remedy.contains("https://") == true)
        let file = problems("[[webhooks]]\nurl = \"file:///etc/passwd\"\nsecret_file = \"SECRET\"")
        #expect(file.map(\.key) == ["webhooks[1].url"])
        let event = problems("[[webhooks]]\nurl = \"https://a.example\"\nsecret_file = \"SECRET\"\nevents = [\"referral.acepted\", \"help\"]")
        #expect(event.map(\.key) == ["webhooks[1].events", "webhooks[1].events"])
        #expect(event.first?.remedy.contains("referral.accepted") == true)
        let missing = problems("[[webhooks]]\nurl = \"https://a.example\"")
        #expect(missing.map(\.key) == ["webhooks[1].secret_file"])
        let short = problems("[[webhooks]]\nurl = \"https://a.example\"\nsecret_file = \"SECRET\"", secret: "short")
        #expect(short.map(\.key) == ["webhooks[1].secret_file"])
        #expect(short.first?.remedy.contains("openssl rand -hex 32") == true)
        let twice = problems(
            "[[webhooks]]\nurl = \"https://a.example\"\nsecret_file = \"SECRET\"\n[[webhooks]]\nurl = \"https://a.example\"\nsecret_file = \"SECRET\"")
        #expect(twice.map(\.key) == ["webhooks.url"])
        let typo = problems("[[webhooks]]\nurl = \"https://a.example\"\nsecret_file = \"SECRET\"\ntimeout_secnds = 3")
        #expect(typo.map(\.key) == ["webhooks[1].timeout_secnds"])
        #expect(typo.first?.remedy.contains("webhooks[1].timeout_seconds") == true)
    }

    @Test("A secret file others may read, and plain http to another host, are warned about")
    func warnings() throws {
        let (c, _) = try parse("[[webhooks]]\nurl = \"http://crm.example.org/a\"\nsecret_file = \"SECRET\"")
        let warnings = c.securityWarnings(fileMode: { _ in 0o644 }).map(\.key)
        #expect(warnings.contains("webhooks[1].secret_file") && warnings.contains("webhooks[1].url"))
    }

    @Test("The webhook keys are known keys")
    func knownKeys() {
        for key in ["webhooks.url", "webhooks.secret_file", "webhooks.events", "webhooks.timeout_seconds", "webhooks.max_attempts",
                    "webhooks.min_backoff_seconds", "webhooks.max_backoff_seconds"] {
            #expect(Configuration.knownKeys.contains(key), "\(key)")
        }
    }
}
