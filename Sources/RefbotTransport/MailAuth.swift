/// How refbot logs in to a mail server.
public enum MailAuthMechanism: String, Sendable, Equatable, CaseIterable {
    /// The username and a password (SASL PLAIN or LOGIN, whatever the server offers).
    case password
    /// Google's and Microsoft's `XOAUTH2`: the username and an OAuth2 access token.
    case xoauth2
    /// RFC 7628 `OAUTHBEARER`: the username and an OAuth2 access token.
    case oauthbearer

    /// Whether the login needs an access token rather than a password.
    public var usesToken: Bool { self != .password }
}

/// Where the transports get OAuth2 access tokens.
///
/// A transport asks for a token before it connects (`replacing: nil`). When the server refuses the
/// login it asks once more, passing the token that was refused: the source then fetches a new one
/// (unless another caller already did) and the transport tries once more, never again.
public protocol AccessTokenSource: Sendable {
    /// A token that is not known to be expired or refused; `replacing` names one the server refused.
    /// Throws a temporary ``TransportError`` (code `authentication`) when no token can be had now.
    func accessToken(replacing refused: String?) async throws(TransportError) -> String
    /// A server took `token`: a later refusal of it is a new expiry, worth a refresh again.
    func accepted(_ token: String) async
}

extension AccessTokenSource {
    /// Runs `operation` with a token; when the server refuses the login, runs it once more with a
    /// new token. A second refusal is thrown as it is.
    public func withToken<T: Sendable>(
        _ operation: (String) async throws -> T
    ) async throws -> T {
        let token = try await accessToken(replacing: nil)
        do {
            let result = try await operation(token)
            await accepted(token)
            return result
        } catch let error as TransportError where error.code == .authentication && !error.isTemporary {
            let fresh = try await accessToken(replacing: token)
            guard fresh != token else { throw error }
            let result = try await operation(fresh)
            await accepted(fresh)
            return result
        }
    }
}

/// Whether `token` can go into a SASL exchange as it is: RFC 6750's b64token characters
/// (letters, digits, `-._~+/`, then `=` padding), 1 to 16 384 of them. A token with spaces, control
/// characters or `\u{1}` would end or extend the XOAUTH2/OAUTHBEARER message.
public func isUsableAccessToken(_ token: String) -> Bool {
    let bytes = Array(token.utf8)
    guard !bytes.isEmpty, bytes.count <= 16384 else { return false }
    var seenPadding = false
    for byte in bytes {
        switch byte {
        case UInt8(ascii: "="):
            seenPadding = true
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
            if seenPadding { return false }
        default:
            return false
        }
    }
    return bytes.first != UInt8(ascii: "=")
}
