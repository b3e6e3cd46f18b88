/// Reads amounts of money as members write them, into integer minor units.
///
/// What it reads (the network currency is USD unless said otherwise):
///
/// | text | reads as | why |
/// | --- | --- | --- |
/// | `$5,000`, `5000 USD`, `USD 75`, `5,000.00 usd` | USD | symbol or ISO code before or after |
/// | `€200.50`, `2.500,00 EUR`, `1 234,56 €`, `£40`, `¥1500` | EUR, EUR, EUR, GBP, JPY | |
/// | `1,234.5`, `1.234,5` | 1234.50 | when both `.` and `,` appear, the last one is the decimal mark |
/// | `1,500`, `1.500`, `1,000,000` | 1500, 1500, 1000000 | one mark followed by exactly three digits groups thousands |
/// | `2.50`, `2,5`, `0.500`, `1234.567 KWD` | 2.50, 2.50, 0.50, 1234.567 | any other single mark is decimal (after a lone `0` or more than three digits, too) |
/// | `10k`, `2.5k`, `1.2m` | 10000, 2500, 1200000 | `k` thousand, `m` million |
/// | `5000 dollars`, `30 euros`, `40 pounds` | USD, EUR, GBP | |
///
/// A bare `$` is the network currency when that is a dollar (CAD, AUD, …), else USD; `US$`, `CA$`,
/// `A$`, `NZ$`, `HK$`, `S$`, `R$` are explicit. `¥` is CNY in a CNY network, else JPY. `kr` is read
/// only in a SEK, NOK, DKK or ISK network. A number alone takes the network currency.
///
/// Failure modes: negative amounts, more decimals than the currency has (`$2.555` is 2555 by the
/// thousands rule, but `$2.5555` and `¥1.5` fail), codes refbot does not know, two different
/// currencies (`€5 USD`), malformed grouping (`1,23,4`), and amounts past `Int64` minor units.
public enum MoneyParser {
    /// Why a text is not an amount of money.
    public enum Failure: Error, Sendable, Equatable {
        /// Nothing but whitespace.
        case empty
        /// No digits where the number should be.
        case noNumber
        /// Digits, but with separators in places no number format puts them.
        case malformedNumber
        /// A minus sign: amounts are never negative.
        case negative
        /// Letters that are not a currency refbot knows.
        case unknownCurrency(String)
        /// A symbol that stands for several currencies (`kr` outside a krona network).
        case ambiguousSymbol(String)
        /// Two different currencies in one amount.
        case conflictingCurrencies(String, String)
        /// More decimals than the currency has.
        case tooManyDecimals(currency: String, allowed: Int)
        /// Too large to keep.
        case tooLarge
    }

    /// The amount, or `nil` when the text is not one; see the type for the forms.
    public static func parse(_ text: some StringProtocol, defaultCurrency: String) -> Money? {
        try? read(text, defaultCurrency: defaultCurrency).get()
    }

    /// The amount, or a ``CommandError`` quoting `line` that says what was wrong and how to write it.
    public static func parse(
        _ text: some StringProtocol, defaultCurrency: String, line: String
    ) throws(CommandError) -> Money {
        switch read(text, defaultCurrency: defaultCurrency) {
        case .success(let money): return money
        case .failure(let failure): throw commandError(failure, text: String(text), line: line)
        }
    }

