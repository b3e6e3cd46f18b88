import Crypto
import Foundation

/// A signed one-click link: one command word to run as a reply to one reply tag.
///
/// The reply tag already names the member, the action and the object, so the link only adds the word,
/// an expiry and a random nonce (which makes each link single-use). It names the tag by its hash
/// (``ReplyTag/hash``), the key the server looks it up under, never by the tag itself: a link shows
/// no reply address anyone could write to (spec §5). The wire form is compact base64url:
///
///     version 2 (1) | expiresAt (4, big-endian seconds) | nonce (9) | SHA-256 of the tag (32) | word | MAC (16)
///
/// The MAC is HMAC-SHA256 over everything before it, truncated to 128 bits. Version 1 links, made
/// before tags were stored hashed, carried the tag itself (`tag length (1) | tag` in place of the
/// hash); they still verify until they expire, and are read as the hash of their tag.
public struct LinkToken: Sendable, Equatable {
    /// Lower-case hex SHA-256 of the reply tag the link acts on.
    public var tagHash: String
    /// The command word, upper-case: `ACCEPT`, `REJECT`, `STOP`…
    public var word: String
    /// Unix seconds after which the link no longer acts.
    public var expiresAt: Int64
    /// Random bytes, hex in ``nonceHex``; the key of the single-use record.
    public var nonce: [UInt8]

    public static let version: UInt8 = 2
    static let legacyVersion: UInt8 = 1
    public static let nonceLength = 9
    static let hashLength = 32
    static let macLength = 16
    static let maxTagLength = 64
    static let maxWordLength = 16

    public init(tagHash: String, word: String, expiresAt: Int64, nonce: [UInt8]) {
        self.tagHash = tagHash.lowercased()
        self.word = word
        self.expiresAt = expiresAt
        self.nonce = nonce
    }

    /// A new link with a random nonce.
    public init<G: RandomNumberGenerator>(tagHash: String, word: String, expiresAt: Int64, using generator: inout G) {
        // Whole 64-bit draws (two `getrandom` calls from the system generator, not one a byte).
        var nonce: [UInt8] = []
        nonce.reserveCapacity(LinkToken.nonceLength)
        while nonce.count < LinkToken.nonceLength {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) where nonce.count < LinkToken.nonceLength {
                nonce.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        self.init(tagHash: tagHash, word: word, expiresAt: expiresAt, nonce: nonce)
    }

    /// The nonce as lower-case hex.
    public var nonceHex: String { LinkToken.hex(nonce) }

    /// Why a token was refused.
    public enum Refusal: Error, Sendable, Equatable {
        /// Not a token at all: bad characters, bad length, unknown version (HTTP 400).
        case malformed
        /// Well-formed but signed by none of the keys: altered, or made elsewhere (HTTP 404).
        case badSignature
        /// Genuine but past its expiry (HTTP 410).
        case expired(at: Int64)
    }

    /// The signed, URL-safe form.
    public func signed(with key: LinkKey) -> String {
        let body = payload()
        return Base64URL.encode(body + LinkToken.mac(body, key: key))
    }

    /// Verifies `text` against every key (newest first) and its expiry at `now`.
    public static func verify(_ text: String, keys: [LinkKey], now: Int64) throws(Refusal) -> LinkToken {
        guard text.utf8.count <= 200, let bytes = Base64URL.decode(text), let first = bytes.first else { throw .malformed }
        let head = 1 + 4 + nonceLength
        let body = Array(bytes.dropLast(macLength))
        let mac = Array(bytes.suffix(macLength))
        let hashRange: Range<Int>
        switch first {
        case version:
            guard bytes.count >= head + hashLength + 1 + macLength else { throw .malformed }
            hashRange = head..<(head + hashLength)
        case legacyVersion:
            guard bytes.count >= head + 1 + 1 + 1 + macLength else { throw .malformed }
            let tagLength = Int(body[head])
            guard tagLength > 0, tagLength <= maxTagLength, head + 1 + tagLength < body.count else { throw .malformed }
            hashRange = (head + 1)..<(head + 1 + tagLength)
        default:
            throw .malformed
        }
        // Every key is tried, so the time taken does not say which key (if any) matched.
        var matched = false
        for key in keys where key.isValid(mac: mac, for: body) { matched = true }
        guard matched else { throw .badSignature }
        guard let word = String(bytes: body[hashRange.upperBound...], encoding: .utf8),
            word.count <= maxWordLength, word.allSatisfy({ $0.isASCII && $0.isLetter })
        else { throw .malformed }
        let tagHash: String
        if first == version {
            tagHash = hex(Array(body[hashRange]))
        } else {
            guard let tag = String(bytes: body[hashRange], encoding: .utf8) else { throw .malformed }
            tagHash = ReplyTag.hash(tag)
        }
        let expiresAt = body[1..<5].reduce(Int64(0)) { $0 << 8 | Int64($1) }
        let token = LinkToken(tagHash: tagHash, word: word, expiresAt: expiresAt, nonce: Array(body[5..<head]))
        guard now < expiresAt else { throw .expired(at: expiresAt) }
        return token
    }

    func payload() -> [UInt8] {
        precondition(nonce.count == LinkToken.nonceLength, "a link nonce has \(LinkToken.nonceLength) bytes")
        let hashBytes = LinkToken.bytes(hex: tagHash)
        precondition(hashBytes?.count == LinkToken.hashLength, "a link names a reply tag by its SHA-256")
        let seconds = UInt32(clamping: expiresAt)
        var out: [UInt8] = [LinkToken.version]
        out += [UInt8(seconds >> 24 & 0xff), UInt8(seconds >> 16 & 0xff), UInt8(seconds >> 8 & 0xff), UInt8(seconds & 0xff)]
        out += nonce
        out += hashBytes ?? []
        out += Array(word.uppercased().utf8)
        return out
    }

    static func mac(_ body: [UInt8], key: LinkKey) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: body, using: key.key)).prefix(macLength).map { $0 }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    static func bytes(hex text: String) -> [UInt8]? {
        guard text.utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        return out
    }
}

