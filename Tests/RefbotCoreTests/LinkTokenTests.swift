import Foundation
@testable import RefbotCore
import Testing

@Suite("One-click link tokens")
struct LinkTokenTests {
    let key = LinkKey(bytes: Array(repeating: 7, count: 32))
    let otherKey = LinkKey(bytes: Array(repeating: 9, count: 32))
    let now: Int64 = 1_790_000_000

    func token(tag: String = "abcdefghij2345672345", word: String = "ACCEPT") -> LinkToken {
        LinkToken(tagHash: ReplyTag.hash(tag), word: word, expiresAt: now + 14 * 86_400, nonce: [1, 2, 3, 4, 5, 6, 7, 8, 9])
    }

    @Test("Base64URL.encode writes RFC 4648's URL-safe alphabet without padding, for every length, and decode reads it back")
    func base64URLMatchesFoundation() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for length in 0..<200 {
            var bytes: [UInt8] = []
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                bytes.append(UInt8(truncatingIfNeeded: state >> 33))
            }
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == expected, "length \(length)")
            if length > 0 { #expect(Base64URL.decode(encoded) == bytes, "length \(length)") }
        }
        #expect(Base64URL.encode([0xfb, 0xff, 0xbf]) == "-_-_")
    }

    @Test("A new token's nonce is the bytes of two 64-bit draws, lowest first, nine of them")
    func nonceFromWholeDraws() {
        var generator = RandomBase32Tests.FixedWords(words: [0x0807_0605_0403_0201, 0xFFFF_FFFF_FFFF_FF09])
        let made = LinkToken(tagHash: ReplyTag.hash("abcdefghij2345672345"), word: "ACCEPT", expiresAt: now, using: &generator)
        #expect(made.nonce == [1, 2, 3, 4, 5, 6, 7, 8, 9])
        #expect(generator.draws == 2)
        var system = SystemRandomNumberGenerator()
        let nonces = (0..<500).map { _ in LinkToken(tagHash: "x", word: "ACCEPT", expiresAt: now, using: &system).nonce }
        #expect(nonces.allSatisfy { $0.count == LinkToken.nonceLength })
        #expect(Set(nonces).count == 500)
        // Every byte of the nonce varies, the ninth (from the second draw) included.
        #expect((0..<LinkToken.nonceLength).allSatisfy { place in Set(nonces.map { $0[place] }).count > 100 })
    }

    @Test("A signed token verifies and gives back its tag's hash, word, expiry and nonce")
    func roundTrip() throws {
        let original = token()
        let text = original.signed(with: key)
        #expect(text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(text.count < 100)
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
        bytes[0] = 3
        #expect(throws: LinkToken.Refusal.malformed) { try LinkToken.verify(Base64URL.encode(bytes), keys: [key], now: now) }
    }

    @Test("Secret files hold keys one per line, newest first, with comments")
    func secretFile() throws {
        let text = "# keys\n\(otherKey.fileLine)\n\n\(key.fileLine)\nnot a key\n"
        let keys = LinkKey.parse(fileText: text)
        #expect(keys.count == 2)
        let signed = token().signed(with: try #require(keys.last))
        #expect(try LinkToken.verify(signed, keys: [key], now: now).tagHash == ReplyTag.hash("abcdefghij2345672345"))
    }

    @Test("A token carries no reply tag in clear, only its hash")
    func noClearTag() throws {
        let tag = "abcdefghij2345672345"
        let bytes = try #require(Base64URL.decode(token(tag: tag).signed(with: key)))
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(!text.contains(tag))
        #expect(!bytes.isEmpty && bytes[0] == LinkToken.version)
    }

    @Test("A version 1 link, made when links carried the tag, still verifies and reads as the tag's hash")
    func legacyLink() throws {
        // version 1 | expiresAt | nonce | tag length | tag | word | MAC
        let tag = "abcdefghij2345672345"
        let expiresAt = UInt32(now + 86_400)
        var body: [UInt8] = [1, UInt8(expiresAt >> 24), UInt8(expiresAt >> 16 & 0xff), UInt8(expiresAt >> 8 & 0xff), UInt8(expiresAt & 0xff)]
        body += [1, 2, 3, 4, 5, 6, 7, 8, 9]
        body.append(UInt8(tag.utf8.count))
        body += Array(tag.utf8) + Array("STOP".utf8)
        let signed = Base64URL.encode(body + LinkToken.mac(body, key: key))
        let verified = try LinkToken.verify(signed, keys: [key], now: now)
        #expect(verified.tagHash == ReplyTag.hash(tag))
        #expect(verified.word == "STOP")
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
