import Foundation
import RefbotCore
import Testing

@Suite("Object references L-n, R-n, C-n")
struct ObjectRefTests {
    @Test("ids print as letter, dash, number")
    func printing() {
        #expect(ListingID(12).description == "L-12")
        #expect(ReferralID(12).description == "R-12")
        #expect(ConnectionID(7).description == "C-7")
        #expect("\(ObjectRef.referral(ReferralID(3)))" == "R-3")
    }

    @Test(
        "members' spellings read as the reference",
        arguments: [
            ("L-12", ObjectRef.listing(ListingID(12))),
            ("l-12", .listing(ListingID(12))),
            ("L12", .listing(ListingID(12))),
            ("r12", .referral(ReferralID(12))),
            ("  R-12  ", .referral(ReferralID(12))),
            ("[R-12]", .referral(ReferralID(12))),
            ("#C-3", .connection(ConnectionID(3))),
            ("R-12.", .referral(ReferralID(12))),
            ("R-12,", .referral(ReferralID(12))),
            ("(L-4)", .listing(ListingID(4))),
            ("\"L-4\"", .listing(ListingID(4))),
            ("L–12", .listing(ListingID(12))),
            ("L-007", .listing(ListingID(7))),
            ("C-9223372036854775807", .connection(ConnectionID(Int64.max))),
        ] as [(String, ObjectRef?)])
    func parsing(text: String, expected: ObjectRef?) {
        #expect(ObjectRef(parsing: text) == expected)
    }

    @Test(
        "text that is not a reference reads as nil",
        arguments: ["", "L", "L-", "L 12", "L-0", "L--12", "X-12", "L-12a", "L-1.5", "L-+3", "L--3",
                    "L-9223372036854775808", "[L-12", "12", "LR-12", "L-١٢"])
    func rejects(text: String) {
        #expect(ObjectRef(parsing: text) == nil)
    }

    @Test("a typed id refuses a reference of another kind")
    func typedParsing() {
        #expect(ListingID(parsing: "L-5") == ListingID(5))
        #expect(ListingID(parsing: "R-5") == nil)
        #expect(ReferralID("r-5") == ReferralID(5))
        #expect(ConnectionID(parsing: "L-5") == nil)
    }

    @Test("print then parse gives back the same reference", arguments: ObjectKind.allCases)
    func roundTrip(kind: ObjectKind) {
        for number: Int64 in [1, 9, 10, 12345, Int64.max] {
            let ref = ObjectRef(kind: kind, number: number)
            #expect(ObjectRef(parsing: ref.description) == ref)
            #expect(ref.number == number)
            #expect(ref.kind == kind)
        }
    }

    @Test("ids encode as bare numbers, references as their text")
    func coding() throws {
        let id = try JSONEncoder().encode([ListingID(12)])
        #expect(String(decoding: id, as: UTF8.self) == "[12]")
        #expect(try JSONDecoder().decode([ReferralID].self, from: Data("[4]".utf8)) == [ReferralID(4)])
        let ref = try JSONEncoder().encode([ObjectRef.connection(ConnectionID(3))])
        #expect(String(decoding: ref, as: UTF8.self) == "[\"C-3\"]")
        #expect(try JSONDecoder().decode([ObjectRef].self, from: Data("[\"r-8\"]".utf8)) == [.referral(ReferralID(8))])
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([ObjectRef].self, from: Data("[\"Q-8\"]".utf8)) }
    }

    @Test("ids order by number and convert to a reference")
    func ordering() {
        #expect(ListingID(2) < ListingID(10))
        #expect(ReferralID(5).ref == .referral(ReferralID(5)))
        #expect(ListingID(rawValue: 3) == ListingID(3))
    }
}
