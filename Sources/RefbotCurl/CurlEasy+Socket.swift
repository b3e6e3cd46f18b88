import CCurl
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How sending or reading on a `CURLOPT_CONNECT_ONLY` connection ended.
enum CurlSocketOutcome: Equatable {
    case done
    /// The socket stayed full (sending) past the timeout.
    case timedOut
    /// libcurl's error, or the server closed the connection.
    case broken(String)
}

extension CurlEasy {
    /// Sends all of `bytes` on the connection libcurl opened (IMAP and SMTP sessions of refbot's own),
    /// waiting up to `timeoutMilliseconds` whenever the socket is full.
    func sendAll(_ bytes: [UInt8], socket: Int32, timeoutMilliseconds: Int32) -> CurlSocketOutcome {
        var offset = 0
        while offset < bytes.count {
            var sent = 0
            let code = bytes.withUnsafeBytes { raw in
                curl_easy_send(handle, raw.baseAddress! + offset, raw.count - offset, &sent)
            }
            if code == CURLE_OK {
                offset += sent
                continue
            }
            if code == CURLE_AGAIN {
                var fds = [pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)]
                var ready: Int32
                repeat { ready = poll(&fds, 1, timeoutMilliseconds) } while ready < 0 && errno == EINTR
                if ready < 0 { return .broken("poll failed: errno \(errno)") }
                if ready == 0 { return .timedOut }
                continue
            }
            return .broken(CurlCode(code).summary)
        }
        return .done
    }

    /// Reads what is there (after a poll said readable) into `buffer`, handing each piece to
    /// `consume`, until libcurl says again (TLS may hold more than the socket shows) or `limit` bytes
    /// were read. A server that closed the connection before anything came is `.broken`.
    func receiveAvailable(
        into buffer: inout [UInt8], limit: Int, consume: (UnsafeRawBufferPointer) -> Void
    ) -> CurlSocketOutcome {
        var total = 0
        while true {
            var got = 0
            let code = buffer.withUnsafeMutableBytes { raw in curl_easy_recv(handle, raw.baseAddress!, raw.count, &got) }
            if code == CURLE_AGAIN { return .done }
            guard code == CURLE_OK else { return .broken(CurlCode(code).summary) }
            if got == 0 { return total > 0 ? .done : .broken("the server closed the connection") }
            total += got
            buffer.withUnsafeBytes { raw in consume(UnsafeRawBufferPointer(rebasing: raw[0..<got])) }
            if total >= limit { return .done }
        }
    }
}
