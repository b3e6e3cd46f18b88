/// The class of an SMTP reply code (RFC 5321 §4.2.1): the first digit decides.
enum SMTPReplyClass: Sendable, Equatable {
    /// 2xx and 3xx: accepted, or go on.
    case positive
    /// 4xx: try again later.
    case transient
    /// 5xx: do not try again.
    case permanent
    /// No reply code (the connection failed before one came).
    case none

    init(code: Int) {
        switch code {
        case 200..<400: self = .positive
        case 400..<500: self = .transient
        case 500..<600: self = .permanent
        default: self = .none
        }
    }

    /// Reply codes that say the message is too big (RFC 5321 552, RFC 1870 SIZE).
    static func isSizeRefusal(_ code: Int) -> Bool { code == 552 }
}
