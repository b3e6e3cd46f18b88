import Foundation
import RefbotCurl
import RefbotTestSupport
import RefbotTransport
import Testing

/// Runs `body` with a fresh mail stack and a thread pool, and always stops both.
func withMailStack<T>(
    extraUsers: [String: String] = [:], _ body: (MailStack, CurlThreadPool) async throws -> T
) async throws -> T {
    try TestEnvironment.requireServers()
    let stack = try await MailStack.start(extraUsers: extraUsers)
    let pool = CurlThreadPool()
    do {
        let result = try await body(stack, pool)
        await pool.shutdown()
        await stack.stop()
        return result
    } catch {
        await pool.shutdown()
        await stack.stop()
        throw error
    }
}

/// A small RFC 5322 message with CRLF line ends.
func testMessage(
    id: String, from: String = "alice@example.test", to: String = "bot@example.test", subject: String = "Test",
    body: String = "Hello.\r\n"
) -> [UInt8] {
    Array(
        """
        From: <\(from)>\r
        To: <\(to)>\r
        Subject: \(subject)\r
        Message-ID: <\(id)>\r
        Date: Mon, 23 Nov 2026 10:00:00 +0000\r
        MIME-Version: 1.0\r
        Content-Type: text/plain; charset=utf-8\r
        Content-Transfer-Encoding: 8bit\r
        \r
        \(body)
        """.utf8)
}

/// The header lines a delivery adds in front of the sent bytes (Postfix: Received; Dovecot:
/// Return-Path, Delivered-To), or nil when `fetched` is not exactly those lines plus `sent`.
func addedHeaderNames(fetched: [UInt8], sent: [UInt8]) -> [String]? {
    guard fetched.count >= sent.count, Array(fetched.suffix(sent.count)) == sent else { return nil }
    let prefix = String(decoding: fetched.prefix(fetched.count - sent.count), as: UTF8.self)
    var names: [String] = []
    for line in prefix.split(whereSeparator: \.isNewline) {
        if line.first == " " || line.first == "\t" { continue }  // a folded continuation
        guard let colon = line.firstIndex(of: ":") else { return nil }
        names.append(String(line[..<colon]))
    }
    return names
}

/// The value of the first header field `name` in `raw`.
func headerValue(_ name: String, in raw: [UInt8]) -> String? {
    let text = String(decoding: raw, as: UTF8.self)
    for line in text.split(whereSeparator: \.isNewline) {
        if line.isEmpty { break }
        if line.lowercased().hasPrefix(name.lowercased() + ":") {
            return line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces)
        }
    }
    return nil
}

/// Polls `path` until `predicate` holds for its text or `timeout` passes; returns the last text read.
func waitForLog(
    _ path: String, timeout: Duration = .seconds(10), until predicate: (String) -> Bool
) async throws -> String {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while true {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        if predicate(text) || clock.now >= deadline { return text }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// The error a throwing call threw, as a TransportError.
func transportError(_ body: () async throws -> some Any) async -> TransportError? {
    do {
        _ = try await body()
        return nil
    } catch let error as TransportError {
        return error
    } catch {
        Issue.record("expected a TransportError, got \(error)")
        return nil
    }
}
