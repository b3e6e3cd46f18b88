/// Reward-point arithmetic: a referrer earns one when a referral is accepted, and REDEEM turns
/// points into credits at `network.points_per_credit` (spec §1, §3).
public enum Points {
    /// What a REDEEM did.
    public struct Redemption: Sendable, Hashable, Codable {
        /// Points taken from the member.
        public var pointsSpent: Int
        /// Credits given to the member.
        public var creditsGained: Int

        /// A redemption.
        public init(pointsSpent: Int, creditsGained: Int) {
            self.pointsSpent = pointsSpent
            self.creditsGained = creditsGained
        }
    }

    /// Gives the referrer one point for an accepted referral.
    public static func awardForAccept(_ referrer: inout Member) {
        if referrer.points < Int.max { referrer.points += 1 }
    }

    /// Turns `requested` points (all of them when `nil`) into credits.
    ///
    /// Only whole credits are bought: with 3 points per credit, `REDEEM 7` spends 6 points for 2
    /// credits and keeps 1. Throws when the number is not positive, is more than the member has, or
    /// buys no whole credit.
    public static func redeem(
        _ requested: Int?, member: inout Member, pointsPerCredit: Int, line: String
    ) throws(CommandError) -> Redemption {
        let perCredit = max(1, pointsPerCredit)
        let rate = perCredit == 1 ? "Each point is worth a credit" : "\(perCredit) points make a credit"
        let available = member.points
        let wanted = requested ?? available
        guard requested == nil || wanted > 0 else {
            throw CommandError(
                line: line, problem: "REDEEM needs a number of points above 0.",
                remedy: "Write it like REDEEM \(max(perCredit, 1)), or REDEEM alone to redeem every point you have.")
        }
        guard wanted <= available else {
            throw CommandError(
                line: line,
                problem: "You asked to redeem \(Credits.count(wanted, "point")), but you have \(available).",
                remedy: available >= perCredit
                    ? "Reply REDEEM \(available - available % perCredit). \(rate)."
                    : "You earn a point each time a referral you sent is accepted. \(rate).")
        }
        let credits = wanted / perCredit
        guard credits > 0 else {
            throw CommandError(
                line: line, problem: "\(Credits.count(wanted, "point")) do not make a whole credit.",
                remedy: "\(rate); redeem at least \(perCredit) once you have them.")
        }
        let spent = credits * perCredit
        member.points -= spent
        member.credits += credits
        return Redemption(pointsSpent: spent, creditsGained: credits)
    }
}
