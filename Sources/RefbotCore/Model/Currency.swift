/// What refbot knows about a currency: its ISO 4217 code, how many minor-unit digits it has, and
/// how it is written.
///
/// Any three-letter code is accepted; codes not in the table have two decimals and print as
/// `2,500.00 CHF`.
public struct Currency: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The upper-case ISO 4217 code, e.g. `USD`.
    public let code: String

    /// Wraps a code after upper-casing it; `nil` unless it is three ASCII letters.
    public init?(code: some StringProtocol) {
        let upper = code.uppercased()
        guard upper.utf8.count == 3, upper.utf8.allSatisfy({ $0 >= 65 && $0 <= 90 }) else { return nil }
        self.code = upper
    }

    public var description: String { code }

    /// The number of decimal digits in the minor unit: 2 for USD, 0 for JPY, 3 for KWD.
    public var exponent: Int {
        Self.zeroDecimal.contains(code) ? 0 : Self.threeDecimal.contains(code) ? 3 : 2
    }

    /// `10^exponent`: minor units in one major unit.
    public var minorPerMajor: Int64 {
        var value: Int64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }

    /// The symbol written in front of an amount, when the code has one refbot prints (`$`, `€`, `£`,
    /// `¥`, `₹`, `CA$`, `A$`, `NZ$`); other codes are written after the amount.
    public var prefixSymbol: String? { Self.printedSymbols[code] }

    /// ISO codes whose minor unit has no digits.
    static let zeroDecimal: Set<String> = [
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND",
        "VUV", "XAF", "XOF", "XPF",
    ]

    /// ISO codes whose minor unit has three digits.
    static let threeDecimal: Set<String> = ["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"]

    /// Currencies printed with a symbol in front.
    static let printedSymbols: [String: String] = [
        "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹",
        "CAD": "CA$", "AUD": "A$", "NZD": "NZ$",
    ]

    /// Currencies a bare `$` may stand for; anything else reads `$` as USD.
    static let dollarCodes: Set<String> = [
        "USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "TWD", "JMD", "TTD", "BSD", "BBD", "BZD",
        "FJD", "LRD", "NAD", "SBD", "SRD", "XCD", "BMD", "KYD", "GYD",
    ]

    /// Currencies a bare `kr` may stand for; it is read only when the network currency is one of them.
    static let kronaCodes: Set<String> = ["SEK", "NOK", "DKK", "ISK"]

    /// The US dollar.
    public static let usd = Currency(validCode: "USD")
    /// The euro.
    public static let eur = Currency(validCode: "EUR")
    /// The pound sterling.
    public static let gbp = Currency(validCode: "GBP")
    /// The Japanese yen.
    public static let jpy = Currency(validCode: "JPY")

    private init(validCode: String) { self.code = validCode }
}