    /// The longest leading run of up to four words that is an amount, and the text after it.
    ///
    /// `WON $5,000 kitchen and bath` gives `$5,000.00` and `"kitchen and bath"`; `nil` when the text
    /// does not start with an amount.
    public static func parseLeading(
        _ text: some StringProtocol, defaultCurrency: String
    ) -> (money: Money, rest: String)? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\u{00A0}" })
        guard !words.isEmpty else { return nil }
        for count in stride(from: min(4, words.count), through: 1, by: -1) {
            let candidate = words[0..<count].joined(separator: " ")
            if let money = parse(candidate, defaultCurrency: defaultCurrency) {
                return (money, words[count...].joined(separator: " "))
            }
        }
        return nil
    }

    /// The amount, or the reason it could not be read.
    public static func read(_ text: some StringProtocol, defaultCurrency: String) -> Result<Money, Failure> {
        let network = Currency(code: defaultCurrency) ?? .usd
        var rest = normalised(text)
        guard !rest.isEmpty else { return .failure(.empty) }
        if rest.first == "-" || rest.first == "\u{2212}" { return .failure(.negative) }
        guard rest.contains(where: \.isASCIIDigit) else { return .failure(.noNumber) }

        var found: [Currency] = []
        switch takeMarker(from: &rest, atStart: true, network: network) {
        case .failure(let failure): return .failure(failure)
        case .success(let currency?): found.append(currency)
        case .success(nil): break
        }
        if rest.first == "-" || rest.first == "\u{2212}" { return .failure(.negative) }
        switch takeMarker(from: &rest, atStart: false, network: network) {
        case .failure(let failure): return .failure(failure)
        case .success(let currency?): found.append(currency)
        case .success(nil): break
        }
        if found.count == 2, found[0] != found[1] {
            return .failure(.conflictingCurrencies(found[0].code, found[1].code))
        }
        let currency = found.first ?? network

        var multiplier: Int64 = 1
        if let last = rest.last, last == "k" || last == "K" || last == "m" || last == "M" {
            multiplier = (last == "k" || last == "K") ? 1_000 : 1_000_000
            rest.removeLast()
            rest = trimmed(rest)
        }
        guard rest.contains(where: \.isASCIIDigit) else { return .failure(.noNumber) }
        guard let number = DecimalText(rest) else { return .failure(.malformedNumber) }
        return number.minorUnits(exponent: currency.exponent, multiplier: multiplier, currency: currency.code)
            .map { Money(amountMinor: $0, currency: currency.code) }
    }

    /// The member-facing error for a failure.
    public static func commandError(_ failure: Failure, text: String, line: String) -> CommandError {
        let forms = "Write an amount like $5,000, 5000 USD, €200.50 or 2.500,00 EUR."
        let problem: String
        var remedy = forms
        switch failure {
        case .empty, .noNumber:
            problem = "I could not find an amount of money in \"\(text)\"."
        case .malformedNumber:
            problem = "I could not read \"\(text)\" as an amount: the commas and points are not where I expect them."
            remedy = "Write the number with a comma or point every three digits, or none at all: "
                + "$5,000, 5000 USD, 2.500,00 EUR."
        case .negative:
            problem = "\"\(text)\" is a negative amount, and amounts here are never negative."
            remedy = "Write the amount without a minus sign, like $5,000."
        case .unknownCurrency(let word):
            problem = "I do not know the currency \"\(word)\" in \"\(text)\"."
            remedy = "Use a three-letter currency code such as USD, EUR or GBP, or a symbol such as $, € or £."
        case .ambiguousSymbol(let symbol):
            problem = "\"\(symbol)\" in \"\(text)\" could be more than one currency."
            remedy = "Use the three-letter code instead, for example 500 SEK, 500 NOK or 500 DKK."
        case .conflictingCurrencies(let first, let second):
            problem = "\"\(text)\" names two currencies, \(first) and \(second)."
            remedy = "Name one currency, for example 500 \(first)."
        case .tooManyDecimals(let currency, let allowed):
            problem = allowed == 0
                ? "\(currency) has no smaller unit, so \"\(text)\" cannot have decimals."
                : "\(currency) has \(allowed) decimal\(allowed == 1 ? "" : "s"), and \"\(text)\" has more."
            remedy = allowed == 0
                ? "Write a whole amount, like 1500 \(currency)."
                : "Round it to \(allowed) decimal\(allowed == 1 ? "" : "s"), like 200.50 \(currency)."
        case .tooLarge:
            problem = "\"\(text)\" is larger than any amount I can keep."
            remedy = "Check the number of digits. " + forms
        }
        return CommandError(line: line, problem: problem, remedy: remedy)
    }

    // MARK: - Currency markers

    /// Symbols and words, longest first so `US$` wins over `$`.
    private static let symbols: [(text: String, code: String?)] = [
        ("us$", "USD"), ("ca$", "CAD"), ("c$", "CAD"), ("au$", "AUD"), ("a$", "AUD"), ("nz$", "NZD"),
        ("hk$", "HKD"), ("s$", "SGD"), ("r$", "BRL"), ("mx$", "MXN"),
        ("$", nil), ("€", "EUR"), ("£", "GBP"), ("¥", nil), ("₹", "INR"), ("₩", "KRW"), ("₪", "ILS"),
        ("₺", "TRY"), ("₽", "RUB"), ("₱", "PHP"), ("₫", "VND"), ("zł", "PLN"), ("kr.", nil), ("kr", nil),
    ]

    /// Words after the number (`5000 dollars`).
    private static let words: [String: String?] = [
        "dollar": nil, "dollars": nil, "bucks": nil, "euro": "EUR", "euros": "EUR", "pound": "GBP",
        "pounds": "GBP", "yen": "JPY", "rupee": "INR", "rupees": "INR",
    ]

    /// ISO 4217 codes refbot reads; a three-letter word outside this set is not taken for a currency.
    static let knownCodes: Set<String> = [
        "AED", "ARS", "AUD", "BDT", "BGN", "BHD", "BRL", "CAD", "CHF", "CLP", "CNY", "COP", "CZK", "DKK",
        "EGP", "EUR", "GBP", "GHS", "HKD", "HUF", "IDR", "ILS", "INR", "ISK", "JMD", "JOD", "JPY", "KES",
        "KRW", "KWD", "KZT", "LKR", "MAD", "MXN", "MYR", "NGN", "NOK", "NZD", "OMR", "PEN", "PHP", "PKR",
        "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SEK", "SGD", "THB", "TND", "TRY", "TTD", "TWD", "TZS",
        "UAH", "UGX", "USD", "UYU", "VND", "XAF", "XCD", "XOF", "ZAR",
    ]

    private static func resolveSymbol(_ symbol: String, code: String?, network: Currency) -> Result<Currency, Failure> {
        if let code, let currency = Currency(code: code) { return .success(currency) }
        switch symbol {
        case "¥": return .success(network.code == "CNY" ? network : .jpy)
        case "kr", "kr.":
            return Currency.kronaCodes.contains(network.code) ? .success(network) : .failure(.ambiguousSymbol("kr"))
        default:
            return .success(Currency.dollarCodes.contains(network.code) ? network : .usd)
        }
    }

    /// Removes a currency symbol, word or code from one end of `rest`.
    private static func takeMarker(
        from rest: inout String, atStart: Bool, network: Currency
    ) -> Result<Currency?, Failure> {
        let lower = rest.lowercased()
        for (symbol, code) in symbols {
            let matches = atStart ? lower.hasPrefix(symbol) : lower.hasSuffix(symbol)
            guard matches else { continue }
            // `kr` must not be the tail of a word.
            if symbol.first?.isLetter == true {
                let neighbour = atStart ? lower.dropFirst(symbol.count).first : lower.dropLast(symbol.count).last
                if let neighbour, neighbour.isLetter { continue }
            }
            rest = trimmed(atStart ? String(rest.dropFirst(symbol.count)) : String(rest.dropLast(symbol.count)))
            return resolveSymbol(symbol, code: code, network: network).map { Optional($0) }
        }
        // A word at the edge: a run of letters.
        let letters = atStart
            ? String(lower.prefix(while: \.isLetter))
            : String(lower.reversed().prefix(while: \.isLetter).reversed())
        guard !letters.isEmpty else { return .success(nil) }
        // `10k`, `2m`: a multiplier, not a word.
        if !atStart, letters == "k" || letters == "m" { return .success(nil) }
        if !atStart, let code = words[letters] {
            rest = trimmed(String(rest.dropLast(letters.count)))
            return resolveSymbol("$", code: code, network: network).map { Optional($0) }
        }
        let upper = letters.uppercased()
        guard upper.count == 3, knownCodes.contains(upper), let currency = Currency(code: upper) else {
            let written = atStart ? rest.prefix(letters.count) : rest.suffix(letters.count)
            return .failure(.unknownCurrency(String(written)))
        }
        rest = trimmed(atStart ? String(rest.dropFirst(3)) : String(rest.dropLast(3)))
        return .success(currency)
    }

    // MARK: - Text helpers

    private static func normalised(_ text: some StringProtocol) -> String {
        var result = ""
        for character in text {
            switch character {
            case "\u{00A0}", "\u{202F}", "\u{2009}", "\t": result.append(" ")
            case "\u{2019}": result.append("'")
            default: result.append(character)
            }
        }
        return trimmed(result)
    }

    fileprivate static func trimmed(_ text: String) -> String {
        var slice = Substring(text)
        while slice.first == " " || slice.first?.isNewline == true { slice.removeFirst() }
        while slice.last == " " || slice.last?.isNewline == true { slice.removeLast() }
        return String(slice)
    }
}

