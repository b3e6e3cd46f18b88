import Foundation
import RefbotMail

/// Takes reply tags out of the copies of mail the database keeps (spec §2 path 1: a tag is stored
/// hashed). The outbox keeps a mail's bytes until the SMTP server has it, and the inbound queue
/// keeps a member's mail once acted on; after that each copy has every `local+TAG@domain` of
/// refbot's address turned into `local+xxxx…@domain`. A tag split by a quoted-printable soft line
/// break is found too; one inside a base64 body is not (refbot writes none; a member's client may).
///
/// ```swift
/// let kept = TagRedaction.redact(raw, bot: bot)   // same length, tags blanked
/// ```
public enum TagRedaction {
    /// The shortest and longest tag blanked (refbot's are 20 characters).
    static let tagLengths = 16...64

    /// `raw` with the tag of every tagged form of `bot`'s address blanked, byte for byte.
    public static func redact(_ raw: [UInt8], bot: EmailAddress) -> [UInt8] {
        let needle = Array((bot.localPart + "+").lowercased().utf8)
        guard !needle.isEmpty, raw.count >= needle.count else { return raw }
        var out = raw
        var index = 0
        while index + needle.count <= out.count {
            guard matches(out, at: index, needle) else {
                index += 1
                continue
            }
            var cursor = index + needle.count
            var positions: [Int] = []
            while cursor < out.count, positions.count <= tagLengths.upperBound {
                let byte = out[cursor]
                if isTagByte(byte) {
                    positions.append(cursor)
                    cursor += 1
                } else if let skip = softBreak(out, at: cursor) {
                    cursor += skip
                } else {
                    break
                }
            }
            if cursor < out.count, out[cursor] == UInt8(ascii: "@"), tagLengths.contains(positions.count) {
                for position in positions { out[position] = UInt8(ascii: "x") }
            }
            index = max(cursor, index + 1)
        }
        return out
    }

    /// `raw` redacted, or `nil` when it holds no tag (nothing to write back).
    public static func redacted(_ raw: Data, bot: EmailAddress) -> Data? {
        let bytes = [UInt8](raw)
        let result = redact(bytes, bot: bot)
        return result == bytes ? nil : Data(result)
    }

    private static func matches(_ bytes: [UInt8], at index: Int, _ needle: [UInt8]) -> Bool {
        for offset in needle.indices {
            var byte = bytes[index + offset]
            if byte >= 0x41 && byte <= 0x5a { byte += 0x20 }
            if byte != needle[offset] { return false }
        }
        return true
    }

    private static func isTagByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39)
    }

    /// The length of a quoted-printable soft line break (`=` CRLF or `=` LF) at `index`, if one is there.
    private static func softBreak(_ bytes: [UInt8], at index: Int) -> Int? {
        guard bytes[index] == UInt8(ascii: "=") else { return nil }
        if index + 1 < bytes.count, bytes[index + 1] == 0x0A { return 2 }
        if index + 2 < bytes.count, bytes[index + 1] == 0x0D, bytes[index + 2] == 0x0A { return 3 }
        return nil
    }
}
