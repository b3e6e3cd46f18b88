import Foundation

/// Walks a MIME tree without recursion and yields its leaf parts in order.
///
/// Failure modes: a multipart without a `boundary` parameter is `malformed`; nesting deeper than
/// ``ParseLimits/maxDepth`` is `tooDeep`; more than ``ParseLimits/maxParts`` entities is `tooManyParts`.
/// Work is bounded: each level scans its own bytes once, and there are at most `maxDepth` levels.
struct MultipartWalker {
    let limits: ParseLimits

    private struct Entity {
        var headers: [HeaderField]
        var body: ArraySlice<UInt8>
        var depth: Int
        var defaultType: String
    }

    /// The leaf parts of the entity with `headers` and `body`, depth first, in document order.
    func leaves(headers: [HeaderField], body: ArraySlice<UInt8>) throws(MailParseError) -> [MessagePart] {
        var stack = [Entity(headers: headers, body: body, depth: 0, defaultType: "text/plain")]
        var leaves: [MessagePart] = []
        var entityCount = 1
        while let entity = stack.popLast() {
            let contentType = ContentType(entity.headers.first(named: "Content-Type")?.rawValue ?? "")
            let type = contentType.value.contains("/") ? contentType.value : entity.defaultType
            if type.hasPrefix("multipart/") {
                guard let boundary = contentType["boundary"], !boundary.isEmpty else {
                    throw .malformed("\(type) has no boundary parameter")
                }
                guard entity.depth < limits.maxDepth else { throw .tooDeep(limit: limits.maxDepth) }
                let bodies = MultipartWalker.split(
                    entity.body, boundary: boundary, maxParts: limits.maxParts - entityCount)
                entityCount += bodies.count
                if entityCount > limits.maxParts { throw .tooManyParts(limit: limits.maxParts) }
                let childDefault = type == "multipart/digest" ? "message/rfc822" : "text/plain"
                for partBytes in bodies.reversed() {
                    let (header, body) = HeaderSection.split(partBytes)
                    stack.append(
                        Entity(
                            headers: HeaderSection.fields(header), body: body, depth: entity.depth + 1,
                            defaultType: childDefault))
                }
                continue
            }
            leaves.append(MultipartWalker.leaf(type: type, contentType: contentType, entity.headers, entity.body))
        }
        return leaves
    }

    /// Builds a leaf part: transfer decoding, charset conversion for text, format=flowed.
    private static func leaf(
        type: String, contentType: ContentType, _ headers: [HeaderField], _ body: ArraySlice<UInt8>
    ) -> MessagePart {
        let encoding = headers.first(named: "Content-Transfer-Encoding").map { TextLines.trim($0.rawValue).lowercased() } ?? ""
        let decoded: [UInt8]
        switch encoding {
        case "base64": decoded = TransferEncoding.decodeBase64(body)
        case "quoted-printable": decoded = TransferEncoding.decodeQuotedPrintable(body)
        default: decoded = Array(body)
        }
        let disposition = headers.first(named: "Content-Disposition").map { ContentType($0.rawValue) }
        let filename = disposition?["filename"] ?? contentType["name"]
        let charset = contentType["charset"]?.lowercased()
        var text: String?
        if type.hasPrefix("text/") {
            var value = Charset.decode(decoded, charset: charset)
            value = TextLines.normalizingLineEnds(value)
            if type == "text/plain", contentType["format"]?.lowercased() == "flowed" {
                value = FormatFlowed.unflow(value, delSp: contentType["delsp"]?.lowercased() == "yes")
            }
            text = value
        }
        return MessagePart(
            contentType: type, charset: charset, filename: filename,
            disposition: disposition.flatMap { $0.value.isEmpty ? nil : $0.value }, body: decoded, text: text,
            headers: headers)
    }

    /// The bodies between `--boundary` delimiter lines; preamble and epilogue are dropped.
    ///
    /// A missing close delimiter ends the last part at the end of the input. Stops as soon as more than
    /// `maxParts` bodies are found, so the caller can report the limit.
    static func split(_ body: ArraySlice<UInt8>, boundary: String, maxParts: Int) -> [ArraySlice<UInt8>] {
        let delimiter = Array(("--" + boundary).utf8)
        var parts: [ArraySlice<UInt8>] = []
        var partStart: Int?
        var lineStart = body.startIndex
        while lineStart < body.endIndex {
            var lineEnd = lineStart
            while lineEnd < body.endIndex, body[lineEnd] != 10 { lineEnd += 1 }
            if lineEnd - lineStart >= delimiter.count, body[lineStart] == 45,
                body[lineStart..<(lineStart + delimiter.count)].elementsEqual(delimiter)
            {
                let after = lineStart + delimiter.count
                let isClose = after + 1 < body.endIndex && body[after] == 45 && body[after + 1] == 45
                // the rest of the line may only hold whitespace (RFC 2046 transport padding)
                let restStart = isClose ? after + 2 : after
                let rest = body[min(restStart, lineEnd)..<lineEnd]
                if rest.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) {
                    if let start = partStart {
                        // the line break before the delimiter belongs to the delimiter
                        var end = lineStart
                        if end > start, body[end - 1] == 10 { end -= 1 }
                        if end > start, body[end - 1] == 13 { end -= 1 }
                        parts.append(body[start..<end])
                        if parts.count > maxParts { return parts }
                    }
                    if isClose { return parts }
                    partStart = min(lineEnd + 1, body.endIndex)
                }
            }
            lineStart = lineEnd + 1
        }
        if let start = partStart, start <= body.endIndex {
            parts.append(body[start..<body.endIndex])
        }
        return parts
    }
}
