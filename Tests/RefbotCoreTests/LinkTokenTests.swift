import Foundation
import RefbotCore
import Testing

@Suite("One-click link tokens")
struct LinkTokenTests {
    let key = LinkKey(bytes: Array(repeating: 7, count: 32))
    let otherKey = LinkKey(bytes: Array(repeating: 9, count: 32))
    let now: Int64 = 1_790_000_000

    func token(tag: String = "abcdefghij2345672345", word: String = "ACCEPT") -> LinkToken {
        LinkToken(tag: tag, word: word, expiresAt: now + 14 * 86_400, nonce: [1, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    @Test("A signed token verifies and gives back its tag, word, expiry and nonce")
    func roundTrip() throws {
        let original = token()
        let text = original.signed(with: key)
        #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(text.count < 90)
        let verified = try LinkToken.verify(text, keys: [key], now: now)
        #expect(verified == original)
        #expect(verified.nonceHex == "010203040506070809")
    }

    @Test("Flipping any one bit of a token is refused")
    func flippedBit() throws {
        let bytes = try #require(Base64URL.decode(token().signed(with: key)))
        for index in bytes.indices {
            for bit in 0..<8 {
                var altered = bytes
                altered[index] ^= UInt8(1 << bit)
                #expect(throws: LinkToken.Refusal.self) {
                    try LinkToken.verify(Base64URL.encode(altered), keys: [key], now: now)
                }
            }
        }
        // A flipped bit in the signed part (here the first nonce byte) is an unknown link, not a malformed one.
        var altered = bytes
        altered[5] ^= 1
        #expect(throws: LinkToken.Refusal.badSignature) { try LinkToken.verify(Base64URL.encode(altered), keys: [key], now: now) }
    }

    @Test("A field swapped for another member's tag or another word is refused as altered")
    func swappedField() throws {
        let genuine = try #require(Base64URL.decode(token().signed(with: key)))
        let otherTag = try #require(Base64URL.decode(token(tag: "zzzzzzzzzzzzzzzzzzzz").signed(with: key)))
        // The tag of one, the MAC of the other.
        let spliced = Array(otherTag.dropLast(16)) + Array(genuine.suffix(16))
        #expect(throws: LinkToken.Refusal.badSignature) { try LinkToken.verify(Base64URL.encode(spliced), keys: [key], now: now) }
        let reject = try #require(Base64URL.decode(token(word: "REJECT").signed(with: key)))
        let swappedWord = Array(reject.dropLast(16)) + Array(genuine.suffix(16))
        #expect(throws: LinkToken.Refusal.badSignature) { try LinkToken.verify(Base64URL.encode(swappedWord), keys: [key], now: now) }
    }

    @Test("An expired token is refused with its expiry; it works until the second before")
    func expired() throws {
        let original = token()
        let text = original.signed(with: key)
        #expect(try LinkToken.verify(text, keys: [key], now: original.expiresAt - 1) == original)
        #expect(throws: LinkToken.Refusal.expired(at: original.expiresAt)) {
            try LinkToken.verify(text, keys: [key], now: original.expiresAt)
        }
    }

    @Test("A token signed with a key the server does not hold is refused")
    func wrongKey() {
        let text = token().signed(with: otherKey)
        #expect(throws: LinkToken.Refusal.badSignature) { try LinkToken.verify(text, keys: [key], now: now) }
    }

    @Test("After a key rotation, links signed with the older key still verify")
    func rotation() throws {
        let old = token().signed(with: key)
        let new = token(word: "REJECT").signed(with: otherKey)
        #expect(try LinkToken.verify(old, keys: [otherKey, key], now: now).word == "ACCEPT")
        #expect(try LinkToken.verify(new, keys: [otherKey, key], now: now).word == "REJECT")
    }

    @Test("Malformed text is refused as malformed", arguments: ["", "!!!!", "abc", "a b c", String(repeating: "A", count: 400), "AQ"])
    func malformed(text: String) {
        #expect(throws: LinkToken.Refusal.malformed) { try LinkToken.verify(text, keys: [key], now: now) }
    }

    @Test("A token of an unknown version is malformed")
    func unknownVersion() throws {
        var bytes = try #require(Base64URL.decode(token().signed(with: key)))
        bytes[0] = 2
        #expect(throws: LinkToken.Refusal.malformed) { try LinkToken.verify(Base64URL.encode(bytes), keys: [key], now: now) }
    }

    @Test("Secret files hold keys one per line, newest first, with comments")
    func secretFile() throws {
        let text = "# keys\n\(otherKey.fileLine)\n\n\(key.fileLine)\nnot a key\n"
        let keys = LinkKey.parse(fileText: text)
        #expect(keys.count == 2)
        let signed = token().signed(with: try #require(keys.last))
        #expect(try LinkToken.verify(signed, keys: [key], now: now).tag == "abcdefghij2345672345")
    }

    @Test("Form signatures verify only for the text they were made for")
    func formSignature() {
        let signature = key.sign("a/token")
        #expect(key.isValid(signature: signature, for: "a/token"))
        #expect(!key.isValid(signature: signature, for: "a/other"))
        #expect(!otherKey.isValid(signature: signature, for: "a/token"))
        #expect(!key.isValid(signature: "%%%", for: "a/token"))
    }
}
