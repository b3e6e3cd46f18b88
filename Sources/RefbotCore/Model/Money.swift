/// An amount of money, kept as whole minor units of one currency (cents for USD, yen for JPY).
///
/// House style for printing (``formatted``): the symbol in front for the currencies that have one in
/// ``Currency/prefixSymbol`` (`$5,000.00`, `€200.50`, `£40.00`, `¥1,000`, `CA$12.00`), otherwise the
/// code after the number (`2,500.00 CHF`); always a comma every three digits, a point before the
/// minor digits, and all the minor digits the currency has. ``plain`` is the unambiguous form for
/// storage and exports: `5000.00 USD`.
///
/// Read amounts with ``MoneyParser``.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The amount in minor units.
    public var amountMinor: Int64
    /// The upper-case ISO 4217 code.
    public var currency: String

    /// An amount in minor units of a currency (`Money(amountMinor: 500_000, currency: "USD")` is $5,000.00).
    public init(amountMinor: Int64, currency: String) {
        self.amountMinor = amountMinor
        self.currency = currency.uppercased()
    }

    /// Zero in a currency.
    public static func zero(_ currency: String) -> Money { Money(amountMinor: 0, currency: currency) }

    /// The currency's facts (exponent, symbol); a malformed code is treated as a two-decimal currency.
    public var currencyInfo: Currency? { Currency(code: currency) }

    /// Digits after the decimal point for this currency.
    public var exponent: Int { currencyInfo?.exponent ?? 2 }

    /// Whether the amount is zero.
    public var isZero: Bool { amountMinor == 0 }

    /// `$5,000.00`, `€200.50`, `2,500.00 CHF`: see the type's house style.
    public var formatted: String {
        let number = Self.digits(amountMinor.magnitude, exponent: exponent, grouping: true)
        let sign = amountMinor < 0 ? "-" : ""
        if let symbol = currencyInfo?.prefixSymbol {
            return "\(sign)\(symbol)\(number)"
        }
        return "\(sign)\(number) \(currency)"
    }

    /// `5000.00 USD`: no grouping, code last; reads back with ``MoneyParser`` in any network.
    public var plain: String {
        let sign = amountMinor < 0 ? "-" : ""
        return "\(sign)\(Self.digits(amountMinor.magnitude, exponent: exponent, grouping: false)) \(currency)"
    }

    /// The amount without currency, with the currency's decimals: `5000.00`.
    public var decimalString: String {
        let sign = amountMinor < 0 ? "-" : ""
        return sign + Self.digits(amountMinor.magnitude, exponent: exponent, grouping: false)
    }

    public var description: String { formatted }

    /// The sum, or `nil` when the currencies differ or the sum overflows.
    public func adding(_ other: Money) -> Money? {
        guard other.currency == currency else { return nil }
        let (sum, overflow) = amountMinor.addingReportingOverflow(other.amountMinor)
        return overflow ? nil : Money(amountMinor: sum, currency: currency)
    }

    /// `percent` of this amount in basis points (1000 = 10%), rounded half up to a whole minor unit.
    ///
    /// `$1,234.55` at 10% is `$123.46` (123.455 rounds up); negative amounts round half away from zero.
    public func share(basisPoints: Int) -> Money {
        let bp = Int64(basisPoints)
        let magnitude = Int64(clamping: amountMinor.magnitude)
        let whole = magnitude / 10_000
        let rest = magnitude % 10_000
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: bp)
        let part = (rest * bp + 5_000) / 10_000
        let result = overflow ? Int64.max : scaled.addingReportingOverflow(part).partialValue
        return Money(amountMinor: amountMinor < 0 ? -result : result, currency: currency)
    }

    private static func digits(_ magnitude: UInt64, exponent: Int, grouping: Bool) -> String {
        var divisor: UInt64 = 1
        for _ in 0..<exponent { divisor *= 10 }
        let major = magnitude / divisor
        let minor = magnitude % divisor
        var majorText = String(major)
        if grouping, majorText.count > 3 {
            var grouped = ""
            for (index, character) in majorText.enumerated() {
                if index > 0, (majorText.count - index) % 3 == 0 { grouped.append(",") }
                grouped.append(character)
            }
            majorText = grouped
        }
        guard exponent > 0 else { return majorText }
        let minorText = String(minor)
        return majorText + "." + String(repeating: "0", count: exponent - minorText.count) + minorText
    }
}
