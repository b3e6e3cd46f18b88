/// libFuzzer entry point for the IMAP response parser (`Sources/RefbotCurl/IMAPResponseParser.swift`),
/// built with that one file by `scripts/fuzz-imap`. The input is read as server bytes twice: whole,
/// and cut in three at places the input's first bytes choose. Both readings must give the same
/// responses and end the same way (a parser that depended on how bytes arrive would differ), and
/// neither may crash.
@_cdecl("LLVMFuzzerTestOneInput")
public func imapFuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let whole = read([bytes[...]])
    if bytes.count >= 2 {
        let first = Int(bytes[0]) * bytes.count / 256
        let second = first + (bytes.count - first) * Int(bytes[1]) / 256
        let pieces = [bytes[..<first], bytes[first..<second], bytes[second...]]
        let cut = read(pieces)
        if cut != whole { fatalError("the parser read a cut input differently: \(whole) vs \(cut)") }
    }
    return 0
}

/// The responses, and whether reading ended in an error, feeding `pieces` one after another.
private func read(_ pieces: [ArraySlice<UInt8>]) -> [String] {
    var parser = IMAPResponseParser(maxLineBytes: 1 << 16, maxLiteralBytes: 1 << 16)
    var out: [String] = []
    for piece in pieces {
        parser.append(piece)
        do {
            while let response = try parser.next() { out.append("\(response)") }
        } catch {
            out.append("error")
            return out
        }
    }
    return out
}
