/// Credit arithmetic: an owner spends one credit to accept a referral (spec §1, §3).
///
/// Pure functions on a ``Member``; the caller stores the result in the same transaction as the
/// state change.
public enum Credits {
    /// Credits a new member starts with (`network.starting_credits`, never below 0).
    public static func starting(_ settings: NetworkSettings) -> Int { max(0, settings.startingCredits) }

    /// Takes one credit from the owner for accepting `referral`.
    ///
    /// Throws a ``CommandError`` when the owner has none, saying how to get more: REDEEM points
    /// (naming how many they have) or ask an admin.
    public static func debitForAccept(
        _ owner: inout Member, referral: ReferralID, pointsPerCredit: Int, line: String
    ) throws(CommandError) {
        guard owner.credits > 0 else {
            let perCredit = max(1, pointsPerCredit)
            let redeemable = owner.points / perCredit
            let remedy: String
            if redeemable > 0 {
                remedy = "You have \(count(owner.points, "point")): reply REDEEM \(redeemable * perCredit) to turn "
                    + "them into \(count(redeemable, "credit")), then ACCEPT \(referral) again. "
                    + "An admin can also grant you credits."
            } else {
                remedy = "You earn points when referrals you send are accepted, and REDEEM turns points into "
                    + "credits; an admin can also grant you credits. ACCEPT \(referral) again once you have one."
            }
            throw CommandError(
                line: line, problem: "You have no credits left, and accepting \(referral) takes one.", remedy: remedy)
        }
        owner.credits -= 1
    }

    /// Adds `amount` credits (an admin's GRANT); a negative amount takes credits away.
    ///
    /// Throws when `amount` is 0 or the balance would fall below zero.
    public static func grant(_ amount: Int, to member: inout Member, line: String) throws(CommandError) {
        guard amount != 0 else {
            throw CommandError(
                line: line, problem: "GRANT needs a number of credits other than 0.",
                remedy: "Write it like GRANT ann@example.org 5 (or -5 to take credits away).")
        }
        let (total, overflow) = member.credits.addingReportingOverflow(amount)
        guard !overflow, total >= 0 else {
            throw CommandError(
                line: line,
                problem: "\(member.email) has \(count(member.credits, "credit")), so taking \(-amount) away "
                    + "would leave fewer than none.",
                remedy: member.credits == 0
                    ? "They have no credits to take away."
                    : "Take away at most \(member.credits): GRANT \(member.email) -\(member.credits).")
        }
        member.credits = total
    }

    /// "1 credit", "3 credits".
    static func count(_ value: Int, _ noun: String) -> String { "\(value) \(noun)\(value == 1 ? "" : "s")" }
}
