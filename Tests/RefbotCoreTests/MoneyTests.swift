import Foundation
import RefbotCore
import Testing

@Suite("Money formatting and arithmetic")
struct MoneyTests {
    @Test(
        "house style: symbol in front where refbot prints one, else the code after",
        arguments: [
            (Money(amountMinor: 500_000, currency: "USD"), "$5,000.00"),
            (Money(amountMinor: 20_050, currency: "EUR"), "€200.50"),
            (Money(amountMinor: 4_000, currency: "GBP"), "£40.00"),
            (Money(amountMinor: 1_500, currency: "JPY"), "¥1,500"),
            (Money(amountMinor: 250_000, currency: "CHF"), "2,500.00 CHF"),
            (Money(amountMinor: 1_200, currency: "cad"), "CA$12.00"),
            (Money(amountMinor: 1_234_567, currency: "KWD"), "1,234.567 KWD"),
            (Money(amountMinor: 5, currency: "USD"), "$0.05"),
            (Money(amountMinor: 0, currency: "USD"), "$0.00"),
            (Money(amountMinor: 100_000_000_00, currency: "USD"), "$100,000,000.00"),
            (Money(amountMinor: -1_050, currency: "USD"), "-$10.50"),
            (Money(amountMinor: 99, currency: "ISK"), "99 ISK"),
        ])
    func formatting(money: Money, text: String) {
        #expect(money.formatted == text)
        #expect(money.description == text)
    }

    @Test("the plain form has no grouping and the code last")
    func plain() {
        #expect(Money(amountMinor: 500_000, currency: "USD").plain == "5000.00 USD")
        #expect(Money(amountMinor: 1_500, currency: "JPY").plain == "1500 JPY")
        #expect(Money(amountMinor: 7, currency: "EUR").decimalString == "0.07")
    }

    @Test("plain and formatted text read back to the same amount", arguments: [
        Money(amountMinor: 500_000, currency: "USD"), Money(amountMinor: 20_050, currency: "EUR"),
        Money(amountMinor: 1_500, currency: "JPY"), Money(amountMinor: 250_001, currency: "CHF"),
        Money(amountMinor: 1_234_567, currency: "KWD"), Money(amountMinor: 1, currency: "GBP"),
    ])
    func roundTrip(money: Money) {
        #expect(MoneyParser.parse(money.plain, defaultCurrency: "USD") == money)
        #expect(MoneyParser.parse(money.formatted, defaultCurrency: money.currency) == money)
    }

    @Test("currency codes are kept upper-case")
    func upperCase() {
        #expect(Money(amountMinor: 1, currency: "eur").currency == "EUR")
    }

    @Test("currency exponents: two by default, zero for JPY, three for KWD")
    func exponents() throws {
        #expect(try #require(Currency(code: "USD")).exponent == 2)
        #expect(try #require(Currency(code: "jpy")).exponent == 0)
        #expect(try #require(Currency(code: "KWD")).exponent == 3)
        #expect(try #require(Currency(code: "XYZ")).exponent == 2)
        #expect(Currency(code: "US") == nil)
        #expect(Currency(code: "U5D") == nil)
        #expect(try #require(Currency(code: "KWD")).minorPerMajor == 1_000)
    }

    @Test(
        "a share in basis points rounds half up to a whole minor unit",
        arguments: [
            (123_455, 1_000, 12_346),  // $1,234.55 × 10% = 123.455 → 123.46
            (123_445, 1_000, 12_345),  // 12344.5 cents → 12345
            (100, 1_250, 13),  // 12.5 → 13
            (100, 1_249, 12),  // 12.49 → 12
            (1, 5_000, 1),  // 0.5 → 1
            (1, 4_999, 0),
            (500_000, 10_000, 500_000),
            (0, 1_000, 0),
        ])
    func share(amount: Int64, basisPoints: Int, expected: Int64) {
        #expect(Money(amountMinor: amount, currency: "USD").share(basisPoints: basisPoints).amountMinor == expected)
    }

    @Test("a share of a huge amount does not overflow")
    func shareOfHugeAmount() {
        let big = Money(amountMinor: Int64.max / 2, currency: "USD")
        #expect(big.share(basisPoints: 10_000).amountMinor == Int64.max / 2)
    }

    @Test("adding needs the same currency and no overflow")
    func adding() {
        let five = Money(amountMinor: 500, currency: "USD")
        #expect(five.adding(five) == Money(amountMinor: 1_000, currency: "USD"))
        #expect(five.adding(Money(amountMinor: 1, currency: "EUR")) == nil)
        #expect(Money(amountMinor: Int64.max, currency: "USD").adding(five) == nil)
    }

    @Test("money encodes as minor units and a code")
    func coding() throws {
        let data = try JSONEncoder().encode(Money(amountMinor: 500, currency: "USD"))
        let decoded = try JSONDecoder().decode(Money.self, from: data)
        #expect(decoded == Money(amountMinor: 500, currency: "USD"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["amountMinor"] as? Int == 500)
        #expect(object["currency"] as? String == "USD")
    }
}
