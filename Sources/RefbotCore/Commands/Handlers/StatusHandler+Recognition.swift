extension StatusHandler {
    /// The member's own place in last month's recognition (``Recognition``), for the dashboard's
    /// `_recognition` partial: counts and ranks, never amounts; shown to the member even when they
    /// keep their rank private. Read by key from what the scheduler recorded when it ranked the
    /// month; nothing before that (or when recognition is off).
    static func recognition(of member: Member, ledger: any Ledger, now: Int64) throws -> TemplateValue {
        let month = RecognitionMonth(containing: now).previous
        guard let memberId = member.id, let standings = try ledger.recognitionStandings(of: memberId, month: month) else {
            return .list([])
        }
        return .object(Self.recognitionValues(standings, month: month, isPrivate: member.recognitionOff))
    }

    /// The values of one member's standings: `month`, `rows` of `label`, `count`, `hasRank`,
    /// `rank`, `ranked`, and `isPrivate`. The monthly mail uses them too.
    public static func recognitionValues(
        _ standings: [Recognition.Standing], month: RecognitionMonth, isPrivate: Bool
    ) -> [String: TemplateValue] {
        let rows: [TemplateValue] = standings.map { standing in
            .object([
                "label": .text(standing.category.label), "count": .number(Int64(standing.count)),
                "hasRank": .flag(standing.rank != nil), "rank": .number(Int64(standing.rank ?? 0)),
                "ranked": .number(Int64(standing.ranked)),
            ])
        }
        return ["month": .text(month.name), "rows": .list(rows), "isPrivate": .flag(isPrivate)]
    }
}
