import Foundation
import GRDB
import HTTPTypes
import RefbotCore
import RefbotStore
import Testing

@testable import RefbotDaemon
@testable import RefbotHTTP

@Suite("One-click links of a suspended member")
struct SuspendedLinkTests {
    @Test("A suspended member's link answers 410 on GET and POST and acts on nothing; after resume it works again")
    func suspendedLinksAreDead() async throws {
        let f = try await LinkFixture()
        let token = f.token(tag: f.aliceTag, word: "STOP")
        let page = try await f.request(.get, "/a/\(token)")
        let nonce = try #require(LinkFixture.formNonce(in: page.body))
        let now = f.clock.now
        _ = try await f.daemon.store.write { db in
            try MemberAdmin.suspend(email: LinkFixture.alice, reason: "test", actor: "admin@example.org", now: now, in: db)
        }
        let before = try await f.state()
        #expect(try await f.request(.get, "/a/\(token)").status == 410)
        #expect(try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(nonce))").status == 410)
        #expect(try await f.state() == before, "nothing stored, nothing run")
        #expect(!before.aliceOff)

        _ = try await f.daemon.store.write { db in
            try MemberAdmin.resume(email: LinkFixture.alice, actor: "admin@example.org", now: now, in: db)
        }
        let again = try await f.request(.get, "/a/\(token)")
        #expect(again.status == 200)
        let fresh = try #require(LinkFixture.formNonce(in: again.body))
        #expect(try await f.request(.post, "/a/\(token)", body: "form=\(formEncoded(fresh))").status == 200)
        #expect(try await f.state().aliceOff)
    }
}
