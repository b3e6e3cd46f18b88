import Foundation
import RefbotCore
import Testing

private func usd(_ minor: Int64) -> Money { Money(amountMinor: minor, currency: "USD") }

@Suite("Listing rewards")
struct RewardTests {
    @Test(
        "the spec's forms and their common variants read as the reward",
        arguments: [
            ("$50 per lead", Reward.perLead(usd(5_000))),
            ("$50 Per Lead", .perLead(usd(5_000))),
            ("$50 per referral", .perLead(usd(5_000))),
            ("50 USD a lead", .perLead(usd(5_000))),
            ("$50/lead", .perLead(usd(5_000))),
            ("€200 per lead", .perLead(Money(amountMinor: 20_000, currency: "EUR"))),
            ("$500 per sale", .perSale(usd(50_000))),
            ("2.500,00 EUR per sale", .perSale(Money(amountMinor: 250_000, currency: "EUR"))),
            ("$1k per sale", .perSale(usd(100_000))),
            ("$500 a sale", .perSale(usd(50_000))),
            ("10% of sale", .percentOfSale(basisPoints: 1_000)),
            ("10 % of the sale", .percentOfSale(basisPoints: 1_000)),
            ("12.5% of sale", .percentOfSale(basisPoints: 1_250)),
            ("7,25% of sale", .percentOfSale(basisPoints: 725)),
            ("10 percent of sale", .percentOfSale(basisPoints: 1_000)),
            ("10%", .percentOfSale(basisPoints: 1_000)),
            ("100% of sale", .percentOfSale(basisPoints: 10_000)),
            ("in kind: a dinner for two", .inKind("a dinner for two")),
            ("In-Kind: Free   tune-up", .inKind("Free tune-up")),
            ("none", Reward.none),
            ("None", Reward.none),
            ("no reward", Reward.none),
        ] as [(String, Reward)])
    func parses(text: String, expected: Reward) throws {
        #expect(try Reward.parse(text, defaultCurrency: "USD", line: "Reward: \(text)") == expected)
    }

