import CCurl
import RefbotTransport

/// An HTTP answer: the status and up to 1 MiB of its body.
public struct HTTPFormAnswer: Sendable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// HTTPS form POSTs over libcurl, for OAuth2 token endpoints (RFC 6749 §3.2, RFC 8628 §3.1).
///
/// Only `https://`, and `http://` to a loopback address, are accepted; redirects are not followed
/// (a token request must not be replayed elsewhere). Bodies over 1 MiB are refused.
public enum CurlHTTPForm {
    /// POSTs `fields` form-encoded to `url` and returns the answer, whatever its status.
    /// Throws a temporary ``TransportError`` when the server cannot be reached or does not answer.
    public static func post(
        _ url: String, fields: [(String, String)], pool: CurlThreadPool, caFile: String = "",
        timeoutSeconds: Int = 30
    ) async throws -> HTTPFormAnswer {
        guard isAllowedURL(url) else {
            throw TransportError.permanent(
                .other, "\(url) is not an https:// URL (plain http:// is accepted for 127.0.0.1 and localhost only)")
        }
        let body = formEncoded(fields)
        return try await pool.run { () throws -> HTTPFormAnswer in
            let easy: CurlEasy
            do {
                easy = try CurlEasy()
                try easy.set(CURLOPT_URL, url)
                try easy.set(CURLOPT_PROTOCOLS_STR, "https,http")
                try easy.set(CURLOPT_FOLLOWLOCATION, 0)
                try easy.set(CURLOPT_COPYPOSTFIELDS, body)
                try easy.set(
                    CURLOPT_HTTPHEADER,
                    list: ["Content-Type: application/x-www-form-urlencoded", "Accept: application/json"])
                if !caFile.isEmpty { try easy.set(CURLOPT_CAINFO, caFile) }
                try easy.set(CURLOPT_CONNECTTIMEOUT, max(1, min(timeoutSeconds, 15)))
                try easy.set(CURLOPT_TIMEOUT, max(1, timeoutSeconds))
            } catch {
                throw TransportError.permanent(.other, "the token request cannot be set up: \(error)")
            }
            let transfer = easy.perform(bodyLimit: 1 << 20)
            guard transfer.code == .ok else {
                if transfer.bodyOverflowed {
                    throw TransportError.temporary(.protocolError, "\(url) answered with more than 1 MiB")
                }
                throw TransportError.temporary(.connection, "\(url) could not be reached: \(transfer.detail)")
            }
            return HTTPFormAnswer(status: transfer.responseCode, body: transfer.body)
        }
    }

    /// `application/x-www-form-urlencoded`: unreserved characters as they are, everything else %XX.
    public static func formEncoded(_ fields: [(String, String)]) -> String {
        fields.map { "\(percentEncoded($0.0))=\(percentEncoded($0.1))" }.joined(separator: "&")
    }

    static func percentEncoded(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".unicodeScalars)
                out.unicodeScalars.append("%")
                out.unicodeScalars.append(hex[Int(byte >> 4)])
                out.unicodeScalars.append(hex[Int(byte & 0xF)])
            }
        }
        return out
    }

    /// `https://…`, or `http://` to 127.0.0.1, `[::1]` or localhost.
    public static func isAllowedURL(_ url: String) -> Bool {
        let lower = url.lowercased()
        if lower.hasPrefix("https://") { return lower.count > 8 }
        for host in ["http://127.0.0.1:", "http://127.0.0.1/", "http://localhost:", "http://localhost/", "http://[::1]:", "http://[::1]/"]
        where lower.hasPrefix(host) {
            return true
        }
        return false
    }
}
