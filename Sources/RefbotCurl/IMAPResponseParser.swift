/// The status of a tagged or untagged status response (RFC 3501 §7.1).
public enum IMAPStatus: String, Sendable, Equatable {
    case ok = "OK"
    case no = "NO"
    case bad = "BAD"
    case preauth = "PREAUTH"
    case bye = "BYE"
}

/// A response code in brackets after the status word (`[UIDVALIDITY 3857529045]`).
public enum IMAPResponseCode: Sendable, Equatable {
    case uidValidity(UInt32)
    case uidNext(UInt32)
    case capability([String])
    /// RFC 4315: the destination folder's UIDVALIDITY, the source UIDs and the new UIDs, in order.
    case copyUID(validity: UInt32, source: [UInt32], destination: [UInt32])
    /// Any other code: its name in upper case and the rest as written.
    case other(String, String)
}

/// `OK`, `NO`, `BAD`, `PREAUTH` or `BYE` with its code and human text.
public struct IMAPStatusResponse: Sendable, Equatable {
    public var status: IMAPStatus
    public var code: IMAPResponseCode?
    public var text: String

    /// The code's name (`TRYCREATE`, `ALREADYEXISTS`, `UIDVALIDITY`, …), upper case.
    public var codeName: String? {
        switch code {
        case .uidValidity: "UIDVALIDITY"
        case .uidNext: "UIDNEXT"
        case .capability: "CAPABILITY"
        case .copyUID: "COPYUID"
        case .other(let name, _): name
        case nil: nil
        }
    }
}

/// What a `* n FETCH (…)` response carried that refbot asks for.
public struct IMAPFetchAttributes: Sendable, Equatable {
    public var uid: UInt32?
    public var size: Int?
    /// `BODY[]` (whatever section; refbot only asks for the whole message).
    public var body: [UInt8]?
    public var flags: [String]?
}

/// One untagged response (`* …`).
public enum IMAPUntagged: Sendable, Equatable {
    case status(IMAPStatusResponse)
    case capability([String])
    case exists(UInt32)
    case recent(UInt32)
    case expunge(UInt32)
    case search([UInt32])
    case fetch(sequence: UInt32, IMAPFetchAttributes)
    /// `* LIST (attributes) "delimiter" name`; the name as the server wrote it (modified UTF-7),
    /// nil when it came as a literal that is not text.
    case list(attributes: [String], delimiter: String?, name: String)
    case flags([String])
    /// Anything else, by its first word in upper case.
    case other(String)
}

/// One server response.
public enum IMAPServerResponse: Sendable, Equatable {
    case tagged(tag: String, IMAPStatusResponse)
    case untagged(IMAPUntagged)
    /// `+ text`: the server waits for a literal, a SASL answer, or is idling.
    case continuation(String)
}

/// Why the parser gave up on its input; the connection cannot be trusted after it.
public struct IMAPParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A pure, incremental IMAP response parser: bytes in, responses out.
///
/// ```swift
/// var parser = IMAPResponseParser()
/// parser.append(bytesFromTheSocket)
/// while let response = try parser.next() { … }   // nil: needs more bytes
/// ```
///
/// It frames responses by their line ends and `{n}` literals, so a response cut anywhere (even
/// inside a literal) waits for the rest without rescanning what it already framed. Any input,
/// however broken, ends in a response, nil or ``IMAPParseError``: never a crash. A line longer than
/// ``maxLineBytes`` or a literal longer than ``maxLiteralBytes`` is an error.
public struct IMAPResponseParser: Sendable {
    /// The longest line (without literals) accepted.
    public var maxLineBytes: Int
    /// The longest literal accepted.
    public var maxLiteralBytes: Int

    private var buffer: [UInt8] = []
    /// Where the response being framed starts in `buffer`.
    private var start = 0
    /// How far the response being framed has been scanned.
    private var scanned = 0
    /// The pieces of the response framed so far: text runs and literals, as ranges of `buffer`.
    private var pieces: [Piece] = []
    /// Where the current text run starts.
    private var runStart = 0

