import RefbotCore
import Testing

@Suite("VERP key")
struct VERPKeyTests {
    let key = VERPKey(linkKey: LinkKey(bytes: Array(repeating: 7, count: 32)))

    @Test("a mac is 16 lowercase base32 characters, stable for a row, and differs between rows and keys")
    func mac() {
        let mac = key.mac(outboxId: 12)
        #expect(mac.count == 16)
        #expect(mac.allSatisfy { "abcdefghijklmnopqrstuvwxyz234567".contains($0) })
        #expect(key.mac(outboxId: 12) == mac)
        #expect(key.mac(outboxId: 13) != mac)
        #expect(VERPKey(linkKey: LinkKey(bytes: Array(repeating: 8, count: 32))).mac(outboxId: 12) != mac)
    }

    @Test("a mac is the spec's HMAC-SHA256 (key HMAC(link key, \"verp\")), so mail sent by an older build still verifies")
    func knownAnswers() {
        // Computed apart from refbot (Python's hmac and base64 modules) for the link key of 32 bytes of 7.
        #expect(key.mac(outboxId: 12) == "zkgtvchhibvaaxli")
        #expect(key.mac(outboxId: 12, recipient: "Alice@Example.org") == "by6g3s5excgeh4s4")
        // A key used for many macs gives each the same answer as a fresh one.
        for id in 1...3 { _ = key.mac(outboxId: Int64(id)) }
        #expect(key.mac(outboxId: 12) == "zkgtvchhibvaaxli")
    }

    @Test("only the row's own mac verifies, in any case; a shorter, longer or other row's mac does not")
    func verifies() {
        let mac = key.mac(outboxId: 12)
        #expect(key.verifies(outboxId: 12, mac: mac))
        #expect(key.verifies(outboxId: 12, mac: mac.uppercased()))
        #expect(!key.verifies(outboxId: 13, mac: mac))
        #expect(!key.verifies(outboxId: 12, mac: String(mac.dropLast())))
        #expect(!key.verifies(outboxId: 12, mac: mac + "a"))
        #expect(!key.verifies(outboxId: 12, mac: ""))
    }

    @Test("the VERP key is not the link key: a link key's own HMAC of the row id is no mac")
    func derived() {
        let raw = VERPKey(bytes: Array(repeating: 7, count: 32))
        #expect(raw.mac(outboxId: 12) != key.mac(outboxId: 12))
    }

    @Test("a row's mac covers its recipient: another recipient's mac for the same row does not verify")
    func boundToRecipient() {
        let alices = key.mac(outboxId: 12, recipient: "alice@example.org")
        #expect(key.verifies(outboxId: 12, recipient: "Alice@Example.org", mac: alices))
        #expect(!key.verifies(outboxId: 12, recipient: "bob@example.org", mac: alices))
        #expect(!key.verifies(outboxId: 12, mac: alices))
        #expect(VERPKey.macRecipient(["alice@example.org"]) == "alice@example.org")
        #expect(VERPKey.macRecipient(["admin@example.org", "ops@example.org"]) == nil)
    }
}
