import Foundation
import RefbotMail
import Testing

@Suite("EmailAddress")
struct EmailAddressTests {
    @Test("a bare addr-spec in angle brackets is read and its domain lowercased")
    func bareAddrSpec() throws {
        let address = try #require(EmailAddress("  <Carol.Diaz@Example.COM> "))
        #expect(address.localPart == "Carol.Diaz")
        #expect(address.domain == "example.com")
        #expect(address.address == "Carol.Diaz@example.com")
    }

    @Test("the domain folds ASCII case only: a KELVIN SIGN does not become k")
    func domainASCIICaseOnly() throws {
        let address = try #require(EmailAddress("ann@\u{212A}ITCHEN.Example"))
        #expect(address.domain == "\u{212A}itchen.example")
        #expect(!address.domain.unicodeScalars.elementsEqual("kitchen.example".unicodeScalars))
        #expect(EmailAddress.parseList("Kim <\u{212A}im@EXAMPLE.test>").first?.address == "\u{212A}im@example.test")
    }

    @Test("text without an at sign or with spaces is not an address")
    func rejectsJunk() {
        #expect(EmailAddress("no-at-sign") == nil)
        #expect(EmailAddress("a b@example.com") == nil)
        #expect(EmailAddress("@example.com") == nil)
        #expect(EmailAddress("a@") == nil)
    }
}

@Suite("EmailAddress lists")
struct EmailAddressListTests {
    @Test("display names, comments, quoted local parts and groups are read")
    func fullList() {
        let list = EmailAddress.parseList(
            #""Diaz, Carol" <carol@Example.COM>, bob@example.org (Bob Lee), "odd person"@example.net, "#
                + #"Team: ann@example.org, <ben@example.org>;, =?utf-8?Q?J=C3=B6rg?= <joerg@example.de>, "#
                + "undisclosed-recipients:;")
        #expect(list.map(\.address) == [
            "carol@example.com", "bob@example.org", "\"odd person\"@example.net", "ann@example.org", "ben@example.org",
            "joerg@example.de",
        ])
        #expect(list[0].displayName == "Diaz, Carol")
        #expect(list[1].displayName == "Bob Lee")
        #expect(list[5].displayName == "Jörg")
    }

    @Test("junk entries are skipped and never fail")
    func junk() {
        #expect(EmailAddress.parseList("").isEmpty)
        #expect(EmailAddress.parseList("not an address, <>, @@, \"unterminated <a@b.c>").isEmpty)
        #expect(EmailAddress.parseList("ok@example.org, garbage, (comment only)").map(\.address) == ["ok@example.org"])
    }

    @Test("a quoted local part that needs no quotes is written bare")
    func quotedLocal() throws {
        #expect(try #require(EmailAddress("\"bob\"@example.org")).address == "bob@example.org")
    }

    @Test("description quotes the name and encodes non-ASCII names")
    func description() throws {
        #expect(EmailAddress(localPart: "a", domain: "B.org", displayName: "Ann \"A\" Lee").description
            == #""Ann \"A\" Lee" <a@b.org>"#)
        let encoded = EmailAddress(localPart: "j", domain: "example.de", displayName: "Jörg Käfer").description
        #expect(encoded.hasPrefix("=?utf-8?b?"))
        #expect(!encoded.unicodeScalars.contains { !$0.isASCII })
        #expect(EmailAddress.parseList(encoded).first?.displayName == "Jörg Käfer")
        #expect(EmailAddress(localPart: "a", domain: "b.org").description == "a@b.org")
        #expect(EmailAddress(localPart: "a", domain: "b.org", displayName: "Ann Lee").description == #""Ann Lee" <a@b.org>"#)
        #expect(EmailAddress(localPart: "a", domain: "b.org", displayName: #"A\B"#).description == #""A\\B" <a@b.org>"#)
        #expect(!EmailAddress(localPart: "a", domain: "b.org", displayName: "evil\r\nBcc: x@y.z").description.contains("\n"))
    }
}

@Suite("Tagged, VERP and Message-ID addresses")
struct AddressFormsTests {
    let bot = EmailAddress(localPart: "referrals", domain: "example.org")

    @Test("a tagged address round-trips, case-insensitively, and other addresses have no tag")
    func tagged() throws {
        let made = TaggedAddress.make(base: bot, tag: "r12-x9")
        #expect(made == "referrals+r12-x9@example.org")
        #expect(TaggedAddress.tag(of: try #require(EmailAddress(made.uppercased())), base: bot) == "R12-X9")
        #expect(TaggedAddress.tag(of: try #require(EmailAddress("referrals@example.org")), base: bot) == nil)
        #expect(TaggedAddress.tag(of: try #require(EmailAddress("referrals+x@other.org")), base: bot) == nil)
        #expect(TaggedAddress.tag(of: try #require(EmailAddress("referralsx+y@example.org")), base: bot) == nil)
    }

    @Test("a VERP address round-trips and junk has no id")
    func verp() {
        let made = VERPAddress.make(base: bot, id: 42, mac: "abcdefghijklmnop")
        #expect(made == "referrals+bounce-42-abcdefghijklmnop@example.org")
        #expect(VERPAddress.id(in: made, base: bot) == 42)
        #expect(VERPAddress.id(in: "<Referrals+Bounce-7-ABCD@EXAMPLE.org>", base: bot) == 7)
        #expect(VERPAddress.id(in: "referrals+bounce-@example.org", base: bot) == nil)
        #expect(VERPAddress.id(in: "referrals+bounce-7@example.org", base: bot) == nil, "no mac: not refbot's")
        #expect(VERPAddress.id(in: "referrals+bounce-12x-abcd@example.org", base: bot) == nil)
        #expect(VERPAddress.id(in: "referrals+bounce-99999999999999999999-abcd@example.org", base: bot) == nil)
        #expect(VERPAddress.id(in: "other+bounce-1-abcd@example.org", base: bot) == nil)
    }

    @Test("a Message-ID has angle brackets and only msg-id characters")
    func messageID() {
        #expect(MessageID.make(unique: "r12.1", domain: "Example.org") == "<r12.1@example.org>")
        #expect(MessageID.make(unique: "a b<c>", domain: "example.org") == "<a-b-c-@example.org>")
    }
}
