/// Random text from the 32 characters a-z and 2-7: safe in an address's local part, in a URL and
/// in a file name, and the same read in any case a mail client shows it in.
public enum RandomBase32 {
    /// The 32 characters, in the order a 5-bit value picks them.
    public static let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567".utf8)

    /// `count` characters (5 random bits each) from the system generator.
    public static func string(count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return string(count: count, using: &generator)
    }

    /// `count` characters from `generator`: twelve from each 64-bit draw, five bits a character,
    /// lowest first (so 20 characters take two `getrandom` calls from the system generator, where a
    /// draw a character took twenty or more). With exactly 32 characters every 5-bit value is one
    /// of them, and each is equally likely.
    public static func string<G: RandomNumberGenerator>(count: Int, using generator: inout G) -> String {
        var text: [UInt8] = []
        text.reserveCapacity(count)
        while text.count < count {
            var bits = generator.next()
            for _ in 0..<12 where text.count < count {
                text.append(alphabet[Int(bits & 31)])
                bits >>= 5
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
