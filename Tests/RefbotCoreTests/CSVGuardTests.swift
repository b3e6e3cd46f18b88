import Foundation
import RefbotCore
import Testing

/// The EXPORT CSV keeps spreadsheets from reading member text as a formula.
@Suite("EXPORT CSV formula guard")
struct CSVGuardTests {
    /// The profile row's cells of a member whose about text is `about`.
    func profileRow(about: String) -> String {
        let member = Member(email: "ann@example.org", name: "Ann", about: about, state: .active, joinedAt: 0)
        let csv = ExportHandler.csv(member: member, data: MemberExport())
        return csv.components(separatedBy: "\r\n").first { $0.hasPrefix("profile,") } ?? csv
    }

    @Test("a cell that starts with =, +, -, @, tab or CR gets a leading quote mark", arguments: [
        "=HYPERLINK(\"http://x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1+1",
    ])
    func formulaStartsAreDefused(_ about: String) {
        let row = profileRow(about: about)
        #expect(row.contains(",'" + about.prefix(2)) || row.contains(",\"'" + about.prefix(2)), "\(row.debugDescription)")
    }

    @Test("plain text and plain numbers are left alone")
    func plainCellsUntouched() {
        #expect(profileRow(about: "Cakes, breads").contains(",\"Cakes, breads\","))
        #expect(profileRow(about: "-5").contains(",-5,"))
        #expect(profileRow(about: "Tab\tinside").contains(",Tab\tinside,"))
    }
}
