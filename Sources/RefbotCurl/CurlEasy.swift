import CCurl

/// A libcurl result code (`CURLcode`) as a plain value; the other files never see `CURLcode`.
struct CurlCode: Error, Sendable, Hashable, CustomStringConvertible {
    let rawValue: UInt32

    init(_ rawValue: UInt32) { self.rawValue = rawValue }
    init(_ code: CURLcode) { self.rawValue = code.rawValue }

    static let ok = CurlCode(CURLE_OK)
    static let couldNotResolveHost = CurlCode(CURLE_COULDNT_RESOLVE_HOST)
    static let couldNotConnect = CurlCode(CURLE_COULDNT_CONNECT)
    static let weirdServerReply = CurlCode(CURLE_WEIRD_SERVER_REPLY)
    static let remoteAccessDenied = CurlCode(CURLE_REMOTE_ACCESS_DENIED)
    static let quoteError = CurlCode(CURLE_QUOTE_ERROR)
    static let writeError = CurlCode(CURLE_WRITE_ERROR)
    static let readError = CurlCode(CURLE_READ_ERROR)
    static let outOfMemory = CurlCode(CURLE_OUT_OF_MEMORY)
    static let operationTimedOut = CurlCode(CURLE_OPERATION_TIMEDOUT)
    static let sslConnectError = CurlCode(CURLE_SSL_CONNECT_ERROR)
    static let abortedByCallback = CurlCode(CURLE_ABORTED_BY_CALLBACK)
    static let gotNothing = CurlCode(CURLE_GOT_NOTHING)
    static let partialFile = CurlCode(CURLE_PARTIAL_FILE)
    static let sslEngineNotFound = CurlCode(CURLE_SSL_ENGINE_NOTFOUND)
    static let sendError = CurlCode(CURLE_SEND_ERROR)
    static let receiveError = CurlCode(CURLE_RECV_ERROR)
    static let sslCertificateProblem = CurlCode(CURLE_SSL_CERTPROBLEM)
    static let sslCipher = CurlCode(CURLE_SSL_CIPHER)
    static let peerFailedVerification = CurlCode(CURLE_PEER_FAILED_VERIFICATION)
    static let fileSizeExceeded = CurlCode(CURLE_FILESIZE_EXCEEDED)
    static let useSSLFailed = CurlCode(CURLE_USE_SSL_FAILED)
    static let loginDenied = CurlCode(CURLE_LOGIN_DENIED)
    static let sslCACertBadFile = CurlCode(CURLE_SSL_CACERT_BADFILE)
    static let remoteFileNotFound = CurlCode(CURLE_REMOTE_FILE_NOT_FOUND)
    static let sslShutdownFailed = CurlCode(CURLE_SSL_SHUTDOWN_FAILED)
    static let sslCRLBadFile = CurlCode(CURLE_SSL_CRL_BADFILE)
    static let sslIssuerError = CurlCode(CURLE_SSL_ISSUER_ERROR)
    static let authError = CurlCode(CURLE_AUTH_ERROR)
    static let sslClientCertificate = CurlCode(CURLE_SSL_CLIENTCERT)
    static let unsupportedProtocol = CurlCode(CURLE_UNSUPPORTED_PROTOCOL)
    static let urlMalformat = CurlCode(CURLE_URL_MALFORMAT)

    /// libcurl's one-line text for the code.
    var summary: String { String(cString: curl_easy_strerror(CURLcode(rawValue))) }

    var description: String { "curl \(rawValue) (\(summary))" }
}

/// What one `curl_easy_perform` did.
struct CurlTransfer: Sendable {
    /// `.ok`, or why the transfer failed.
    var code: CurlCode
    /// What libcurl wrote into the error buffer (empty if nothing).
    var errorText: String
    /// The bytes handed to the write callback: a fetched message, or the untagged lines of an IMAP command.
    var body: [UInt8]
    /// The server's response lines (libcurl hands every IMAP/SMTP response line to the header callback).
    var headers: [UInt8]
    /// The body did not fit the limit; `code` is then `.writeError`.
    var bodyOverflowed: Bool
    /// The last SMTP reply code, or IMAP's (0 when there is none).
    var responseCode: Int
    /// New connections this transfer had to open (0 when it reused one).
    var newConnections: Int

    /// The error buffer text, else libcurl's text for the code.
    var detail: String { errorText.isEmpty ? code.summary : errorText }
}

/// Collects what libcurl hands to a write or header callback, up to `limit` bytes.
private final class WriteSink {
    var bytes: [UInt8] = []
    let limit: Int
    var overflowed = false
    init(limit: Int) { self.limit = limit }
}

/// Feeds an upload to libcurl's read callback.
private final class ReadSource {
    let bytes: [UInt8]
    var offset = 0
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}

// Global non-capturing functions convert to C function pointers; the context arrives through userdata.
private func curlWriteCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?
) -> Int {
    guard let userdata else { return 0 }
    let sink = Unmanaged<WriteSink>.fromOpaque(userdata).takeUnretainedValue()
    let total = size * count
    guard total > 0, let buffer else { return total }
    if sink.bytes.count + total > sink.limit {
        sink.overflowed = true
        return 0  // != total: libcurl stops with CURLE_WRITE_ERROR
    }
    sink.bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: total))
    return total
}

