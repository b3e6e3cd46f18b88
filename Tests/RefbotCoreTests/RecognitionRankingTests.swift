import RefbotCore
import Testing

@Suite("Recognition ranking")
struct RecognitionRankingTests {
    static func tally(_ id: Int64, _ count: Int, at: Int64 = 0, private isPrivate: Bool = false) -> Recognition.Tally {
        Recognition.Tally(memberId: id, name: "Member \(id)", business: "Biz \(id)", count: count, reachedAt: at, isPrivate: isPrivate)
    }

    @Test("Higher counts rank first; members with a count of 0 are not ranked")
    func counts() {
        let ranked = Recognition.ranked([Self.tally(1, 2), Self.tally(2, 5), Self.tally(3, 0), Self.tally(4, 3)])
        #expect(ranked.map(\.memberId) == [2, 4, 1])
    }

    @Test("Ties: whoever reached the count first ranks higher, then the earlier member; the order never depends on input order")
    func ties() {
        let tallies = [Self.tally(7, 3, at: 500), Self.tally(3, 3, at: 900), Self.tally(5, 3, at: 500), Self.tally(9, 4, at: 999)]
        let expected: [Int64] = [9, 5, 7, 3]
        #expect(Recognition.ranked(tallies).map(\.memberId) == expected)
        #expect(Recognition.ranked(tallies.reversed()).map(\.memberId) == expected)
        #expect(Recognition.ranked([tallies[2], tallies[0], tallies[3], tallies[1]]).map(\.memberId) == expected)
    }

    @Test("A private member keeps their rank, masked: no name or business; the ranks after them stay true")
    func optOutMasked() {
        let top = Recognition.top([Self.tally(1, 9, private: true), Self.tally(2, 4), Self.tally(3, 1)], limit: 5)
        #expect(top.map(\.rank) == [1, 2, 3])
        #expect(top[0].name == nil && top[0].business == nil)
        #expect(top[0].shownName == Recognition.privateName)
        #expect(top[0].count == 9)
        #expect(top[1].shownName == "Member 2 (Biz 2)")
        #expect(!top.map(\.shownName).joined().contains("Member 1"))
        #expect(!top.map(\.shownName).joined().contains("Biz 1"))
    }

    @Test("A member's name or business of any length, with line breaks, tabs or controls, is shown on one line of at most 60 characters each")
    func hostileNames() {
        var tally = Self.tally(1, 3)
        tally.name = "Ann\r\nBcc: all@example.org\u{2028}Lee\t\u{0}" + String(repeating: "x", count: 10_000)
        tally.business = "Lee\nPlumbing"
        let shown = Recognition.top([tally], limit: 1)[0].shownName
        #expect(!shown.contains { $0.isNewline || $0 == "\t" || $0 == "\u{0}" })
        #expect(shown.hasPrefix("Ann Bcc: all@example.org Lee x"))
        #expect(shown.hasSuffix("… (Lee Plumbing)"))
        #expect(shown.count == Recognition.maxShownLength + " (Lee Plumbing)".count)
    }

    @Test("top cuts at the limit; a limit of 0 lists nobody")
    func limit() {
        let tallies = (1...8).map { Self.tally(Int64($0), $0) }
        #expect(Recognition.top(tallies, limit: 3).map(\.memberId) == [8, 7, 6])
        #expect(Recognition.top(tallies, limit: 0).isEmpty)
        #expect(Recognition.top(tallies, limit: 50).count == 8)
    }

    @Test("A member's standing: their count and rank among those ranked, private or not; 0 and no rank when they had none")
    func standings() {
        let board = Recognition.Board(
            month: RecognitionMonth(year: 2026, month: 11)!,
            tallies: [
                .given: [Self.tally(1, 2, at: 10, private: true), Self.tally(2, 2, at: 20), Self.tally(3, 1)],
                .accepted: [Self.tally(2, 1)], .won: [],
            ])
        let mine = board.standings(of: 1)
        #expect(mine.map(\.category) == [.given, .accepted, .won])
        #expect(mine[0].count == 2 && mine[0].rank == 1 && mine[0].ranked == 3)
        #expect(mine[1].count == 0 && mine[1].rank == nil && mine[1].ranked == 1)
        #expect(board.standings(of: 2)[0].rank == 2)
        #expect(!board.isEmpty)
        #expect(Recognition.Board(month: board.month, tallies: [.given: [Self.tally(1, 0)]]).isEmpty)
    }

    @Test("Month boundaries in UTC: the last second of December is December, the next is January of the next year")
    func decemberToJanuary() {
        // 2027-01-01T00:00:00Z
        let newYear: Int64 = 1_798_761_600
        let december = RecognitionMonth(containing: newYear - 1)
        let january = RecognitionMonth(containing: newYear)
        #expect(december.description == "2026-12")
        #expect(january.description == "2027-01")
        #expect(january.previous == december)
        #expect(december.next == january)
        #expect(december.end == newYear && january.start == newYear)
        #expect(december.start == 1_796_083_200)  // 2026-12-01T00:00:00Z
        #expect(december.contains(newYear - 1) && !december.contains(newYear))
        #expect(january.name == "January 2027")
    }

    @Test("Months of every length, leap years, and times before 1970 land in the right month")
    func monthLengths() {
        #expect(RecognitionMonth(year: 2028, month: 2)!.end - RecognitionMonth(year: 2028, month: 2)!.start == 29 * 86_400)
        #expect(RecognitionMonth(year: 2026, month: 2)!.end - RecognitionMonth(year: 2026, month: 2)!.start == 28 * 86_400)
        #expect(RecognitionMonth(year: 2100, month: 2)!.end - RecognitionMonth(year: 2100, month: 2)!.start == 28 * 86_400)
        #expect(RecognitionMonth(year: 2026, month: 4)!.end - RecognitionMonth(year: 2026, month: 4)!.start == 30 * 86_400)
        #expect(RecognitionMonth(containing: 0).description == "1970-01")
        #expect(RecognitionMonth(containing: -1).description == "1969-12")
        var month = RecognitionMonth(year: 2026, month: 1)!
        for _ in 0..<36 {
            #expect(RecognitionMonth(containing: month.start) == month)
            #expect(RecognitionMonth(containing: month.end - 1) == month)
            month = month.next
        }
    }

    @Test("--month reads YYYY-MM only", arguments: ["2026-13", "2026-00", "26-11", "2026-1", "2026/11", "2026-11-01", "", "２０２６-11"])
    func parsing(_ text: String) {
        #expect(RecognitionMonth(text) == nil)
    }

    @Test("YYYY-MM parses and prints back")
    func roundTrip() {
        #expect(RecognitionMonth("2026-11")?.description == "2026-11")
        #expect(RecognitionMonth("2027-01") == RecognitionMonth(year: 2027, month: 1))
    }
}
