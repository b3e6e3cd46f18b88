import Foundation
import GRDB
import HTTPTypes
import RefbotCore
import RefbotMail
import RefbotStore
import RefbotTemplates
import RefbotTestSupport
import Testing

@testable import RefbotDaemon
@testable import RefbotHTTP

@Suite("One-click link routes")
struct LinkRouteTests {
    @Test("GET shows what the click will do, with a button that posts the token and a form nonce")
    func getPage() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "STOP")
        let before = try await f.state()
        let page = try await f.request(.get, "/a/\(token)")
        #expect(page.status == 200)
        #expect(page.headers[.contentType] == "text/html; charset=utf-8")
        #expect(page.headers[.cacheControl] == "no-store")
        #expect(page.body.contains("Pressing the button replies STOP for alice@example.com"))
        #expect(page.body.contains("<form method=\"post\" action=\"/a/\(token)\">"))
        #expect(page.body.contains("<button type=\"submit\">Unsubscribe</button>"))
        #expect(LinkFixture.formNonce(in: page.body)?.isEmpty == false)
        #expect(!page.body.contains("<script"))
        #expect(!page.body.contains("http://") && !page.body.contains("https://"), "no external assets")
        #expect(try await f.state() == before)
    }

    @Test("HEAD answers like GET with no body and never acts")
    func head() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "STOP")
        let get = try await f.request(.get, "/a/\(token)")
        let head = try await f.request(.head, "/a/\(token)")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)
        #expect(head.headers[.contentLength] == get.headers[.contentLength])
        #expect(try await f.state().linkUses == 0)
    }

    @Test("A mail scanner's three GETs and a HEAD on every link change nothing")
    func scannerSimulation() async throws {
        let f = try await LinkFixture()
        let before = try await f.state()
        for word in ["STOP", "ACCEPT", "REJECT", "CONFIRM", "AGREE", "YES", "NO"] {
            let token = f.token(tag: f.aliceTag, word: word)
            for _ in 0..<3 { #expect(try await f.request(.get, "/a/\(token)").status == 200) }
            #expect(try await f.request(.head, "/a/\(token)").status == 200)
        }
        let stop = f.token(tag: f.bobTag, word: "STOP")
        for _ in 0..<3 { #expect(try await f.request(.get, "/u/\(stop)").status == 200) }
        #expect(try await f.request(.head, "/u/\(stop)").status == 200)
        #expect(try await f.state() == before)
    }

    @Test("The button acts once, as a tagged reply by mail from the tag's owner, and says what was done")
    func postActs() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "STOP")
        let page = try await f.request(.get, "/a/\(token)")
        let nonce = try #require(LinkFixture.formNonce(in: page.body))
        let done = try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(nonce))")
        #expect(done.status == 200)
        #expect(done.body.contains("Done: STOP"))
        let state = try await f.state()
        #expect(state.aliceOff && !state.bobOff)
        #expect(state.linkUses == 1)
        // The click is stored as a reply to Alice's tag, processed like mail, with its answer queued.
        let (inbound, answers) = try await f.daemon.store.read { db in
            (try InboundMessage.fetchOne(db, sql: "SELECT * FROM inboundMessage"),
             try OutboxMessage.fetchAll(db, sql: "SELECT * FROM outboxMessage"))
        }
        let row = try #require(inbound)
        #expect(row.uidValidity == 0 && row.uid > 0)
        #expect(row.state == .done)
        let mail = try MessageParser.parse([UInt8](row.raw))
        #expect(mail.from?.address == LinkFixture.alice)
        // The mail names no tag: the Processor finds the tag by the link's use of it.
        #expect(mail.to.first?.address == "referrals@example.org")
        #expect(!String(decoding: row.raw, as: UTF8.self).contains(f.aliceTag))
        #expect(mail.header("X-Refbot-Via") == "link")
        #expect(mail.textBody.hasPrefix("STOP"))
        let answer = try #require(answers.first)
        #expect(answer.inboundId == row.id)
        #expect(answer.recipients == LinkFixture.alice)
        let subject = try MessageParser.parse([UInt8](answer.raw)).subject
        #expect(done.body.contains(subject.replacingOccurrences(of: "\"", with: "&quot;")))
    }

    @Test("A used link answers 410 with what was done and when, and never acts twice")
    func replayed() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "STOP")
        let nonce = try #require(LinkFixture.formNonce(in: try await f.request(.get, "/a/\(token)").body))
        #expect(try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(nonce))").status == 200)
        let after = try await f.state()
        let again = try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(nonce))")
        #expect(again.status == 410)
        #expect(again.body.contains("Already done"))
        #expect(again.body.contains("STOP was sent then"))
        #expect(again.body.contains("UTC"))
        let get = try await f.request(.get, "/a/\(token)")
        #expect(get.status == 410)
        #expect(try await f.state() == after)
    }

    @Test("A POST without the page's form nonce does nothing and shows the button again")
    func postWithoutFormNonce() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "STOP")
        let before = try await f.state()
        for body in ["", "form=forged", "form=\(formEncoded(LinkFixture.key.sign("a/\(token)")))"] {
            let response = try await f.request(.post, "/a/\(token)", body: body)
            #expect(response.status == 400)
            #expect(response.body.contains("nothing was done"))
            #expect(response.body.contains("<button"))
        }
        #expect(try await f.state() == before)
    }

    @Test("Tampered links are refused and change nothing: flipped bit, swapped tag, expired, wrong key, malformed, unknown tag")
    func tampering() async throws {
        let f = try await LinkFixture()
        let genuine = f.token(tag: f.aliceTag, word: "STOP")
        let bytes = try #require(Base64URL.decode(genuine))
        var flipped = bytes
        flipped[7] ^= 0x10
        // Bob's tag spliced into Alice's signed link.
        let bobs = try #require(Base64URL.decode(f.token(tag: f.bobTag, word: "STOP")))
        let swapped = Array(bobs.prefix(5)) + Array(bytes[5..<14]) + Array(bobs[14..<(bobs.count - 16)]) + Array(bytes.suffix(16))
        let cases: [(String, Int)] = [
            (Base64URL.encode(flipped), 404),
            (Base64URL.encode(swapped), 404),
            (f.token(tag: f.aliceTag, word: "STOP", expiresIn: -1), 410),
            (f.token(tag: f.aliceTag, word: "STOP", key: LinkKey(bytes: Array(repeating: 1, count: 32))), 404),
            (f.token(tag: "nosuchtagnosuchtag22", word: "STOP"), 404),
            ("not-a-token", 400),
            (String(genuine.dropLast(4)), 404),
            ("%00%0A", 400),
        ]
        let before = try await f.state()
        for (token, status) in cases {
            let get = try await f.request(.get, "/a/\(token)")
            #expect(get.status == status, "GET \(token)")
            #expect(!get.body.contains("<button"))
            let post = try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(LinkFixture.key.sign("a/\(token)")))")
            #expect(post.status == status || post.status == 400, "POST \(token)")
            #expect(post.status != 200 && post.status != 500)
        }
        #expect(try await f.state() == before)
    }

    @Test("Another member's genuine link acts for that member only")
    func anotherMembersLink() async throws {
        let f = try await LinkFixture()
        let bobs = f.token(tag: f.bobTag, word: "STOP")
        let nonce = try #require(LinkFixture.formNonce(in: try await f.request(.get, "/a/\(bobs)").body))
        #expect(try await f.request(.post, "/a/\(bobs)", body: "form=\(formEncoded(nonce))", client: "198.51.100.9").status == 200)
        let state = try await f.state()
        #expect(state.bobOff && !state.aliceOff)
    }

    @Test("REJECT pages take an optional reason, which goes with the reply")
    func rejectReason() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "REJECT")
        let page = try await f.request(.get, "/a/\(token)")
        #expect(page.body.contains("<textarea id=\"reason\" name=\"reason\""))
        #expect(!(try await f.request(.get, "/a/\(f.token(tag: f.aliceTag, word: "ACCEPT"))").body.contains("<textarea")))
        let nonce = try #require(LinkFixture.formNonce(in: page.body))
        let response = try await f.request(
            .post, "/a/\(token)", body: "form=\(formEncoded(nonce))&reason=\(formEncoded("Fully booked <until> June"))")
        #expect(response.status == 200)
        let raw = try #require(try await f.daemon.store.read { db in try Data.fetchOne(db, sql: "SELECT raw FROM inboundMessage") })
        let mail = try MessageParser.parse([UInt8](raw))
        #expect(mail.textBody.hasPrefix("REJECT\nFully booked <until> June") || mail.textBody.hasPrefix("REJECT\r\nFully booked <until> June"))
        // A refused command says so rather than "Done".
        if response.body.contains("Not done") { #expect(!response.body.contains("Done: REJECT")) }
    }

    @Test("Member text on pages is escaped")
    func escaping() async throws {
        let f = try await LinkFixture()
        let now = f.clock.now
        let tag = try await f.daemon.store.write { db in
            try StoreLedger(db).makeReplyTag(
                for: "eve@example.com", action: "x", ref: "<script>alert(1)</script>", now: now, expiresAt: now + 86_400
            ).token
        }
        let page = try await f.request(.get, "/a/\(f.token(tag: tag, word: "ACCEPT"))")
        #expect(page.status == 200)
        #expect(!page.body.contains("<script>"))
        #expect(page.body.contains("&lt;script&gt;"))
    }

    @Test("RFC 8058: a one-click POST to /u/<token> unsubscribes; GET shows a page with a button")
    func unsubscribe() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "STOP")
        let page = try await f.request(.get, "/u/\(token)")
        #expect(page.status == 200)
        #expect(page.body.contains("action=\"/u/\(token)\""))
        #expect(try await f.state().aliceOff == false)
        let response = try await f.request(.post, "/u/\(token)", body: "List-Unsubscribe=One-Click")
        #expect(response.status == 200)
        #expect(response.body.contains("You are unsubscribed"))
        #expect(try await f.state().aliceOff)
        #expect(try await f.request(.post, "/u/\(token)", body: "List-Unsubscribe=One-Click").status == 410)
        // Only STOP links unsubscribe, and a bare POST does nothing.
        let accept = f.token(tag: f.bobTag, word: "ACCEPT")
        #expect(try await f.request(.get, "/u/\(accept)").status == 404)
        #expect(try await f.request(.post, "/u/\(accept)", body: "List-Unsubscribe=One-Click").status == 404)
        #expect(try await f.request(.post, "/u/\(f.token(tag: f.bobTag, word: "STOP"))", body: "").status == 400)
        #expect(try await f.state().bobOff == false)
    }

    @Test("Past the rate limit a client gets 429 with Retry-After; other clients are unaffected")
    func rateLimit() async throws {
        let f = try await LinkFixture(rateLimit: 3)
        let token = f.token(tag: f.aliceTag, word: "STOP")
        for _ in 0..<3 { #expect(try await f.request(.get, "/a/\(token)", client: "203.0.113.5").status == 200) }
        let limited = try await f.request(.get, "/a/\(token)", client: "203.0.113.5")
        #expect(limited.status == 429)
        #expect(limited.headers[.retryAfter] == "60")
        #expect(try await f.request(.post, "/a/\(token)", body: "form=x", client: "203.0.113.5").status == 429)
        #expect(try await f.request(.get, "/a/\(token)", client: "203.0.113.6").status == 200)
        #expect(try await f.state().linkUses == 0)
    }

    @Test("/healthz answers 200 with the last good poll and outbox depth, 503 once polling has failed for the max age")
    func healthz() async throws {
        let f = try await LinkFixture()
        f.daemon.health.pollSucceeded(at: f.clock.now)
        let ok = try await f.request(.get, "/healthz")
        #expect(ok.status == 200)
        #expect(ok.body.contains("status: ok"))
        #expect(ok.body.contains("last_good_poll: 2026-09-21T"))
        #expect(ok.body.contains("outbox_depth: 0"))
        f.daemon.health.pollFailed(at: f.clock.now + 60)
        f.clock.advance(by: Int64(f.daemon.configuration.health.maxPollAgeSeconds) + 1)
        let failing = try await f.request(.get, "/healthz")
        #expect(failing.status == 503)
        #expect(failing.body.contains("status: failing"))
        #expect(failing.body.contains("poll_age_seconds: \(f.daemon.configuration.health.maxPollAgeSeconds + 1)"))
    }

    @Test("/metrics, on its own listener, is Prometheus text with the queue counts and the poll age")
    func metrics() async throws {
        let f = try await LinkFixture()
        f.daemon.health.pollSucceeded(at: f.clock.now - 42)
        let token = f.token(tag: f.aliceTag, word: "STOP")
        #expect(try await f.request(.post, "/u/\(token)", body: "List-Unsubscribe=One-Click").status == 200)
        let metrics = try await f.request(.get, "/metrics", metrics: true)
        #expect(metrics.status == 200)
        #expect(metrics.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
        let lines = Set(metrics.body.split(separator: "\n").map(String.init))
        #expect(lines.contains("# TYPE refbot_inbound_processed_total counter"))
        #expect(lines.contains("# TYPE refbot_outbox_depth gauge"))
        let page = PrometheusText(metrics.body)
        #expect(page.unreadable.isEmpty, "\(page.unreadable)")
        #expect(page.value("refbot_inbound_processed_total") == 1)
        #expect(page.value("refbot_inbound_quarantined_total") == 0)
        #expect(page.value("refbot_outbox_depth") == 1)
        #expect(page.value("refbot_outbox_sent_total") == 0)
        #expect(page.value("refbot_outbox_deferred") == 0)
        #expect(page.value("refbot_outbox_failed_total") == 0)
        #expect(page.value("refbot_links_used_total") == 1)
        #expect(page.value("refbot_poll_age_seconds") == 42)
    }

    @Test("An announcement's List-Unsubscribe https link names no tag; its POST unsubscribes the tag's owner")
    func listUnsubscribeCarriesNoTag() async throws {
        let f = try await LinkFixture()
        let composer = try MailComposer(
            configuration: f.daemon.configuration, templates: try .init(directory: templatesDirectory), linkKeys: [LinkFixture.key])
        let row = try composer.compose(
            Notification(
                event: .trainingAnnouncement, to: [LinkFixture.alice], replyTag: f.aliceTag,
                values: ["name": "Alice", "title": "Asking for referrals", "body": "Three ways."], actions: ["STOP"]),
            unique: "t", now: f.clock.now, inboundId: nil)
        let mail = try MessageParser.parse([UInt8](row.raw))
        let header = try #require(mail.header("List-Unsubscribe"))
        let url = try #require(header.split(separator: ",").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " <>")) })
        #expect(url.hasPrefix("https://refer.example.org/u/"))
        let token = String(url.dropFirst("https://refer.example.org/u/".count))
        #expect(!String(decoding: try #require(Base64URL.decode(token)), as: UTF8.self).contains(f.aliceTag))
        // The mailto: form is the owner's own tagged address, in mail to its owner only.
        #expect(header.contains("mailto:referrals+\(f.aliceTag)@example.org?subject=STOP"))
        #expect(mail.to.map(\.address) == [LinkFixture.alice])
        #expect(try await f.request(.post, "/u/\(token)", body: "List-Unsubscribe=One-Click").status == 200)
        #expect(try await f.state().aliceOff)
    }

    @Test("Mail that offers reply words carries a mailto: link and a signed web link for each")
    func actionLinksInMail() async throws {
        let f = try await LinkFixture()
        let notification = Notification(
            event: .help, to: [LinkFixture.alice], replyTag: f.aliceTag, actions: ["accept", "STOP"])
        let composer = try MailComposer(
            configuration: f.daemon.configuration, templates: try .init(directory: templatesDirectory), linkKeys: [LinkFixture.key])
        let values = composer.actionLinkValues(for: notification, now: f.clock.now)
        #expect(values["hasActionLinks"] == true)
        guard case .list(let links) = values["actionLinks"], case .object(let accept) = links.first,
            case .object(let stop) = links.last, case .text(let url) = accept["url"], case .text(let stopURL) = stop["url"]
        else {
            Issue.record("no action links in \(values)")
            return
        }
        #expect(accept["word"] == "ACCEPT")
        #expect(accept["mailto"] == .text("mailto:referrals+\(f.aliceTag)@example.org?subject=ACCEPT&body=ACCEPT"))
        #expect(url.hasPrefix("https://refer.example.org/a/"))
        #expect(stopURL.hasPrefix("https://refer.example.org/u/"))
        let token = try LinkToken.verify(String(url.dropFirst("https://refer.example.org/a/".count)), keys: [LinkFixture.key], now: f.clock.now)
        #expect(token.tagHash == ReplyTag.hash(f.aliceTag) && token.word == "ACCEPT")
        #expect(!String(decoding: try #require(Base64URL.decode(String(url.dropFirst("https://refer.example.org/a/".count)))), as: UTF8.self)
            .contains(f.aliceTag))
        #expect(token.expiresAt == f.clock.now + Int64(f.daemon.configuration.links.expiryDays) * 86_400)
        #expect(try await f.request(.get, String(url.dropFirst("https://refer.example.org".count))).status == 200)
        #expect(composer.actionLinkValues(for: Notification(event: .help, to: [LinkFixture.alice]), now: f.clock.now)["actionLinks"] == nil)
    }

    @Test("Announcements carry an RFC 8058 List-Unsubscribe with the https link, and the link unsubscribes")
    func listUnsubscribeHeader() async throws {
        let f = try await LinkFixture()
        let composer = try MailComposer(
            configuration: f.daemon.configuration, templates: try .init(directory: templatesDirectory), linkKeys: [LinkFixture.key])
        let row = try composer.compose(
            Notification(event: .trainingAnnouncement, to: [LinkFixture.alice], replyTag: f.aliceTag,
                         values: ["title": "Spring training", "body": "Come along."]),
            unique: "t1", now: f.clock.now, inboundId: nil)
        let mail = try MessageParser.parse([UInt8](row.raw))
        let header = try #require(mail.header("List-Unsubscribe"))
        #expect(header.hasPrefix("<https://refer.example.org/u/"))
        #expect(header.hasSuffix(", <mailto:referrals+\(f.aliceTag)@example.org?subject=STOP>"))
        #expect(mail.header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click")
        let path = String(header.dropFirst("<https://refer.example.org".count).prefix { $0 != ">" })
        #expect(try await f.request(.post, path, body: "List-Unsubscribe=One-Click").status == 200)
        #expect(try await f.state().aliceOff)
    }

    @Test("The page names the object the click acts on")
    func pageNamesObject() async throws {
        let f = try await LinkFixture()
        let now = f.clock.now
        let tag = try await f.daemon.store.write { db -> String in
            let ledger = StoreLedger(db)
            let owner = try #require(try ledger.member(email: LinkFixture.alice))
            var listing = Listing(
                ownerId: owner.id!, title: "Kitchen <remodels>", category: "Builders", customer: "Homeowners",
                reward: .none, createdAt: now)
            try ledger.save(&listing)
            return try ledger.makeReplyTag(
                for: "admin@example.org", action: "listing.review", ref: "L-\(listing.id!)", now: now, expiresAt: now + 86_400
            ).token
        }
        let page = try await f.request(.get, "/a/\(f.token(tag: tag, word: "APPROVE"))")
        #expect(page.status == 200)
        #expect(page.body.contains("Pressing the button replies APPROVE to L-1 (“Kitchen &lt;remodels&gt;”) for admin@example.org"))
        #expect(page.body.contains("Approve L-1"))
    }
}
