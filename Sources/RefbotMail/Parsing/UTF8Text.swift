/// Text operations on valid UTF-8 bytes, for the parser's and the reply trimmer's hot paths.
///
/// `Character` operations (trimming, comparing, counting) give the same results as byte ones when every
/// Unicode scalar of the text is a grapheme cluster of its own; ``isStandaloneText(_:_:)`` tells when that
/// holds, conservatively, and callers fall back to `String` for any other text.
enum UTF8Text {
    /// Whether no scalar of the (valid UTF-8) bytes joins a neighbour into one grapheme cluster.
    ///
    /// Conservative: scalars outside common scripts (Latin, Greek, Cyrillic, CJK, kana, Hangul syllables,
    /// punctuation and symbols, controls, the replacement character) count as joining, and so does a CR
    /// before an LF (CR LF is one character).
    static func isStandaloneText(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Bool {
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let byte = bytes[index]
            if byte < 0x80 {
                // CR LF is one character; a lone CR is a character of its own
                if byte == 0x0D, index + 1 < end, bytes[index + 1] == 0x0A { return false }
                index += 1
                continue
            }
            let scalar: UInt32
            if byte < 0xE0 {
                guard index + 1 < end else { return false }
                scalar = UInt32(byte & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
                index += 2
            } else if byte < 0xF0 {
                guard index + 2 < end else { return false }
                scalar = UInt32(byte & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
                index += 3
            } else {
                return false
            }
            guard isStandalone(scalar) else { return false }
        }
        return true
    }

    /// Scalars below U+10000 that never join the scalar before or after them into one grapheme cluster.
    static func isStandalone(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x0080...0x02FF, 0x0370...0x0482, 0x048A...0x052F, 0x1E00...0x1FFF: true
        case 0x2000...0x200B, 0x200E...0x20CF, 0x2100...0x2BFF: true
        case 0x3000...0x3029, 0x3030...0x3098, 0x309B...0x30FF, 0x3100...0x9FFF, 0xAC00...0xD7A3: true
        // full-width forms; the object replacement and replacement characters (U+FFFD stands in for bytes
        // that are not UTF-8)
        case 0xFF01...0xFF9D, 0xFFFC...0xFFFD: true
        default: false
        }
    }

    /// Whether `haystack` holds the bytes of `needle` in a row (false for an empty needle).
    static func contains<Bytes: RandomAccessCollection<UInt8>>(_ haystack: Bytes, _ needle: [UInt8]) -> Bool
    where Bytes.Index == Int {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        var index = haystack.startIndex
        while index <= haystack.endIndex - needle.count {
            if haystack[index] == first, haystack[index..<(index + needle.count)].elementsEqual(needle) { return true }
            index += 1
        }
        return false
    }

    /// The range without leading and trailing blanks: space, tab, no-break space, ideographic space
    /// (``TextLines/isBlank(_:)-(Unicode.Scalar)``).
    static func trimBlanks(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end {
            let byte = bytes[start]
            if byte == 32 || byte == 9 {
                start += 1
            } else if byte == 0xC2, start + 1 < end, bytes[start + 1] == 0xA0 {
                start += 2
            } else if byte == 0xE3, start + 2 < end, bytes[start + 1] == 0x80, bytes[start + 2] == 0x80 {
                start += 3
            } else {
                break
            }
        }
        while end > start {
            let byte = bytes[end - 1]
            if byte == 32 || byte == 9 {
                end -= 1
            } else if byte == 0xA0, end - 2 >= start, bytes[end - 2] == 0xC2 {
                end -= 2
            } else if byte == 0x80, end - 3 >= start, bytes[end - 2] == 0x80, bytes[end - 3] == 0xE3 {
                end -= 3
            } else {
                break
            }
        }
        return start..<end
    }

    static func isASCIILetter(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= 0x61 && (byte | 0x20) <= 0x7A
    }

    /// Appends the lowercased bytes of standalone text to `output`, with no-break spaces as spaces.
    ///
    /// Covers ASCII, Latin-1, basic Cyrillic, full-width Latin and the scripts without case; returns false
    /// (leaving a partial append) at the first scalar whose lowercase it does not know, so the caller can
    /// use `String.lowercased()` instead.
    static func appendLowercased(
        _ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, to output: inout [UInt8]
    ) -> Bool {
        var index = range.lowerBound
        let end = range.upperBound
        while index < end {
            let byte = bytes[index]
            if byte < 0x80 {
                output.append(byte >= 0x41 && byte <= 0x5A ? byte + 0x20 : byte)
                index += 1
                continue
            }
            if byte < 0xE0 {
                let next = bytes[index + 1]
                switch byte {
                case 0xC2:
                    if next == 0xA0 {
                        output.append(32)
                    } else {
                        output.append(byte)
                        output.append(next)
                    }
                case 0xC3:
                    output.append(byte)
                    output.append(next >= 0x80 && next <= 0x9E && next != 0x97 ? next + 0x20 : next)
                case 0xCA, 0xCB:
                    output.append(byte)
                    output.append(next)
                case 0xD0:
                    if next <= 0x8F {  // U+0400–U+040F → U+0450–U+045F
                        output.append(0xD1)
                        output.append(next + 0x10)
                    } else if next <= 0x9F {  // U+0410–U+041F → U+0430–U+043F
                        output.append(0xD0)
                        output.append(next + 0x20)
                    } else if next <= 0xAF {  // U+0420–U+042F → U+0440–U+044F
                        output.append(0xD1)
                        output.append(next - 0x20)
                    } else {
                        output.append(byte)
                        output.append(next)
                    }
                case 0xD1:
                    guard next <= 0x9F else { return false }
                    output.append(byte)
                    output.append(next)
                default:
                    return false
                }
                index += 2
                continue
            }
            let second = bytes[index + 1]
            let third = bytes[index + 2]
            switch byte {
            case 0xE2:
                // letterlike symbols, number forms, arrows (U+2100–U+21BF) and circled letters have case
                if (second >= 0x84 && second <= 0x86) || second == 0x92 || second == 0x93 { return false }
                output.append(byte)
                output.append(second)
                output.append(third)
            case 0xE3...0xED:
                output.append(byte)
                output.append(second)
                output.append(third)
            case 0xEF:
                output.append(byte)
                if second == 0xBC, third >= 0xA1, third <= 0xBA {  // Ａ–Ｚ → ａ–ｚ
                    output.append(0xBD)
                    output.append(third - 0x20)
                } else {
                    output.append(second)
                    output.append(third)
                }
            default:
                return false
            }
            index += 3
        }
        return true
    }

    /// The scalar that starts at `index` of valid UTF-8, and its length in bytes.
    static func scalar(in bytes: [UInt8], at index: Int) -> (scalar: Unicode.Scalar, length: Int) {
        let byte = bytes[index]
        let value: UInt32
        let length: Int
        if byte < 0x80 {
            return (Unicode.Scalar(byte), 1)
        } else if byte < 0xE0 {
            value = UInt32(byte & 0x1F) << 6 | UInt32(bytes[index + 1] & 0x3F)
            length = 2
        } else if byte < 0xF0 {
            value = UInt32(byte & 0x0F) << 12 | UInt32(bytes[index + 1] & 0x3F) << 6 | UInt32(bytes[index + 2] & 0x3F)
            length = 3
        } else {
            value = UInt32(byte & 0x07) << 18 | UInt32(bytes[index + 1] & 0x3F) << 12 | UInt32(bytes[index + 2] & 0x3F) << 6
                | UInt32(bytes[index + 3] & 0x3F)
            length = 4
        }
        return (Unicode.Scalar(value) ?? "\u{FFFD}", length)
    }

    static func string(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }
}