private func curlReadCallback(
    _ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ userdata: UnsafeMutableRawPointer?
) -> Int {
    guard let buffer, let userdata else { return 0 }
    let source = Unmanaged<ReadSource>.fromOpaque(userdata).takeUnretainedValue()
    let n = min(size * count, source.bytes.count - source.offset)
    guard n > 0 else { return 0 }  // end of the upload
    source.bytes.withUnsafeBytes { src in
        if let base = src.baseAddress {
            UnsafeMutableRawPointer(buffer).copyMemory(from: base + source.offset, byteCount: n)
        }
    }
    source.offset += n
    return n
}

/// One libcurl easy handle. It keeps its connection between transfers, so reusing one object reuses
/// one connection (and one login).
///
/// Not `Sendable`: it is created, used and released on one thread at a time (inside a
/// ``CurlThreadPool/run(_:)`` closure, or behind a lock that such closures take).
final class CurlEasy {
    let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    private var lists: [UInt32: UnsafeMutablePointer<curl_slist>] = [:]
    /// `CURLOPT_UPLOAD` is on (left from the last transfer).
    private var uploading = false

    /// A new handle with `NOSIGNAL` set and the error buffer installed.
    init() throws(CurlCode) {
        CurlThreadPool.ensureGlobalInit()
        guard let handle = curl_easy_init() else { throw CurlCode.outOfMemory }
        self.handle = handle
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        try check(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))
        try set(CURLOPT_NOSIGNAL, 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        for list in lists.values { curl_slist_free_all(list) }
        errorBuffer.deallocate()
    }

    private func check(_ code: CURLcode) throws(CurlCode) {
        if code != CURLE_OK { throw CurlCode(code) }
    }

    /// Sets an option that takes a `long`.
    func set(_ option: CURLoption, _ value: Int) throws(CurlCode) {
        try check(ccurl_setopt_long(handle, option, value))
    }

    /// Sets a string option (libcurl copies it); nil resets it to libcurl's default.
    func set(_ option: CURLoption, _ value: String?) throws(CurlCode) {
        if let value {
            try check(ccurl_setopt_string(handle, option, value))
        } else {
            try check(ccurl_setopt_string(handle, option, nil))
        }
    }

    /// Sets a list option; the list lives until it is replaced or the handle is released.
    func set(_ option: CURLoption, list values: [String]) throws(CurlCode) {
        var head: UnsafeMutablePointer<curl_slist>? = nil
        for value in values {
            guard let newHead = curl_slist_append(head, value) else {
                curl_slist_free_all(head)
                throw CurlCode.outOfMemory
            }
            head = newHead
        }
        let result = ccurl_setopt_slist(handle, option, head)
        if let old = lists.removeValue(forKey: option.rawValue) { curl_slist_free_all(old) }
        if let head { lists[option.rawValue] = head }
        try check(result)
    }

    /// Runs one transfer; blocks until it ends (bounded by `CURLOPT_TIMEOUT`).
    ///
    /// - Parameters:
    ///   - upload: bytes to send (SMTP message); nil for none, which also turns `CURLOPT_UPLOAD` off.
    ///   - bodyLimit: the most bytes accepted through the write callback; more ends the transfer.
    ///   - headerLimit: the most bytes of response lines kept.
    func perform(upload: [UInt8]? = nil, bodyLimit: Int, headerLimit: Int = 4 << 20) -> CurlTransfer {
        let body = WriteSink(limit: bodyLimit)
        let headers = WriteSink(limit: headerLimit)
        let source = upload.map(ReadSource.init)
        errorBuffer[0] = 0
        let setup: CurlCode = withExtendedLifetime((body, headers, source)) {
            do throws(CurlCode) {
                try check(ccurl_setopt_write_function(handle, CURLOPT_WRITEFUNCTION, curlWriteCallback))
                try check(ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, Unmanaged.passUnretained(body).toOpaque()))
                try check(ccurl_setopt_write_function(handle, CURLOPT_HEADERFUNCTION, curlWriteCallback))
                try check(
                    ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, Unmanaged.passUnretained(headers).toOpaque()))
                if let source {
                    try check(ccurl_setopt_read_function(handle, curlReadCallback))
                    try check(
                        ccurl_setopt_pointer(handle, CURLOPT_READDATA, Unmanaged.passUnretained(source).toOpaque()))
                    try check(ccurl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(source.bytes.count)))
                    try set(CURLOPT_UPLOAD, 1)
                    uploading = true
                } else if uploading {
                    // only when it was on: turning it off also turns an HTTP POST back into a GET
                    try set(CURLOPT_UPLOAD, 0)
                    uploading = false
                }
                return CurlCode(curl_easy_perform(handle))
            } catch {
                return error
            }
        }
        // The sinks die with this call: make sure libcurl never sees their pointers again.
        _ = ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, nil)
        _ = ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, nil)
        _ = ccurl_setopt_pointer(handle, CURLOPT_READDATA, nil)
        var responseCode = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &responseCode)
        var connects = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_NUM_CONNECTS, &connects)
        let code = body.overflowed ? CurlCode.writeError : setup
        return CurlTransfer(
            code: code,
            errorText: code == .ok ? "" : String(cString: errorBuffer),
            body: body.bytes,
            headers: headers.bytes,
            bodyOverflowed: body.overflowed,
            responseCode: responseCode,
            newConnections: connects
        )
    }
}