    private enum Piece: Sendable {
        case text(Range<Int>)
        case literal(Range<Int>)
    }

    public init(maxLineBytes: Int = 16 << 20, maxLiteralBytes: Int = 1 << 30) {
        self.maxLineBytes = maxLineBytes
        self.maxLiteralBytes = maxLiteralBytes
    }

    /// Bytes received and not yet handed out as responses.
    public var bufferedCount: Int { buffer.count - start }

    public mutating func append<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        buffer.append(contentsOf: bytes)
    }

    public mutating func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: bytes)
    }

    /// The next whole response, or nil when more bytes are needed.
    public mutating func next() throws(IMAPParseError) -> IMAPServerResponse? {
        guard let frame = try nextFrame() else { return nil }
        var reader = IMAPTokenReader(frame)
        return try reader.response()
    }

    /// Frames the next response: its text runs (line ends removed) and literals.
    private mutating func nextFrame() throws(IMAPParseError) -> [IMAPFramePiece]? {
        if pieces.isEmpty && scanned < start { scanned = start; runStart = start }
        while true {
            // find the end of the current line
            guard let lf = firstLF(from: scanned) else {
                if buffer.count - runStart > maxLineBytes {
                    throw IMAPParseError("a response line is longer than \(maxLineBytes) bytes")
                }
                scanned = buffer.count
                return nil
            }
            if lf - runStart > maxLineBytes {
                throw IMAPParseError("a response line is longer than \(maxLineBytes) bytes")
            }
            var lineEnd = lf
            if lineEnd > runStart && buffer[lineEnd - 1] == 13 { lineEnd -= 1 }
            if let literal = try literalSize(before: lineEnd) {
                let literalStart = lf + 1
                guard literal <= maxLiteralBytes else {
                    throw IMAPParseError("a literal of \(literal) bytes is larger than \(maxLiteralBytes)")
                }
                guard buffer.count - literalStart >= literal else {
                    // wait for the whole literal; remember where the line ended
                    scanned = lf
                    return nil
                }
                pieces.append(.text(runStart..<lineEnd))
                pieces.append(.literal(literalStart..<(literalStart + literal)))
                runStart = literalStart + literal
                scanned = runStart
                continue
            }
            pieces.append(.text(runStart..<lineEnd))
            let frame = pieces.map { piece -> IMAPFramePiece in
                switch piece {
                case .text(let range): .text(Array(buffer[range]))
                case .literal(let range): .literal(Array(buffer[range]))
                }
            }
            pieces.removeAll(keepingCapacity: true)
            start = lf + 1
            scanned = start
            runStart = start
            compact()
            return frame
        }
    }

    /// Drops handed-out bytes once they are most of the buffer.
    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
            scanned = 0
            runStart = 0
        } else if start > 64 * 1024 && start * 2 > buffer.count {
            buffer.removeFirst(start)
            scanned -= start
            runStart -= start
            start = 0
        }
    }

    private func firstLF(from index: Int) -> Int? {
        var i = index
        let count = buffer.count
        return buffer.withUnsafeBufferPointer { bytes -> Int? in
            while i < count {
                if bytes[i] == 10 { return i }
                i += 1
            }
            return nil
        }
    }

    /// `n` when the line `runStart..<end` ends with `{n}` or `{n+}`.
    private func literalSize(before end: Int) throws(IMAPParseError) -> Int? {
        guard end > runStart, buffer[end - 1] == UInt8(ascii: "}") else { return nil }
        var i = end - 2
        if i >= runStart, buffer[i] == UInt8(ascii: "+") { i -= 1 }
        var digits = 0
        var value = 0
        var scale = 1
        while i >= runStart, buffer[i] >= 48, buffer[i] <= 57 {
            digits += 1
            if digits > 12 { throw IMAPParseError("a literal size has too many digits") }
            value += Int(buffer[i] - 48) * scale
            scale *= 10
            i -= 1
        }
        guard digits > 0, i >= runStart, buffer[i] == UInt8(ascii: "{") else { return nil }
        return value
    }
}

