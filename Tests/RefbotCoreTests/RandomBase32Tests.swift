import Foundation
@testable import RefbotCore
import Testing

/// Reply tags and evidence ids: characters from a-z and 2-7, five random bits each, twelve from a
/// 64-bit draw.
@Suite("Random text from a-z and 2-7")
struct RandomBase32Tests {
    /// Gives back the words it was made with, in order, and counts the draws.
    struct FixedWords: RandomNumberGenerator {
        var words: [UInt64]
        var draws = 0
        mutating func next() -> UInt64 {
            defer { draws += 1 }
            return words[draws]
        }
    }

    @Test("Each character is the next five bits of a draw, lowest first; 20 characters take two draws")
    func fiveBitsACharacter() {
        // 0, 1, 2 … 11 in the first word's twelve 5-bit groups; 31, 30 … 24 in the second's first eight.
        let first = (0..<12).reduce(UInt64(0)) { $0 | (UInt64($1) << (5 * UInt64($1))) }
        let second = (0..<8).reduce(UInt64(0)) { $0 | (UInt64(31 - $1) << (5 * UInt64($1))) }
        var generator = FixedWords(words: [first, second])
        #expect(RandomBase32.string(count: 20, using: &generator) == "abcdefghijkl765432zy")
        #expect(generator.draws == 2)
        var ones = FixedWords(words: [.max, .max, .max])
        #expect(RandomBase32.string(count: 25, using: &ones) == String(repeating: "7", count: 25))
        #expect(ones.draws == 3)
        var none = FixedWords(words: [])
        #expect(RandomBase32.string(count: 0, using: &none) == "")
    }

    @Test("From the system generator: 20 characters of the alphabet, every character at every place, no repeats")
    func systemText() {
        let alphabet = Set("abcdefghijklmnopqrstuvwxyz234567")
        var seen = Array(repeating: Set<Character>(), count: 20)
        var all = Set<String>()
        for _ in 0..<3_000 {
            let text = RandomBase32.string(count: 20)
            #expect(text.count == 20)
            for (place, character) in text.enumerated() {
                #expect(alphabet.contains(character), "\(text)")
                seen[place].insert(character)
            }
            all.insert(text)
        }
        // 3 000 draws leave a given character out of a given place with odds of about 1 in 10^41.
        #expect(seen.allSatisfy { $0 == alphabet })
        #expect(all.count == 3_000)
        let evidence = Agreement.newEvidenceId()
        #expect(evidence.hasPrefix("ev-") && evidence.count == 23 && evidence.dropFirst(3).allSatisfy(alphabet.contains))
    }
}
