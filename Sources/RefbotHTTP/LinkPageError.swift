/// Why a link page cannot do what was asked, with the HTTP status it answers with. Never a 500:
/// every failure of a link is one of these, shown as a short page that says what to do next.
public enum LinkPageError: Error, Sendable, Equatable {
    /// Not a link at all (bad characters, bad length): 400.
    case malformed
    /// Altered, signed with an unknown key, or naming a tag that does not exist: 404.
    case notFound
    /// Past its expiry (or its reply address has expired): 410.
    case expired(at: Int64)
    /// Already used: 410, saying what was done and when.
    case used(word: String, ref: String?, at: Int64)
    /// The button's form was not made by this server (or the server restarted since): 400.
    case staleForm
    /// Too many requests from one client address: 429.
    case rateLimited
    /// The server could not act right now (database busy…): 503.
    case unavailable

    /// The HTTP status code.
    public var status: Int {
        switch self {
        case .malformed, .staleForm: 400
        case .notFound: 404
        case .expired, .used: 410
        case .rateLimited: 429
        case .unavailable: 503
        }
    }
}