/// A framed response: text runs without line ends, and the literals between them.
enum IMAPFramePiece: Sendable, Equatable {
    case text([UInt8])
    case literal([UInt8])
}

/// A token of a framed response.
enum IMAPToken: Sendable, Equatable {
    case atom([UInt8])
    case quoted([UInt8])
    case literal([UInt8])
    case open
    case close
    /// NIL.
    case nilValue

    /// The atom, quoted string or literal as text (lossy UTF-8).
    var text: String? {
        switch self {
        case .atom(let bytes), .quoted(let bytes), .literal(let bytes): String(decoding: bytes, as: UTF8.self)
        case .nilValue: nil
        default: nil
        }
    }

    var number: UInt32? {
        guard case .atom(let bytes) = self else { return nil }
        return IMAPTokenReader.number(bytes)
    }
}

/// Reads tokens out of a framed response.
struct IMAPTokenReader {
    private let pieces: [IMAPFramePiece]
    private var piece = 0
    private var offset = 0
    /// Nesting of parenthesised lists, bounded so hostile input cannot recurse deeply.
    static let maxDepth = 32

    init(_ pieces: [IMAPFramePiece]) { self.pieces = pieces }

    /// The bytes of the current text run from here on.
    private var rest: ArraySlice<UInt8> {
        guard piece < pieces.count, case .text(let bytes) = pieces[piece] else { return [] }
        return bytes[min(offset, bytes.count)...]
    }

    static func number(_ bytes: some Collection<UInt8>) -> UInt32? {
        guard !bytes.isEmpty, bytes.count <= 10 else { return nil }
        var value: UInt64 = 0
        for byte in bytes {
            guard byte >= 48, byte <= 57 else { return nil }
            value = value * 10 + UInt64(byte - 48)
        }
        return value <= UInt64(UInt32.max) ? UInt32(value) : nil
    }

    private mutating func skipSpaces() {
        while piece < pieces.count, case .text(let bytes) = pieces[piece], offset < bytes.count, bytes[offset] == 32 {
            offset += 1
        }
    }

    /// The next token, or nil at the end.
    mutating func token() -> IMAPToken? {
        skipSpaces()
        guard piece < pieces.count else { return nil }
        switch pieces[piece] {
        case .literal(let bytes):
            piece += 1
            offset = 0
            return .literal(bytes)
        case .text(let bytes):
            guard offset < bytes.count else {
                // the end of a run: a literal follows, or the response ends
                if piece + 1 < pieces.count, case .literal(let literal) = pieces[piece + 1] {
                    piece += 2
                    offset = 0
                    return .literal(literal)
                }
                piece = pieces.count
                return nil
            }
            let byte = bytes[offset]
            switch byte {
            case UInt8(ascii: "("):
                offset += 1
                return .open
            case UInt8(ascii: ")"):
                offset += 1
                return .close
            case UInt8(ascii: "\""):
                var value: [UInt8] = []
                var i = offset + 1
                while i < bytes.count {
                    let c = bytes[i]
                    if c == UInt8(ascii: "\\"), i + 1 < bytes.count {
                        value.append(bytes[i + 1])
                        i += 2
                        continue
                    }
                    if c == UInt8(ascii: "\"") { break }
                    value.append(c)
                    i += 1
                }
                offset = min(i + 1, bytes.count)
                return .quoted(value)
            case UInt8(ascii: "{"):
                // `{n}` at the end of a run announces the literal that follows
                if let close = bytes[offset...].firstIndex(of: UInt8(ascii: "}")), close == bytes.count - 1,
                    piece + 1 < pieces.count, case .literal(let literal) = pieces[piece + 1]
                {
                    piece += 2
                    offset = 0
                    return .literal(literal)
                }
                fallthrough
            default:
                // an atom; brackets belong to it (BODY[], BODY[HEADER.FIELDS (X)] is not asked for)
                var i = offset
                var depth = 0
                while i < bytes.count {
                    let c = bytes[i]
                    if c == UInt8(ascii: "[") { depth += 1 }
                    if c == UInt8(ascii: "]") { depth = max(0, depth - 1) }
                    if depth == 0 && (c == 32 || c == UInt8(ascii: "(") || c == UInt8(ascii: ")")) { break }
                    if depth > 0 && i - offset > 4096 { break }
                    i += 1
                }
                if i == offset { i += 1 }
                let atom = Array(bytes[offset..<i])
                offset = i
                if atom.count == 3, atom.map({ $0 | 0x20 }) == Array("nil".utf8) { return .nilValue }
                return .atom(atom)
            }
        }
    }

