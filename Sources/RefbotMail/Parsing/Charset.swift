import Foundation

/// Turns bytes in a MIME charset into a `String`, never failing.
///
/// Known charsets go through Foundation's converters (CoreFoundation encodings on Linux). Unknown or
/// undecodable input falls back to strict UTF-8, then Windows-1252, which maps every byte, so the result is
/// always a string. `iso-8859-1` and `us-ascii` are read as Windows-1252, as browsers do, because senders
/// mislabel Windows-1252 text that way.
enum Charset {
    /// CoreFoundation encoding numbers by lowercased IANA name or alias.
    private static let table: [String: UInt] = {
        var table: [String: UInt] = [:]
        // each entry: names, CFStringEncoding
        let entries: [([String], UInt)] = [
            // Content-Type: text/plain; charset=utf-8
            (["utf-8", "utf8", "unicode-1-1-utf-8"], 0x0800_0100),
            // charset=us-ascii (read as Windows-1252: a superset that never fails)
            (["us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us"], 0x0500),
            // charset=iso-8859-1 (read as Windows-1252, as browsers do)
            (["iso-8859-1", "iso8859-1", "latin1", "l1", "iso_8859-1", "cp819", "ibm819", "windows-1252", "cp1252",
              "x-cp1252", "iso-ir-100"], 0x0500),
            // charset=iso-8859-2
            (["iso-8859-2", "iso8859-2", "latin2", "l2", "iso_8859-2"], 0x0202),
            // charset=iso-8859-3
            (["iso-8859-3", "iso8859-3", "latin3", "iso_8859-3"], 0x0203),
            // charset=iso-8859-4
            (["iso-8859-4", "iso8859-4", "latin4", "iso_8859-4"], 0x0204),
            // charset=iso-8859-5
            (["iso-8859-5", "iso8859-5", "cyrillic", "iso_8859-5"], 0x0205),
            // charset=iso-8859-6
            (["iso-8859-6", "iso8859-6", "arabic", "iso_8859-6"], 0x0206),
            // charset=iso-8859-7
            (["iso-8859-7", "iso8859-7", "greek", "iso_8859-7"], 0x0207),
            // charset=iso-8859-8
            (["iso-8859-8", "iso8859-8", "hebrew", "iso_8859-8", "iso-8859-8-i"], 0x0208),
            // charset=iso-8859-9
            (["iso-8859-9", "iso8859-9", "latin5", "iso_8859-9"], 0x0209),
            // charset=iso-8859-10
            (["iso-8859-10", "iso8859-10", "latin6"], 0x020A),
            // charset=iso-8859-11
            (["iso-8859-11", "iso8859-11", "tis-620"], 0x020B),
            // charset=iso-8859-13
            (["iso-8859-13", "iso8859-13", "latin7"], 0x020D),
            // charset=iso-8859-14
            (["iso-8859-14", "iso8859-14", "latin8"], 0x020E),
            // charset=iso-8859-15
            (["iso-8859-15", "iso8859-15", "latin9", "latin-9", "iso_8859-15"], 0x020F),
            // charset=iso-8859-16
            (["iso-8859-16", "iso8859-16", "latin10"], 0x0210),
            // charset=windows-1250
            (["windows-1250", "cp1250", "x-cp1250"], 0x0501),
            // charset=windows-1251
            (["windows-1251", "cp1251", "x-cp1251"], 0x0502),
            // charset=windows-1253
            (["windows-1253", "cp1253"], 0x0503),
            // charset=windows-1254
            (["windows-1254", "cp1254"], 0x0504),
            // charset=windows-1255
            (["windows-1255", "cp1255"], 0x0505),
            // charset=windows-1256
            (["windows-1256", "cp1256"], 0x0506),
            // charset=windows-1257
            (["windows-1257", "cp1257"], 0x0507),
            // charset=windows-1258
            (["windows-1258", "cp1258"], 0x0508),
            // charset=koi8-r
            (["koi8-r", "koi8r", "koi8"], 0x0A02),
            // charset=koi8-u
            (["koi8-u", "koi8u"], 0x0A08),
            // charset=gb2312 (read as GB 18030, its superset)
            (["gb2312", "gb_2312-80", "euc-cn", "x-euc-cn", "gbk", "cp936", "x-gbk", "gb18030", "ms936",
              "windows-936"], 0x0632),
            // charset=shift_jis (read as Windows-31J, its superset)
            (["shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "cp932", "windows-31j", "x-ms-cp932"], 0x0420),
            // charset=iso-2022-jp
            (["iso-2022-jp", "csiso2022jp", "iso-2022-jp-2"], 0x0820),
            // charset=euc-jp
            (["euc-jp", "x-euc-jp"], 0x0920),
            // charset=euc-kr
            (["euc-kr", "ks_c_5601-1987", "cp949", "windows-949"], 0x0940),
            // charset=big5
            (["big5", "big5-hkscs", "cn-big5", "x-x-big5"], 0x0A03),
            // charset=utf-16
            (["utf-16", "utf16"], 0x0100),
            // charset=utf-16be
            (["utf-16be"], 0x1000_0100),
            // charset=utf-16le
            (["utf-16le"], 0x1400_0100),
        ]
        for (names, encoding) in entries {
            for name in names { table[name] = encoding }
        }
        return table
    }()

    /// The Foundation encoding for a charset name, or nil when it is unknown.
    private static let nameTrim = TextLines.whitespaceAndNewlines.union(["\"", "'"])

    static func encoding(named name: String) -> String.Encoding? {
        let key = TextLines.trim(name, nameTrim).lowercased()
        guard let cf = table[key] else { return nil }
        if cf == 0x0800_0100 { return .utf8 }
        return String.Encoding(rawValue: 0x8000_0000 | cf)
    }

    private static let windows1252 = String.Encoding(rawValue: 0x8000_0500)

    /// UTF-8, the ISO 8859 family, the Windows code pages and KOI8: ASCII bytes mean ASCII in each.
    private static func isASCIISuperset(_ encoding: String.Encoding) -> Bool {
        if encoding == .utf8 { return true }
        let cf = encoding.rawValue & 0x7FFF_FFFF
        return (0x0200...0x02FF).contains(cf) || (0x0500...0x05FF).contains(cf) || cf == 0x0A02 || cf == 0x0A08
    }

    /// Windows-1252 bytes 0x80–0x9F; 0 where the code page defines no character.
    private static let windows1252High: [UInt16] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ]

    /// Windows-1252 by table; nil when a byte has no character there (Foundation then decides, as before).
    static func decodeWindows1252(_ bytes: [UInt8]) -> String? {
        var scalars = String.UnicodeScalarView()
        for byte in bytes {
            if byte >= 0x80, byte < 0xA0 {
                let value = windows1252High[Int(byte - 0x80)]
                guard value != 0, let scalar = Unicode.Scalar(value) else { return nil }
                scalars.append(scalar)
            } else {
                scalars.append(Unicode.Scalar(byte))
            }
        }
        return String(scalars)
    }

    /// Whether the charset name is one this type can convert.
    static func isKnown(_ name: String) -> Bool { encoding(named: name) != nil }

    /// Decodes `bytes` in `charset`; never fails (see the type's fallback order).
    static func decode(_ bytes: some Collection<UInt8>, charset: String?) -> String {
        let array = Array(bytes)
        if array.isEmpty { return "" }
        let encoding: String.Encoding? = charset.flatMap { Charset.encoding(named: $0) }
        // every charset this type reads as an ASCII superset gives ASCII bytes their ASCII meaning
        let asciiSuperset = encoding.map { Charset.isASCIISuperset($0) } ?? true
        if asciiSuperset, array.allSatisfy({ $0 < 0x80 }) {
            return String(decoding: array, as: UTF8.self)
        }
        if let encoding, encoding != .utf8 {
            // Windows-1252 (and ISO 8859-1 and US-ASCII, read as it) by table; Foundation for the rest
            if encoding == Charset.windows1252, let text = decodeWindows1252(array) { return text }
            if let text = String(bytes: array, encoding: encoding) { return text }
        }
        if let text = String(validating: array, as: UTF8.self) { return text }
        if let text = decodeWindows1252(array) { return text }
        if let text = String(bytes: array, encoding: Charset.windows1252) { return text }
        return String(decoding: array, as: UTF8.self)
    }
}
