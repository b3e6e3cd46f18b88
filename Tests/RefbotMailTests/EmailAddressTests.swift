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

    @Test("text without an at sign or with spaces is not an address")
    func rejectsJunk() {
        #expect(EmailAddress("no-at-sign") == nil)
        #expect(EmailAddress("a b@example.com") == nil)
        #expect(EmailAddress("@example.com") == nil)
        #expect(EmailAddress("a@") == nil)
    }
}
