import Crypto

/// The key that makes refbot's envelope senders unguessable (spec §4 "Envelope sender (VERP)").
///
/// Each outbox row goes out from `bot+bounce-<id>-<mac>@domain`, where `mac` is the first 80 bits
/// of HMAC-SHA256 over the row's id and its recipient, in lowercase base32 (16 characters). Every
/// row to a member has that member as its only recipient, so a member who reads the envelope
/// sender of their own mail cannot make a bounce count against anyone else. Like SRS and BATV, only
/// refbot can mint one, so a bounce counts only when it comes to an address refbot gave out. The
/// key is derived from the first link key in `bot.secret_file` (`HMAC(linkKey, "verp")`), so it
/// survives restarts and is shared by the daemon and the admin CLI, and is never the link key itself.
///
/// ```swift
/// let key = VERPKey(linkKey: keys[0])
/// key.mac(outboxId: 12)              // "k3q…" (16 characters)
/// key.verifies(outboxId: 12, mac: m) // true only for refbot's own mac
/// ```
public struct VERPKey: Sendable {
    let key: SymmetricKey
    /// An HMAC already keyed with `key` (its padded key hashed once); each mac starts from a copy.
    private let keyed: HMAC<SHA256>

    /// The VERP key derived from a link signing key.
    public init(linkKey: LinkKey) {
        let derived = HMAC<SHA256>.authenticationCode(for: Array("verp".utf8), using: linkKey.key)
        self.init(bytes: Array(derived))
    }

    /// A key of these bytes (tests).
    public init(bytes: [UInt8]) {
        key = SymmetricKey(data: bytes)
        keyed = HMAC(key: key)
    }

    /// A fresh random key: mail sent under it can never have a bounce counted.
    public static func random() -> VERPKey {
        VERPKey(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// Characters of the mac: 16 base32 characters, 80 bits.
    public static let macLength = 16

    /// The mac for an outbox row and, when the row has a single recipient, that recipient
    /// (ASCII-lowercased): HMAC over `"<id>\n<recipient>"`, or over `"<id>"` for a row to several
    /// people (only the admins get those). Lowercase base32.
    public func mac(outboxId: Int64, recipient: String? = nil) -> String {
        let message = recipient.map { "\(outboxId)\n\(Member.asciiLowercased($0))" } ?? "\(outboxId)"
        var hmac = keyed
        hmac.update(data: Array(message.utf8))
        return String(VERPKey.base32(Array(hmac.finalize())).prefix(VERPKey.macLength))
    }

    /// Whether `mac` is this key's mac for the row and recipient (case-insensitive, compared in
    /// constant time).
    public func verifies(outboxId: Int64, recipient: String? = nil, mac: String) -> Bool {
        let expected = Array(self.mac(outboxId: outboxId, recipient: recipient).utf8)
        let given = Array(Member.asciiLowercased(mac).utf8)
        guard given.count == expected.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(given, expected) { difference |= a ^ b }
        return difference == 0
    }

    /// The recipient a row's mac covers: its only one, or none for a row to several people.
    public static func macRecipient(_ recipients: [String]) -> String? {
        recipients.count == 1 ? recipients[0] : nil
    }

    private static let base32Alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// RFC 4648 base32, lowercase, without padding.
    static func base32(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                output.append(base32Alphabet[Int((buffer >> UInt32(bits - 5)) & 31)])
                bits -= 5
            }
        }
        if bits > 0 { output.append(base32Alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: output, as: UTF8.self)
    }
}
