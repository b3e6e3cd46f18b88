import Foundation
import RefbotMail
import Testing

/// Hostile input is handled within a bound: the parser returns or throws a limit error, never overflows
/// the stack, and the trimmer's work stays linear. Bounds are on sizes and outcomes, with one very loose
/// time ceiling (a guard against quadratic blow-ups, not a speed target).
@Suite("Pathological input")
struct PathologicalInputTests {
    /// A generous ceiling: linear work here takes well under a second even in a debug build.
    static let ceiling = Duration.seconds(60)

    static func timed<T>(_ body: () throws -> T) rethrows -> (T, Duration) {
        let clock = ContinuousClock()
        var result: T?
        let elapsed = try clock.measure { result = try body() }
        guard let result else { preconditionFailure("measure ran the body") }
        return (result, elapsed)
    }

    @Test("100 000 quoted lines trim to nothing")
    func manyQuotes() {
        let body = String(repeating: "> Reply ACCEPT to take this referral or REJECT with a reason.\n", count: 100_000)
        let (reply, elapsed) = Self.timed { ReplyTrimmer.trim("ACCEPT\n\n" + body) }
        #expect(reply.newText == "ACCEPT")
        #expect(elapsed < Self.ceiling)
        let (onlyQuotes, _) = Self.timed { ReplyTrimmer.trim(body) }
        #expect(onlyQuotes.newText.isEmpty)
    }

    @Test("100 000 attribution-like and header-like lines stay linear")
    func manyMarkers() {
        let body = "ACCEPT\n" + String(repeating: "On Mon, Mar 2, 2026 Refbot <r@example.org>\nFrom: x\nwrote:\n", count: 33_000)
        let (reply, elapsed) = Self.timed { ReplyTrimmer.trim(body) }
        #expect(reply.newText == "ACCEPT")
        #expect(elapsed < Self.ceiling)
    }

    static func nested(depth: Int) -> [UInt8] {
        var text = "Subject: deep\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
        for level in 1..<depth {
            text += "--b\(level - 1)\r\nContent-Type: multipart/mixed; boundary=\"b\(level)\"\r\n\r\n"
        }
        text += "--b\(depth - 1)\r\nContent-Type: text/plain\r\n\r\nbottom\r\n"
        return Array(text.utf8)
    }

    @Test("10 000 nested multiparts throw tooDeep without recursion")
    func deepNesting() {
        #expect(throws: MailParseError(code: .tooDeep, message: "")) {
            try MessageParser.parse(Self.nested(depth: 10_000))
        }
    }

    @Test("nesting within the depth limit parses")
    func allowedNesting() throws {
        let message = try MessageParser.parse(Self.nested(depth: 20))
        #expect(message.textBody.trimmingCharacters(in: .newlines) == "bottom")
    }

    @Test("10 000 sibling parts throw tooManyParts")
    func manyParts() {
        var text = "Content-Type: multipart/mixed; boundary=x\r\n\r\n"
        text += String(repeating: "--x\r\nContent-Type: text/plain\r\n\r\npart\r\n", count: 10_000) + "--x--\r\n"
        #expect(throws: MailParseError(code: .tooManyParts, message: "")) { try MessageParser.parse(Array(text.utf8)) }
        #expect(throws: Never.self) {
            try MessageParser.parse(Array(text.utf8), limits: ParseLimits(maxParts: 20_000))
        }
    }

    @Test("a 20 MB message throws tooLarge")
    func tooLarge() {
        let bytes = Array("Subject: big\r\n\r\n".utf8) + [UInt8](repeating: 65, count: 20 << 20)
        #expect(throws: MailParseError(code: .tooLarge, message: "")) { try MessageParser.parse(bytes) }
    }

    @Test("a header line of several megabytes parses, encoded-word noise included")
    func hugeHeader() throws {
        let noise = String(repeating: "=?u?q?a", count: 300_000)
        let bytes = Array("Subject: \(noise)\r\nX-Long: \(String(repeating: "a", count: 3 << 20))\r\n\r\nbody".utf8)
        let (message, elapsed) = try Self.timed { try MessageParser.parse(bytes) }
        #expect(message.subject.count == noise.count)
        #expect(message.header("X-Long")?.count == 3 << 20)
        #expect(elapsed < Self.ceiling)
    }

    @Test("hostile HTML converts in linear time")
    func hostileHTML() throws {
        let html = String(repeating: "<a x='<b ", count: 100_000) + String(repeating: "<div>", count: 50_000)
            + String(repeating: "<!--", count: 10_000)
        let bytes = Array("Content-Type: text/html\r\n\r\n\(html)".utf8)
        let (message, elapsed) = try Self.timed { try MessageParser.parse(bytes) }
        #expect(!message.textBody.isEmpty)
        #expect(elapsed < Self.ceiling)
    }
}
