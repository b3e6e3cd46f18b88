import RefbotTransport

/// A mail server URL split into what libcurl needs: `imaps://mail.example.org:993/INBOX`.
struct MailURL: Sendable, Equatable {
    /// `imap`, `imaps`, `smtp` or `smtps`, lower case.
    var scheme: String
    /// `host[:port]` as written.
    var authority: String
    /// The path after the first `/`, percent-decoded (an IMAP folder); empty when there is none.
    var path: String

    /// `scheme://authority`, the part every request URL starts with.
    var base: String { "\(scheme)://\(authority)" }

    /// Whether TLS starts at connect (`imaps`, `smtps`) rather than through STARTTLS.
    var implicitTLS: Bool { scheme.hasSuffix("s") }

    /// Parses `text`; the scheme must be one of `schemes`.
    init(_ text: String, schemes: [String], service: MailService) throws(TransportError) {
        let key = "\(service.key).url"
        guard let separator = text.firstRange(of: "://") else {
            throw .permanent(.other, "\(key) must look like \(schemes[0])://host:port, not \"\(text)\"")
        }
        let scheme = text[..<separator.lowerBound].lowercased()
        guard schemes.contains(scheme) else {
            throw .permanent(
                .other,
                "\(key) must start with \(schemes.map { "\($0)://" }.joined(separator: " or ")), not \"\(text)\"")
        }
        let rest = text[separator.upperBound...]
        let authority = rest.prefix(while: { $0 != "/" })
        guard !authority.isEmpty, !authority.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw .permanent(.other, "\(key) has no usable host: \"\(text)\"")
        }
        self.scheme = scheme
        self.authority = String(authority)
        let pathPart = rest.dropFirst(authority.count).drop(while: { $0 == "/" })
        self.path = IMAPSyntax.percentDecoded(pathPart)
    }
}
