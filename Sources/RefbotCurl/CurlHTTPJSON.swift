import CCurl
import RefbotTransport

/// JSON POSTs over libcurl, for webhooks.
///
/// Only `http://` and `https://` are spoken (libcurl is told so, whatever the URL says), redirects
/// are not followed (a signed event must not be replayed elsewhere), and the whole exchange is
/// bounded by `timeoutSeconds`, so a receiver that hangs costs one pool thread that long, never more.
public enum CurlHTTPJSON {
    /// POSTs `body` as `application/json` with `headers` (`Name: value` lines) and returns the answer
    /// whatever its status (up to 64 KiB of its body). Throws a temporary ``TransportError`` when
    /// the receiver cannot be reached or does not answer within `timeoutSeconds`.
    public static func post(
        _ url: String, body: String, headers: [String], pool: CurlThreadPool, timeoutSeconds: Int = 10
    ) async throws -> HTTPFormAnswer {
        let lower = url.lowercased()
        guard lower.hasPrefix("https://") || lower.hasPrefix("http://") else {
            throw TransportError.permanent(.other, "\(url) is not an http(s) URL")
        }
        return try await pool.run { () throws -> HTTPFormAnswer in
            let easy: CurlEasy
            do {
                easy = try CurlEasy()
                try easy.set(CURLOPT_URL, url)
                try easy.set(CURLOPT_PROTOCOLS_STR, "https,http")
                try easy.set(CURLOPT_FOLLOWLOCATION, 0)
                try easy.set(CURLOPT_POST, 1)
                try easy.set(CURLOPT_COPYPOSTFIELDS, body)
                try easy.set(
                    CURLOPT_HTTPHEADER,
                    list: ["Content-Type: application/json", "Accept: */*", "Expect:"] + headers)
                try easy.set(CURLOPT_USERAGENT, "refbot-webhooks")
                try easy.set(CURLOPT_CONNECTTIMEOUT, max(1, min(timeoutSeconds, 10)))
                try easy.set(CURLOPT_TIMEOUT, max(1, timeoutSeconds))
            } catch {
                throw TransportError.permanent(.other, "the webhook request cannot be set up: \(error)")
            }
            let transfer = easy.perform(bodyLimit: 64 << 10)
            // A long answer does not undo a 2xx: the event was taken.
            if transfer.bodyOverflowed, transfer.responseCode >= 200 {
                return HTTPFormAnswer(status: transfer.responseCode, body: transfer.body)
            }
            guard transfer.code == .ok else {
                if transfer.code == .operationTimedOut {
                    throw TransportError.temporary(.timeout, "\(url) did not answer within \(timeoutSeconds) s")
                }
                throw TransportError.temporary(.connection, "\(url) could not be reached: \(transfer.detail)")
            }
            return HTTPFormAnswer(status: transfer.responseCode, body: transfer.body)
        }
    }
}
