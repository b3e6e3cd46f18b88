import Foundation

/// Content-Transfer-Encoding (RFC 2045): base64 and quoted-printable, decoded leniently and encoded strictly.
enum TransferEncoding {
    private static let base64Alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let base64Values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in base64Alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        // URL-safe alphabet too, as some senders use it
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        return table
    }()

    /// Decodes base64, skipping characters outside the alphabet and stopping at padding.
    static func decodeBase64(_ input: some Collection<UInt8>) -> [UInt8] {
        if let output = input.withContiguousStorageIfAvailable({ decodeBase64(buffer: $0) }) { return output }
        return Array(input).withUnsafeBufferPointer { decodeBase64(buffer: $0) }
    }

    private static func decodeBase64(buffer input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        base64Values.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: input.count * 3 / 4 + 3) { output, count in
                var written = 0
                var accumulator: UInt32 = 0
                var bits: UInt32 = 0
                var index = 0
                let end = input.count
                while index < end {
                    // four alphabet characters on a group boundary make three bytes at once
                    if bits == 0, index + 4 <= end {
                        let a = table[Int(input[index])]
                        let b = table[Int(input[index + 1])]
                        let c = table[Int(input[index + 2])]
                        let d = table[Int(input[index + 3])]
                        if (a | b | c | d) < 64 {
                            let group = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                            output[written] = UInt8(truncatingIfNeeded: group >> 16)
                            output[written + 1] = UInt8(truncatingIfNeeded: group >> 8)
                            output[written + 2] = UInt8(truncatingIfNeeded: group)
                            written += 3
                            index += 4
                            continue
                        }
                    }
                    let byte = input[index]
                    index += 1
                    let value = table[Int(byte)]
                    if value == 0xFF {
                        if byte == UInt8(ascii: "=") {
                            // padding ends a group; a later group may follow in concatenated base64
                            accumulator = 0
                            bits = 0
                        }
                        continue
                    }
                    accumulator = (accumulator << 6) | UInt32(value)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        output[written] = UInt8(truncatingIfNeeded: accumulator >> bits)
                        written += 1
                        accumulator &= (1 << bits) - 1
                    }
                }
                count = written
            }
        }
    }

    /// Encodes base64; `lineLength` 0 means one line, otherwise lines are split with CRLF.
    static func encodeBase64(_ input: [UInt8], lineLength: Int = 76) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 4 / 3 + input.count / 38 + 4)
        var column = 0
        var index = 0
        func emit(_ byte: UInt8) {
            if lineLength > 0, column == lineLength {
                output.append(13)
                output.append(10)
                column = 0
            }
            output.append(byte)
            column += 1
        }
        while index < input.count {
            let b0 = UInt32(input[index])
            let b1 = index + 1 < input.count ? UInt32(input[index + 1]) : 0
            let b2 = index + 2 < input.count ? UInt32(input[index + 2]) : 0
            let group = (b0 << 16) | (b1 << 8) | b2
            emit(base64Alphabet[Int((group >> 18) & 63)])
            emit(base64Alphabet[Int((group >> 12) & 63)])
            emit(index + 1 < input.count ? base64Alphabet[Int((group >> 6) & 63)] : UInt8(ascii: "="))
            emit(index + 2 < input.count ? base64Alphabet[Int(group & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// Decodes quoted-printable: `=XX`, soft line breaks (`=` at the end of a line), and in encoded words `_`.
    ///
    /// A `=` that starts no valid escape is kept as it is, as most readers do.
    static func decodeQuotedPrintable(_ input: some Collection<UInt8>, underscoreIsSpace: Bool = false) -> [UInt8] {
        if let output = input.withContiguousStorageIfAvailable({
            decodeQuotedPrintable(buffer: $0, underscoreIsSpace: underscoreIsSpace)
        }) {
            return output
        }
        return Array(input).withUnsafeBufferPointer { decodeQuotedPrintable(buffer: $0, underscoreIsSpace: underscoreIsSpace) }
    }

    private static func decodeQuotedPrintable(buffer bytes: UnsafeBufferPointer<UInt8>, underscoreIsSpace: Bool) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: bytes.count) { output, written in
            var count = 0
            var index = 0
            let end = bytes.count
            while index < end {
                let byte = bytes[index]
                if byte == UInt8(ascii: "=") {
                    // soft line break: "=" followed by optional whitespace and a line end
                    var look = index + 1
                    while look < end, bytes[look] == 32 || bytes[look] == 9 { look += 1 }
                    if look < end, bytes[look] == 13 || bytes[look] == 10 {
                        if bytes[look] == 13, look + 1 < end, bytes[look + 1] == 10 { look += 1 }
                        index = look + 1
                        continue
                    }
                    if look == end {
                        index = look
                        continue
                    }
                    if index + 2 < end, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                        output[count] = high << 4 | low
                        count += 1
                        index += 3
                        continue
                    }
                    output[count] = byte
                    count += 1
                    index += 1
                } else if underscoreIsSpace, byte == UInt8(ascii: "_") {
                    output[count] = 32
                    count += 1
                    index += 1
                } else if byte == 32 || byte == 9 {
                    // trailing whitespace before a line end was added in transit (RFC 2045 6.7 rule 3)
                    var look = index
                    while look < end, bytes[look] == 32 || bytes[look] == 9 { look += 1 }
                    if !underscoreIsSpace, look < end, bytes[look] == 13 || bytes[look] == 10 {
                        index = look
                    } else {
                        while index < look {
                            output[count] = bytes[index]
                            count += 1
                            index += 1
                        }
                    }
                } else {
                    output[count] = byte
                    count += 1
                    index += 1
                }
            }
            written = count
        }
    }

    /// Encodes text as quoted-printable with CRLF line ends and lines of at most 76 characters.
    static func encodeQuotedPrintable(_ text: String) -> String {
        let lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let hex = Array("0123456789ABCDEF".utf8)
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3 / 2 + 16)
        var column = 0
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            // CRLF and LF end a line alike (a lone CR is data, and encoded)
            if byte == lf || (byte == cr && index + 1 < bytes.count && bytes[index + 1] == lf) {
                output.append(cr)
                output.append(lf)
                column = 0
                index += byte == cr ? 2 : 1
                continue
            }
            let next = index + 1 < bytes.count ? bytes[index + 1] : lf
            let isLast = next == lf || (next == cr && index + 2 < bytes.count && bytes[index + 2] == lf)
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 32 || byte == 9) && !isLast)
            let width = literal ? 1 : 3
            // a leading "." or "From " is safe in QP, but dot-stuffing is the transport's job; leave it
            if column + width > 75 {
                output.append(contentsOf: [UInt8(ascii: "="), cr, lf])
                column = 0
            }
            if literal {
                output.append(byte)
            } else {
                output.append(contentsOf: [UInt8(ascii: "="), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            }
            column += width
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}
