/// A calendar month in UTC (`2026-11`): the period a recognition mail ranks and `refbot admin
/// activity --month` reports on. Pure arithmetic on Unix seconds, so Core needs no `Calendar`.
///
/// ```swift
/// let month = RecognitionMonth(containing: now).previous   // last month
/// let (start, end) = (month.start, month.end)              // [start, end)
/// ```
public struct RecognitionMonth: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    /// 1…12.
    public let month: Int

    /// The month, when `month` is 1…12 and the year has four digits.
    public init?(year: Int, month: Int) {
        guard (1...12).contains(month), (1000...9999).contains(year) else { return nil }
        self.year = year
        self.month = month
    }

    /// The month a Unix time falls in (UTC).
    public init(containing time: Int64) {
        let (y, m, _) = Self.civil(days: Self.floorDays(time))
        year = y
        month = m
    }

    /// Reads `YYYY-MM` (`2026-01`); nil for anything else.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let y = Int(parts[0]), let m = Int(parts[1])
        else { return nil }
        self.init(year: y, month: m)
    }

    /// `2026-01`.
    public var description: String { "\(year)-\(month < 10 ? "0" : "")\(month)" }

    /// The month's name and year, `November 2026`.
    public var name: String { "\(Self.names[month - 1]) \(year)" }

    static let names = [
        "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
        "November", "December",
    ]

    /// The first second of the month, Unix time (UTC).
    public var start: Int64 { Self.days(year: year, month: month, day: 1) * 86_400 }

    /// The first second of the next month: the month is `start ..< end`.
    public var end: Int64 { next.start }

    /// The month before (January → December of the year before).
    public var previous: RecognitionMonth {
        month == 1 ? RecognitionMonth(unchecked: year - 1, 12) : RecognitionMonth(unchecked: year, month - 1)
    }

    /// The month after (December → January of the next year).
    public var next: RecognitionMonth {
        month == 12 ? RecognitionMonth(unchecked: year + 1, 1) : RecognitionMonth(unchecked: year, month + 1)
    }

    /// Whether `time` falls in the month.
    public func contains(_ time: Int64) -> Bool { time >= start && time < end }

    public static func < (a: RecognitionMonth, b: RecognitionMonth) -> Bool {
        (a.year, a.month) < (b.year, b.month)
    }

    private init(unchecked year: Int, _ month: Int) {
        self.year = year
        self.month = month
    }

    private static func floorDays(_ time: Int64) -> Int64 {
        time >= 0 ? time / 86_400 : (time - 86_399) / 86_400
    }

    /// Days since 1970-01-01 of a civil date (H. Hinnant's days-from-civil).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Year, month, day of a day count since 1970-01-01 (H. Hinnant's civil-from-days).
    static func civil(days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}
