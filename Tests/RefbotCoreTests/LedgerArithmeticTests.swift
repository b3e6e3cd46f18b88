import RefbotCore
import Testing

private func member(credits: Int = 10, points: Int = 0) -> Member {
    Member(id: 1, email: "ann@example.org", name: "Ann", state: .active, credits: credits, points: points, joinedAt: 0)
}

@Suite("Credits and points")
struct LedgerArithmeticTests {
    @Test("new members start with network.starting_credits")
    func starting() {
        #expect(Credits.starting(NetworkSettings()) == 10)
        #expect(Credits.starting(NetworkSettings(startingCredits: -3)) == 0)
    }

    @Test("accepting takes one credit")
    func debit() throws {
        var owner = member(credits: 2)
        try Credits.debitForAccept(&owner, referral: ReferralID(12), pointsPerCredit: 1, line: "ACCEPT")
        #expect(owner.credits == 1)
    }

    @Test("with no credits, accepting is refused and the member is told to REDEEM their points")
    func noCreditsWithPoints() {
        var owner = member(credits: 0, points: 4)
        #expect(throws: CommandError(
            line: "ACCEPT", problem: "You have no credits left, and accepting R-12 takes one.",
            remedy: "You have 4 points: reply REDEEM 4 to turn them into 4 credits, then ACCEPT R-12 again. "
                + "An admin can also grant you credits.")
        ) {
            try Credits.debitForAccept(&owner, referral: ReferralID(12), pointsPerCredit: 1, line: "ACCEPT")
        }
        #expect(owner.credits == 0)
    }

    @Test("with no credits and too few points, the member is told how points are earned")
    func noCreditsNoPoints() {
        var owner = member(credits: 0, points: 2)
        #expect(throws: CommandError(
            line: "ACCEPT", problem: "You have no credits left, and accepting R-12 takes one.",
            remedy: "You earn points when referrals you send are accepted, and REDEEM turns points into credits; "
                + "an admin can also grant you credits. ACCEPT R-12 again once you have one.")
        ) {
            try Credits.debitForAccept(&owner, referral: ReferralID(12), pointsPerCredit: 3, line: "ACCEPT")
        }
    }

    @Test("the referrer earns a point on accept")
    func award() {
        var referrer = member(points: 4)
        Points.awardForAccept(&referrer)
        #expect(referrer.points == 5)
    }

    @Test("REDEEM turns points into whole credits at points_per_credit and keeps the rest")
    func redeem() throws {
        var ann = member(credits: 0, points: 7)
        let done = try Points.redeem(7, member: &ann, pointsPerCredit: 3, line: "REDEEM 7")
        #expect(done == Points.Redemption(pointsSpent: 6, creditsGained: 2))
        #expect(ann.points == 1)
        #expect(ann.credits == 2)
    }

    @Test("REDEEM alone redeems every point")
    func redeemAll() throws {
        var ann = member(credits: 1, points: 5)
        let done = try Points.redeem(nil, member: &ann, pointsPerCredit: 1, line: "REDEEM")
        #expect(done.creditsGained == 5)
        #expect(ann.credits == 6)
        #expect(ann.points == 0)
    }

    @Test("REDEEM more points than the member has is refused with the number that works")
    func redeemTooMany() {
        var ann = member(points: 3)
        #expect(throws: CommandError(
            line: "REDEEM 5", problem: "You asked to redeem 5 points, but you have 3.",
            remedy: "Reply REDEEM 3. Each point is worth a credit.")
        ) {
            try Points.redeem(5, member: &ann, pointsPerCredit: 1, line: "REDEEM 5")
        }
        #expect(ann.points == 3)
    }

    @Test("REDEEM of zero, or of too few for a credit, is refused")
    func redeemNothing() {
        var ann = member(points: 2)
        #expect(throws: CommandError(
            line: "REDEEM 0", problem: "REDEEM needs a number of points above 0.",
            remedy: "Write it like REDEEM 3, or REDEEM alone to redeem every point you have.")
        ) { try Points.redeem(0, member: &ann, pointsPerCredit: 3, line: "REDEEM 0") }
        #expect(throws: CommandError(
            line: "REDEEM 2", problem: "2 points do not make a whole credit.",
            remedy: "3 points make a credit; redeem at least 3 once you have them.")
        ) { try Points.redeem(2, member: &ann, pointsPerCredit: 3, line: "REDEEM 2") }
        #expect(ann.points == 2)
    }

    @Test("GRANT adds credits, takes them away when negative, and never below zero")
    func grant() throws {
        var ann = member(credits: 2)
        try Credits.grant(5, to: &ann, line: "GRANT ann@example.org 5")
        #expect(ann.credits == 7)
        try Credits.grant(-7, to: &ann, line: "GRANT ann@example.org -7")
        #expect(ann.credits == 0)
        #expect(throws: CommandError(
            line: "GRANT ann@example.org -1",
            problem: "ann@example.org has 0 credits, so taking 1 away would leave fewer than none.",
            remedy: "They have no credits to take away.")
        ) { try Credits.grant(-1, to: &ann, line: "GRANT ann@example.org -1") }
        #expect(throws: CommandError.self) { try Credits.grant(0, to: &ann, line: "GRANT ann@example.org 0") }
        var bob = member(credits: 3)
        #expect(throws: CommandError(
            line: "GRANT ann@example.org -4",
            problem: "ann@example.org has 3 credits, so taking 4 away would leave fewer than none.",
            remedy: "Take away at most 3: GRANT ann@example.org -3.")
        ) { try Credits.grant(-4, to: &bob, line: "GRANT ann@example.org -4") }
        #expect(bob.credits == 3)
    }
}