    /// The rest of the current text run as text (for human-readable text after a status).
    mutating func restOfLine() -> String {
        skipSpaces()
        let text = String(decoding: rest, as: UTF8.self)
        piece = pieces.count
        return text
    }

    /// A parenthesised list's tokens (the `(` already read), nested lists flattened as atoms.
    mutating func list(depth: Int = 0) throws(IMAPParseError) -> [IMAPToken] {
        guard depth < Self.maxDepth else { throw IMAPParseError("lists nested too deeply") }
        var items: [IMAPToken] = []
        while let token = token() {
            switch token {
            case .close: return items
            case .open:
                _ = try list(depth: depth + 1)
                items.append(.atom(Array("()".utf8)))
            default: items.append(token)
            }
        }
        throw IMAPParseError("a list is not closed")
    }

    // MARK: - Responses

    mutating func response() throws(IMAPParseError) -> IMAPServerResponse {
        guard let first = token() else { throw IMAPParseError("an empty response line") }
        guard case .atom(let word) = first else { throw IMAPParseError("a response starts with neither * nor + nor a tag") }
        if word == [UInt8(ascii: "+")] {
            return .continuation(restOfLine())
        }
        if word == [UInt8(ascii: "*")] {
            return .untagged(try untagged())
        }
        let tag = String(decoding: word, as: UTF8.self)
        guard let statusWord = token()?.text, let status = IMAPStatus(rawValue: statusWord.uppercased()),
            status == .ok || status == .no || status == .bad
        else {
            throw IMAPParseError("a tagged response without OK, NO or BAD")
        }
        return .tagged(tag: tag, statusResponse(status))
    }

    private mutating func statusResponse(_ status: IMAPStatus) -> IMAPStatusResponse {
        skipSpaces()
        var code: IMAPResponseCode?
        let text = rest
        if text.first == UInt8(ascii: "[") {
            if let close = text.firstIndex(of: UInt8(ascii: "]")) {
                code = Self.responseCode(text[(text.startIndex + 1)..<close])
                offset += close - text.startIndex + 1
            }
        }
        return IMAPStatusResponse(status: status, code: code, text: restOfLine())
    }

    static func responseCode(_ bytes: ArraySlice<UInt8>) -> IMAPResponseCode {
        let words = bytes.split(separator: 32)
        let name = words.first.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? ""
        let args = words.dropFirst()
        switch name {
        case "UIDVALIDITY":
            if let value = args.first.flatMap({ number($0) }) { return .uidValidity(value) }
        case "UIDNEXT":
            if let value = args.first.flatMap({ number($0) }) { return .uidNext(value) }
        case "CAPABILITY":
            return .capability(args.map { String(decoding: $0, as: UTF8.self).uppercased() })
        case "COPYUID":
            if args.count == 3, let validity = number(args[args.startIndex]),
                let source = sequenceSet(args[args.startIndex + 1]),
                let destination = sequenceSet(args[args.startIndex + 2]), source.count == destination.count
            {
                return .copyUID(validity: validity, source: source, destination: destination)
            }
        default:
            break
        }
        let rest = args.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        return .other(name, rest)
    }

