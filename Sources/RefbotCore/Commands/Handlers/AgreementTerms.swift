/// The standard partnership agreement (`mail-templates/agreement.mustache`): its version and text.
///
/// The file's first `version: …` line names the version; the rest is the text, where
/// `{{listingRef}}`, `{{listingTitle}}`, `{{reward}}`, `{{ownerEmail}}`, `{{referrerEmail}}` and
/// `{{botName}}` are filled in for one listing and one referrer. The SHA-256 of the filled-in
/// text is what an agreement records, so a new version, or a listing whose reward changed,
/// asks the referrer again.
///
/// ```swift
/// let standard = StandardAgreement(source: try String(contentsOfFile: path, encoding: .utf8))
/// let terms = AgreementTerms(listing: listing, owner: owner, referrer: referrer, standard: standard, botName: name)
/// terms.version; terms.sha256; terms.text
/// ```
public struct StandardAgreement: Sendable, Hashable {
    /// The version named on the file's `version:` line (`unversioned` when it has none).
    public var version: String
    /// The template text, without the version line.
    public var template: String

    /// Reads the agreement file.
    public init(source: String) {
        var lines = source.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        var version = "unversioned"
        if let index = lines.firstIndex(where: { $0.trimmedOfWhitespace.lowercased().hasPrefix("version:") }) {
            version = String(lines[index].trimmedOfWhitespace.dropFirst("version:".count)).trimmedOfWhitespace
            lines.remove(at: index)
        }
        while lines.first?.trimmedOfWhitespace.isEmpty == true { lines.removeFirst() }
        while lines.last?.trimmedOfWhitespace.isEmpty == true { lines.removeLast() }
        self.version = version.isEmpty ? "unversioned" : version
        self.template = lines.joined(separator: "\n") + "\n"
    }

    /// A short built-in text, for handlers built without the file (tests of other concerns).
    public static let builtin = StandardAgreement(
        source: """
            version: builtin-1
            Referral partnership agreement for {{listingRef}} "{{listingTitle}}".
            The owner ({{ownerEmail}}) pays the referrer ({{referrerEmail}}) the reward: {{reward}}.
            """)

    /// The text with the values filled in; `{{name}}` without a value is left empty.
    public func render(_ values: [String: String]) -> String {
        var output = ""
        let characters = Array(template)
        var index = 0
        while index < characters.count {
            if index + 1 < characters.count, characters[index] == "{", characters[index + 1] == "{",
                let close = Self.closing(characters, from: index + 2)
            {
                let name = String(characters[(index + 2)..<close]).trimmedOfWhitespace
                output += values[name] ?? ""
                index = close + 2
            } else {
                output.append(characters[index])
                index += 1
            }
        }
        return output
    }

    /// The index of the next `}}` at or after `start`, if any.
    private static func closing(_ characters: [Character], from start: Int) -> Int? {
        var index = start
        while index + 1 < characters.count {
            if characters[index] == "}", characters[index + 1] == "}" { return index }
            if characters[index].isNewline { return nil }
            index += 1
        }
        return nil
    }
}

/// The terms a referrer agrees to for one listing: the standard text filled in, or the owner's own.
public struct AgreementTerms: Sendable, Hashable {
    /// The standard text's version, or ``Agreement/customVersion``.
    public var version: String
    /// The exact text attached to `agreement.copy`.
    public var text: String
    /// SHA-256 of the UTF-8 bytes of ``text``, 64 lower-case hex digits.
    public var sha256: String

    /// The current terms of `listing` between its owner and `referrer`.
    public init(listing: Listing, owner: Member, referrer: Member, standard: StandardAgreement, botName: String) {
        switch listing.terms {
        case .custom(let custom):
            version = Agreement.customVersion
            text = custom.hasSuffix("\n") ? custom : custom + "\n"
        case .standard:
            version = standard.version
            text = standard.render([
                "listingRef": listing.listingID?.description ?? "",
                "listingTitle": listing.title,
                "reward": listing.reward.description,
                "ownerEmail": owner.email,
                "referrerEmail": referrer.email,
                "botName": botName,
                "version": standard.version,
            ])
        }
        if let disclosure = listing.compliance.disclosure { text += Self.disclosureSection(disclosure) }
        sha256 = TextDigest.sha256Hex(Array(text.utf8))
    }

    /// The section a listing's compliance disclosure adds at the end of its agreement text (standard
    /// or custom), inside what the SHA-256 covers.
    public static func disclosureSection(_ disclosure: String) -> String {
        "\nDISCLOSURE required by the network's compliance rules for this listing:\n\(disclosure)\n"
            + "(The network's compliance rules are a guardrail, not legal advice.)\n"
    }
}

/// SHA-256 (FIPS 180-4) of an agreement's text, in plain Swift so the digest agreements record does
/// not depend on a crypto library's API.
public enum TextDigest {
    /// The digest of `bytes` as 64 lower-case hex digits.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        let hexDigits = Array("0123456789abcdef")
        var out = ""
        for byte in sha256(bytes) {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0f)])
        }
        return out
    }

    /// The 32-byte digest of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var h: [UInt32] = [
            0x6a09_e667, 0xbb67_ae85, 0x3c6e_f372, 0xa54f_f53a, 0x510e_527f, 0x9b05_688c, 0x1f83_d9ab, 0x5be0_cd19,
        ]
        var message = bytes
        let bitLength = UInt64(bytes.count) &* 8
        message.append(0x80)
        while message.count % 64 != 56 { message.append(0) }
        for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }

        var w = [UInt32](repeating: 0, count: 64)
        for chunk in stride(from: 0, to: message.count, by: 64) {
            for i in 0..<16 {
                let b = chunk + i * 4
                w[i] = UInt32(message[b]) << 24 | UInt32(message[b + 1]) << 16 | UInt32(message[b + 2]) << 8
                    | UInt32(message[b + 3])
            }
            for i in 16..<64 {
                let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
                let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
                w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
            }
            var a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7]
            for i in 0..<64 {
                let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
                let ch = (e & f) ^ (~e & g)
                let t1 = hh &+ s1 &+ ch &+ k[i] &+ w[i]
                let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
                let maj = (a & b) ^ (a & c) ^ (b & c)
                let t2 = s0 &+ maj
                hh = g
                g = f
                f = e
                e = d &+ t1
                d = c
                c = b
                b = a
                a = t1 &+ t2
            }
            h[0] &+= a
            h[1] &+= b
            h[2] &+= c
            h[3] &+= d
            h[4] &+= e
            h[5] &+= f
            h[6] &+= g
            h[7] &+= hh
        }
        return h.flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> UInt32(24 - $0 * 8)) } }
    }

    private static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }

    private static let k: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]
}
