@testable import RefbotDaemon
import Testing

@Suite("Processor: the random part of an answer's unique name")
struct RandomSuffixTests {
    @Test("eight upper-case hex digits, zero-padded, and a thousand of them almost all different")
    func eightHexDigits() {
        let suffixes = (0..<1_000).map { _ in Processor.randomSuffix() }
        let hexDigits = Set("0123456789ABCDEF")
        #expect(suffixes.allSatisfy { $0.count == 8 && $0.allSatisfy(hexDigits.contains) }, "\(suffixes.prefix(5))")
        // 32 random bits: two equal among a thousand has a chance of about 1 in 8 600.
        #expect(Set(suffixes).count >= 998)
    }
}