/// A link signing key (32 random bytes).
public struct LinkKey: Sendable {
    let key: SymmetricKey

    public init(bytes: [UInt8]) {
        key = SymmetricKey(data: bytes)
    }

    /// A fresh random key.
    public static func random() -> LinkKey {
        LinkKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The keys in a secret file's text: one hex or base64url key per line, newest first; blank lines and
    /// `#` comments are skipped. Lines that are not keys are ignored; an empty result means no usable key.
    public static func parse(fileText: String) -> [LinkKey] {
        fileText.split(whereSeparator: \.isNewline).compactMap { raw in
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            if line.count == 64, let bytes = hexBytes(line) { return LinkKey(bytes: bytes) }
            if let bytes = Base64URL.decode(line), bytes.count >= 16 { return LinkKey(bytes: bytes) }
            return nil
        }
    }

    /// The line a secret file stores for this key (hex).
    public var fileLine: String {
        key.withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    /// Authenticates an arbitrary string (e.g. a form nonce over a token), URL-safe.
    public func sign(_ text: String) -> String {
        Base64URL.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key)))
    }

    /// Checks a value made by ``sign(_:)`` in constant time.
    public func isValid(signature: String, for text: String) -> Bool {
        guard let mac = Base64URL.decode(signature) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: Array(text.utf8), using: key)
    }

    func isValid(mac: [UInt8], for body: [UInt8]) -> Bool {
        let expected = LinkToken.mac(body, key: self)
        guard mac.count == expected.count else { return false }
        var difference: UInt8 = 0
        for index in expected.indices { difference |= expected[index] ^ mac[index] }
        return difference == 0
    }

    private static func hexBytes(_ text: String) -> [UInt8]? {
        var out: [UInt8] = []
        var high: UInt8?
        for character in text {
            guard let nibble = character.hexDigitValue else { return nil }
            if let h = high {
                out.append(h << 4 | UInt8(nibble))
                high = nil
            } else {
                high = UInt8(nibble)
            }
        }
        return high == nil ? out : nil
    }
}

/// RFC 4648 §5 base64url without padding.
public enum Base64URL {
    /// The URL-safe alphabet (RFC 4648 §5).
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// `bytes` in the URL-safe alphabet, without padding (written straight from the bytes: every
    /// link in every mail takes a few of these).
    public static func encode(_ bytes: [UInt8]) -> String {
        let count = bytes.count
        return String(unsafeUninitializedCapacity: (count * 4 + 2) / 3) { out in
            var o = 0
            var i = 0
            while i + 3 <= count {
                let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                out[o] = alphabet[Int(n >> 18)]
                out[o + 1] = alphabet[Int(n >> 12 & 63)]
                out[o + 2] = alphabet[Int(n >> 6 & 63)]
                out[o + 3] = alphabet[Int(n & 63)]
                o += 4
                i += 3
            }
            switch count - i {
            case 1:
                let n = UInt32(bytes[i]) << 16
                out[o] = alphabet[Int(n >> 18)]
                out[o + 1] = alphabet[Int(n >> 12 & 63)]
                o += 2
            case 2:
                let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
                out[o] = alphabet[Int(n >> 18)]
                out[o + 1] = alphabet[Int(n >> 12 & 63)]
                out[o + 2] = alphabet[Int(n >> 6 & 63)]
                o += 3
            default:
                break
            }
            return o
        }
    }

    public static func decode(_ text: String) -> [UInt8]? {
        guard !text.isEmpty,
            text.utf8.allSatisfy({ ($0 >= 0x41 && $0 <= 0x5a) || ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x5f }),
            text.utf8.count % 4 != 1
        else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.utf8.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        return Array(data)
    }
}