/// A number as written, split into its whole digits and its decimal digits.
private struct DecimalText {
    var whole: String
    var fraction: String

    /// Splits `1.234,5`, `1,500`, `1 234`, `2.50` by the rules on ``MoneyParser``; `nil` when malformed.
    init?(_ text: String) {
        let allowed: Set<Character> = [".", ",", " ", "'"]
        guard let first = text.first, first.isASCIIDigit, let last = text.last, last.isASCIIDigit else { return nil }
        var previousWasSeparator = false
        for character in text {
            if character.isASCIIDigit {
                previousWasSeparator = false
            } else if allowed.contains(character) {
                guard !previousWasSeparator else { return nil }
                previousWasSeparator = true
            } else {
                return nil
            }
        }
        let dots = text.filter { $0 == "." }.count
        let commas = text.filter { $0 == "," }.count
        let spaced = text.contains(" ") || text.contains("'")

        let decimalMark: Character?
        if dots > 0, commas > 0 {
            guard let lastDot = text.lastIndex(of: "."), let lastComma = text.lastIndex(of: ",") else { return nil }
            decimalMark = lastDot > lastComma ? "." : ","
        } else if dots + commas == 0 {
            decimalMark = nil
        } else {
            let mark: Character = dots > 0 ? "." : ","
            if dots + commas > 1 {
                decimalMark = nil
            } else {
                let parts = text.split(separator: mark, omittingEmptySubsequences: false)
                let after = parts.count == 2 ? parts[1] : ""
                let before = parts.first.map(String.init) ?? ""
                let looksGrouped = after.count == 3 && (1...3).contains(before.count) && !spaced && before != "0"
                decimalMark = looksGrouped ? nil : mark
            }
        }

        var wholeText = text
        var fractionText = ""
        if let decimalMark {
            let parts = text.split(separator: decimalMark, omittingEmptySubsequences: false)
            guard parts.count == 2 else { return nil }
            wholeText = String(parts[0])
            fractionText = String(parts[1])
            guard fractionText.allSatisfy(\.isASCIIDigit) else { return nil }
        }
        guard let digits = Self.ungrouped(wholeText) else { return nil }
        whole = digits
        fraction = fractionText
    }