    @Test(
        "bad rewards are refused with words that name the forms that work",
        arguments: [
            ("$50", "\"$50\" gives an amount but not when it is paid."),
            ("lots of money", "I could not read \"lots of money\" as a reward."),
            ("", "The reward is empty."),
            ("10% of profit", "A percent reward is always a share of the sale; I could not read \"10% of profit\"."),
        ])
    func refusesNamingForms(text: String, problem: String) {
        #expect(throws: CommandError(
            line: "Reward: \(text)", problem: problem,
            remedy: "Write the reward as one of: $50 per lead, $500 per sale, 10% of sale, in kind: a dinner for two, or none."
        )) {
            try Reward.parse(text, defaultCurrency: "USD", line: "Reward: \(text)")
        }
    }

    @Test("other refusals say what to write instead")
    func otherRefusals() {
        #expect(throws: CommandError(
            line: "Reward: 150% of sale", problem: "\"150%\" is not a share I can use.",
            remedy: "Write a percent between 0.01 and 100, like 10% of sale or 12.5% of sale.")
        ) { try Reward.parse("150% of sale", defaultCurrency: "USD", line: "Reward: 150% of sale") }
        #expect(throws: CommandError(
            line: "Reward: $0 per lead", problem: "A reward of $0.00 per lead is no reward.",
            remedy: "Write Reward: none, or an amount such as $50 per lead.")
        ) { try Reward.parse("$0 per lead", defaultCurrency: "USD", line: "Reward: $0 per lead") }
        #expect(throws: CommandError(
            line: "Reward: in kind:", problem: "The in-kind reward does not say what the referrer gets.",
            remedy: "Write it like: Reward: in kind: a dinner for two.")
        ) { try Reward.parse("in kind:", defaultCurrency: "USD", line: "Reward: in kind:") }
        #expect(throws: CommandError(
            line: "Reward: $5.555.5 per lead",
            problem: "I could not read \"$5.555.5\" as an amount: the commas and points are not where I expect them.",
            remedy: "Write the number with a comma or point every three digits, or none at all: $5,000, 5000 USD, 2.500,00 EUR.")
        ) { try Reward.parse("$5.555.5 per lead", defaultCurrency: "USD", line: "Reward: $5.555.5 per lead") }
    }

    @Test(
        "descriptions read back to the same reward",
        arguments: [
            Reward.perLead(usd(5_000)), .perSale(usd(50_000)), .percentOfSale(basisPoints: 1_000),
            .percentOfSale(basisPoints: 1_250), .percentOfSale(basisPoints: 5), .inKind("a dinner for two"), .none,
            .perSale(Money(amountMinor: 250_000, currency: "CHF")),
        ])
    func describes(reward: Reward) throws {
        #expect(try Reward.parse(reward.description, defaultCurrency: "USD", line: "") == reward)
    }

    @Test("descriptions in words")
    func descriptionText() {
        #expect(Reward.perLead(usd(5_000)).description == "$50.00 per lead")
        #expect(Reward.perSale(usd(50_000)).description == "$500.00 per sale")
        #expect(Reward.percentOfSale(basisPoints: 1_250).description == "12.5% of sale")
        #expect(Reward.percentOfSale(basisPoints: 5).description == "0.05% of sale")
        #expect(Reward.inKind("a dinner").description == "in kind: a dinner")
        #expect(Reward.none.description == "none")
    }

    @Test("a per-lead reward is owed on ACCEPT and nothing more on WON")
    func perLead() {
        let reward = Reward.perLead(usd(5_000))
        #expect(reward.owedOnAccept() == usd(5_000))
        #expect(reward.owedOnWon(saleAmount: usd(1_000_000)) == nil)
    }

    @Test("a per-sale reward is owed on WON, whatever the sale amount")
    func perSale() {
        let reward = Reward.perSale(usd(50_000))
        #expect(reward.owedOnAccept() == nil)
        #expect(reward.owedOnWon(saleAmount: nil) == usd(50_000))
        #expect(reward.owedOnWon(saleAmount: usd(1)) == usd(50_000))
        #expect(!reward.needsSaleAmount)
    }

    @Test("a percent reward owes its share of the won amount, rounded half up, in the sale's currency")
    func percent() {
        let reward = Reward.percentOfSale(basisPoints: 1_000)
        #expect(reward.needsSaleAmount)
        #expect(reward.owedOnAccept() == nil)
        #expect(reward.owedOnWon(saleAmount: nil) == nil)
        #expect(reward.owedOnWon(saleAmount: usd(123_455)) == usd(12_346))
        #expect(reward.owedOnWon(saleAmount: Money(amountMinor: 1_005, currency: "JPY"))
            == Money(amountMinor: 101, currency: "JPY"))
    }

    @Test("in kind and none owe no money; in kind owes its text on WON")
    func inKindAndNone() {
        #expect(Reward.inKind("a dinner").owedOnWon(saleAmount: usd(100)) == nil)
        #expect(Reward.inKind("a dinner").inKindOwedOnWon() == "a dinner")
        #expect(Reward.none.owedOnAccept() == nil)
        #expect(Reward.none.owedOnWon(saleAmount: usd(100)) == nil)
        #expect(Reward.none.inKindOwedOnWon() == nil)
    }

    @Test("rewards encode with a kind and only the fields it needs, and rebuild from columns",
          arguments: [
            Reward.perLead(usd(5_000)), .perSale(usd(1)), .percentOfSale(basisPoints: 725), .inKind("x"), .none,
          ])
    func coding(reward: Reward) throws {
        let data = try JSONEncoder().encode(reward)
        #expect(try JSONDecoder().decode(Reward.self, from: data) == reward)
        let rebuilt = Reward(
            kind: reward.kind, amountMinor: reward.amount?.amountMinor, currency: reward.amount?.currency,
            basisPoints: reward.basisPoints, text: reward.inKindText)
        #expect(rebuilt == reward)
    }

    @Test("a stored reward missing a field it needs does not decode")
    func badStoredReward() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Reward.self, from: Data(#"{"kind":"perLead","currency":"USD"}"#.utf8))
        }
        #expect(Reward(kind: .percentOfSale, amountMinor: nil, currency: nil, basisPoints: nil, text: nil) == nil)
    }
}