    /// A UID set as COPYUID writes it (`3:5,9`), in order; nil if malformed or over 1 000 000 UIDs.
    static func sequenceSet(_ bytes: ArraySlice<UInt8>) -> [UInt32]? {
        var out: [UInt32] = []
        for part in bytes.split(separator: UInt8(ascii: ",")) {
            let bounds = part.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            switch bounds.count {
            case 1:
                guard let value = number(bounds[0]) else { return nil }
                out.append(value)
            case 2:
                guard let a = number(bounds[0]), let b = number(bounds[1]) else { return nil }
                let (low, high) = a <= b ? (a, b) : (b, a)
                guard Int(high - low) + out.count < 1_000_000 else { return nil }
                out.append(contentsOf: low...high)
            default:
                return nil
            }
        }
        return out.isEmpty ? nil : out
    }

    private mutating func untagged() throws(IMAPParseError) -> IMAPUntagged {
        guard let first = token() else { throw IMAPParseError("an untagged response without content") }
        if let number = first.number {
            guard let kind = token()?.text?.uppercased() else { return .other("") }
            switch kind {
            case "EXISTS": return .exists(number)
            case "RECENT": return .recent(number)
            case "EXPUNGE": return .expunge(number)
            case "FETCH":
                guard token() == .open else { throw IMAPParseError("FETCH without a list") }
                return .fetch(sequence: number, try fetchAttributes())
            default: return .other(kind)
            }
        }
        guard let word = first.text?.uppercased() else { throw IMAPParseError("an untagged response without a name") }
        if let status = IMAPStatus(rawValue: word) {
            return .status(statusResponse(status))
        }
        switch word {
        case "CAPABILITY":
            var names: [String] = []
            while let token = token() {
                if let name = token.text { names.append(name.uppercased()) }
            }
            return .capability(names)
        case "SEARCH":
            var uids: [UInt32] = []
            while let token = token() {
                if token == .open { _ = try list(); continue }  // (MODSEQ n)
                if let uid = token.number { uids.append(uid) }
            }
            return .search(uids)
        case "FLAGS":
            guard token() == .open else { return .flags([]) }
            return .flags(try list().compactMap(\.text))
        case "LIST", "LSUB":
            guard token() == .open else { throw IMAPParseError("LIST without attributes") }
            let attributes = try list().compactMap(\.text)
            let delimiter: String?
            switch token() {
            case .quoted(let bytes): delimiter = String(decoding: bytes, as: UTF8.self)
            case .nilValue: delimiter = nil
            default: throw IMAPParseError("LIST without a delimiter")
            }
            guard let nameToken = token(), let name = nameToken.text else {
                throw IMAPParseError("LIST without a folder name")
            }
            return .list(attributes: attributes, delimiter: delimiter, name: name)
        default:
            return .other(word)
        }
    }

    private mutating func fetchAttributes() throws(IMAPParseError) -> IMAPFetchAttributes {
        var attributes = IMAPFetchAttributes()
        while let name = token() {
            if name == .close { return attributes }
            guard case .atom(let bytes) = name else { throw IMAPParseError("a FETCH item without a name") }
            let key = String(decoding: bytes, as: UTF8.self).uppercased()
            switch key {
            case "UID":
                guard let value = token()?.number else { throw IMAPParseError("FETCH UID without a number") }
                attributes.uid = value
            case "RFC822.SIZE":
                guard let value = token()?.number else { throw IMAPParseError("FETCH RFC822.SIZE without a number") }
                attributes.size = Int(value)
            case "FLAGS":
                guard token() == .open else { throw IMAPParseError("FETCH FLAGS without a list") }
                attributes.flags = try list().compactMap(\.text)
            default:
                guard let value = token() else { throw IMAPParseError("FETCH \(key.prefix(40)) without a value") }
                switch value {
                case .open:
                    _ = try list()
                case .literal(let body), .quoted(let body):
                    if key.hasPrefix("BODY[") || key.hasPrefix("RFC822") || key.hasPrefix("BINARY[") {
                        attributes.body = body
                    }
                case .nilValue:
                    if key.hasPrefix("BODY[") { attributes.body = [] }
                case .close:
                    throw IMAPParseError("FETCH \(key.prefix(40)) without a value")
                case .atom:
                    break
                }
            }
        }
        throw IMAPParseError("a FETCH list is not closed")
    }
}