    /// Removes thousands separators after checking they sit every three digits (or the Indian
    /// 2-2-3 pattern with commas: `1,00,000`).
    private static func ungrouped(_ text: String) -> String? {
        let separators: Set<Character> = [".", ",", " ", "'"]
        let kinds = Set(text.filter { separators.contains($0) })
        guard kinds.count <= 1 else { return nil }
        guard let separator = kinds.first else { return text }
        let groups = text.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
        guard let head = groups.first, let tail = groups.last, groups.count > 1 else { return nil }
        let middle = groups.dropFirst().dropLast()
        let western = (1...3).contains(head.count) && groups.dropFirst().allSatisfy { $0.count == 3 }
        let indian = separator == "," && (1...2).contains(head.count) && tail.count == 3
            && !middle.isEmpty && middle.allSatisfy { $0.count == 2 }
        guard western || indian else { return nil }
        return groups.joined()
    }

    /// The value in minor units of a currency with `exponent` decimals, times `multiplier`.
    func minorUnits(exponent: Int, multiplier: Int64, currency: String) -> Result<Int64, MoneyParser.Failure> {
        let digits = (whole + fraction).drop(while: { $0 == "0" })
        guard digits.count <= 30 else { return .failure(.tooLarge) }
        // value = digits × 10^(exponent) × multiplier / 10^(fraction.count)
        var value: Int64 = 0
        for character in digits {
            guard let digit = character.wholeNumberValue else { return .failure(.malformedNumber) }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return .failure(.tooLarge) }
            value = next
        }
        var scale: Int64 = multiplier
        for _ in 0..<exponent {
            let (next, overflow) = scale.multipliedReportingOverflow(by: 10)
            guard !overflow else { return .failure(.tooLarge) }
            scale = next
        }
        var divisor: Int64 = 1
        for _ in 0..<fraction.count {
            let (next, overflow) = divisor.multipliedReportingOverflow(by: 10)
            guard !overflow else { return .failure(.tooManyDecimals(currency: currency, allowed: exponent)) }
            divisor = next
        }
        // Cancel common factors of ten before multiplying, to keep large values in range.
        while divisor > 1, scale % 10 == 0 {
            divisor /= 10
            scale /= 10
        }
        guard value % divisor == 0 else { return .failure(.tooManyDecimals(currency: currency, allowed: exponent)) }
        let (result, overflow) = (value / divisor).multipliedReportingOverflow(by: scale)
        guard !overflow else { return .failure(.tooLarge) }
        return .success(result)
    }
}

extension Character {
    /// `0`–`9` only, unlike `isNumber`.
    fileprivate var isASCIIDigit: Bool { asciiValue.map { $0 >= 48 && $0 <= 57 } ?? false }
}
