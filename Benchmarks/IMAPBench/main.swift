import Foundation
import RefbotCurl
import RefbotTransport

// Times refbot's IMAP session reading a whole inbox as the Fetcher does: one listing
// (`UID FETCH 1:* (UID RFC822.SIZE)`), then `UID FETCH a:b (UID RFC822.SIZE BODY.PEEK[])` in batches of
// at most --batch messages and 16 MB. Nothing is moved or flagged. Run by `scripts/bench fetch`.
//
//   refbot-imap-bench --url imaps://127.0.0.1:993/INBOX --user bot@example.test --password-file F \
//       [--ca-file cert.pem] [--batch 100]
//
// Prints one JSON line: {"messages": n, "bytes": b, "seconds": s, "list_seconds": l}.

func argument(_ name: String) -> String? {
    let arguments = CommandLine.arguments
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}

guard let url = argument("--url"), let user = argument("--user"), let passwordFile = argument("--password-file"),
    let password = try? String(contentsOfFile: passwordFile, encoding: .utf8)
else {
    FileHandle.standardError.write(
        Data("usage: refbot-imap-bench --url URL --user USER --password-file FILE [--ca-file PEM] [--batch N]\n".utf8))
    exit(64)
}
let batch = Int(argument("--batch") ?? "100") ?? 100
let settings = IMAPServerSettings(
    url: url, username: user, password: password.trimmingCharacters(in: .newlines), caFile: argument("--ca-file") ?? "")
let pool = CurlThreadPool(threads: 2)
let mailbox = IMAPMailbox(settings: settings, pool: pool)
do {
    let clock = ContinuousClock()
    let start = clock.now
    let listing = try await mailbox.listInbox(after: 0)
    let listed = clock.now
    var messages = 0
    var bytes = 0
    var index = 0
    while index < listing.uids.count {
        var end = index
        var size = 0
        while end < listing.uids.count, end - index < batch {
            let next = listing.sizes[listing.uids[end]] ?? 0
            if end > index, size + next > 16 << 20 { break }
            size += next
            end += 1
        }
        let fetched = try await mailbox.fetch(uids: Array(listing.uids[index..<end]))
        messages += fetched.count
        bytes += fetched.reduce(0) { $0 + $1.raw.count }
        index = end
    }
    let took = clock.now - start
    func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
    print("{\"messages\": \(messages), \"bytes\": \(bytes), \"seconds\": \(seconds(took)), \"list_seconds\": \(seconds(listed - start))}")
    await mailbox.disconnect()
    await pool.shutdown()
} catch {
    FileHandle.standardError.write(Data("refbot-imap-bench: \(error)\n".utf8))
    await pool.shutdown()
    exit(1)
}
