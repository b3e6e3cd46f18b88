import Foundation

// Mail parsing benchmark: parse + trim + command recognition over the test fixtures and a generated
// 10 000-message mix. Built and run by scripts/bench-mail (swiftc -O with the RefbotMail sources and
// RefbotCore's command parser); not a test.
//
//   mail-bench ROOT [OUT]   OUT: where the generated mix is written (OUT/mix/*.eml, for the Python side
//                           to read the same bytes) and the figures (OUT/swift-results.tsv)
//
// MAIL_BENCH_QUICK=1 runs one round of each workload over a 600-message mix, for profilers such as
// `valgrind --tool=callgrind`; its figures are not comparable with a full run.

let root = CommandLine.arguments.dropFirst().first ?? FileManager.default.currentDirectoryPath
let out = CommandLine.arguments.dropFirst(2).first.map { URL(fileURLWithPath: $0) }
let fixtures = URL(fileURLWithPath: root).appendingPathComponent("Tests/RefbotMailTests/Fixtures")

func files(under url: URL, ending suffix: String) -> [[UInt8]] {
    guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) else { return [] }
    var result: [[UInt8]] = []
    for case let file as URL in walker where file.lastPathComponent.hasSuffix(suffix) {
        if let data = try? Data(contentsOf: file) { result.append(Array(data)) }
    }
    return result
}

let corpusMessages = files(under: fixtures, ending: ".eml")
let corpusBodies = files(under: fixtures.appendingPathComponent("corpus/emails"), ending: ".txt")

/// A small deterministic generator (xorshift), so every run measures the same mix.
struct Generator {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
}

let words = ["kitchen", "remodel", "Springfield", "customer", "referral", "budget", "Grüße", "café", "merci", "спасибо",
             "よろしく", "ACCEPT", "tomorrow", "call", "estimate", "cabinet", "tile", "plumbing", "week", "thanks"]
var generator = Generator()
func sentence(_ count: Int) -> String {
    (0..<count).map { _ in generator.pick(words) }.joined(separator: " ")
}
func paragraph(_ lines: Int) -> String { (0..<lines).map { _ in sentence(10) }.joined(separator: "\n") }

let bot = EmailAddress(localPart: "referrals", domain: "example.org", displayName: "Refbot")
let member = EmailAddress(localPart: "dana", domain: "example.net", displayName: "Dana Whitfield")
let notification = "Carol Diaz was referred to you for \"Kitchen remodels\".\n\nReply ACCEPT to take this referral or REJECT with a reason."

let quick = ProcessInfo.processInfo.environment["MAIL_BENCH_QUICK"] == "1"
var mix: [[UInt8]] = []
for index in 0..<(quick ? 600 : 10_000) {
    var builder = MessageBuilder(
        from: member, to: [bot], subject: SafeHeaderValue("Re: [R-\(index)] New referral: \(sentence(4))"),
        messageID: MessageID.make(unique: "bench-\(index)", domain: "example.net"),
        date: Date(timeIntervalSince1970: 1_772_442_840 + Double(index)), text: "")
    switch index % 6 {
    case 0:  // plain ASCII reply with a quote
        builder.text = "ACCEPT\n\nOn Mon, Mar 2, 2026 at 9:14 AM Refbot <referrals@example.org> wrote:\n"
            + notification.split(separator: "\n", omittingEmptySubsequences: false).map { "> " + $0 }.joined(separator: "\n")
    case 1:  // HTML alternative
        builder.text = "REJECT " + sentence(8)
        builder.html = "<div>REJECT \(sentence(8))</div><div class=\"gmail_quote\"><blockquote>\(notification)</blockquote></div>"
    case 2:  // non-ASCII text, sent quoted-printable
        builder.text = paragraph(12) + "\n\nAm 02.03.2026 um 09:14 schrieb Refbot <referrals@example.org>:\n> " + notification
    case 3:  // attachment, base64
        builder.text = "ACCEPT " + sentence(6)
        builder.attachments = [MailAttachment(filename: "plan.pdf", contentType: "application/pdf",
                                              data: (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) })]
    case 4:  // long reply with an Outlook header block
        builder.text = paragraph(30) + "\n\n________________________________\nFrom: Refbot <referrals@example.org>\n"
            + "Sent: Monday, March 2, 2026 9:14 AM\nTo: Dana\nSubject: [R-12] New referral\n\n" + notification
    default:  // a bounce
        let dsn = """
            Return-Path: <>\r\nFrom: MAILER-DAEMON@mail.example.org\r\nTo: referrals+bounce-\(index)@example.org\r
            Subject: Undelivered Mail Returned to Sender\r
            Content-Type: multipart/report; report-type=delivery-status; boundary="b\(index)"\r\n\r
            --b\(index)\r\nContent-Type: text/plain\r\n\r\n\(paragraph(5))\r
            --b\(index)\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example.org\r\n\r
            Final-Recipient: rfc822; nobody\(index)@recipient.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r
            --b\(index)--\r\n
            """
        mix.append(Array(dsn.utf8))
        continue
    }
    mix.append(builder.build())
}

if let out, !quick {
    let folder = out.appendingPathComponent("mix")
    try? FileManager.default.removeItem(at: folder)
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (index, raw) in mix.enumerated() {
        try Data(raw).write(to: folder.appendingPathComponent(String(format: "%05d.eml", index)))
    }
}

/// The first word of the subject or of the new text, as a command word (0 when there is none).
func commandScore(subject: String, newText: String) -> Int {
    switch CommandParser.parse(subject: subject, newText: newText) {
    case .success(let command): command.word.rawValue.utf8.count
    case .failure: 0
    }
}

/// CPU seconds this process has used: on a machine shared with other work, the rate per CPU second is what
/// the code costs (both sides of the comparison with Python measure the same way).
func cpuSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func rssMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // ru_maxrss is in KiB on Linux
}

var results: [(key: String, perSecond: Double, mbPerSecond: Double)] = []

func run(_ key: String, _ name: String, _ messages: [[UInt8]], minimumSeconds: Double) {
    let bytes = messages.reduce(0) { $0 + $1.count }
    var rounds = 0
    var failures = 0
    var checksum = 0
    let cpuStart = cpuSeconds()
    repeat {
        for raw in messages {
            do {
                let message = try MessageParser.parse(raw)
                let newText = ReplyTrimmer.trim(message.textBody).newText
                checksum &+= newText.utf8.count &+ commandScore(subject: message.subject, newText: newText)
                if AutoReplySignals.reason(for: message) != nil, let report = DeliveryStatusReport.parse(message) {
                    checksum &+= report.recipients.count
                }
            } catch {
                failures += 1
            }
        }
        rounds += 1
    } while !quick && cpuSeconds() - cpuStart < minimumSeconds
    let seconds = cpuSeconds() - cpuStart
    let count = Double(messages.count * rounds)
    results.append((key, count / seconds, Double(bytes * rounds) / 1e6 / seconds))
    print(String(format: "%@: %d messages x %d rounds, %.1f MB per round: %.0f messages/s, %.1f MB/s per CPU second (errors %d, checksum %d)",
                 name, messages.count, rounds, Double(bytes) / 1e6, count / seconds,
                 Double(bytes * rounds) / 1e6 / seconds, failures / rounds, checksum))
}

func runTrim(_ key: String, _ name: String, _ bodies: [[UInt8]], minimumSeconds: Double) {
    let texts = bodies.map { String(decoding: $0, as: UTF8.self) }
    let bytes = bodies.reduce(0) { $0 + $1.count }
    var rounds = 0
    var checksum = 0
    let cpuStart = cpuSeconds()
    repeat {
        for text in texts {
            let newText = ReplyTrimmer.trim(text).newText
            checksum &+= newText.utf8.count &+ commandScore(subject: "", newText: newText)
        }
        rounds += 1
    } while !quick && cpuSeconds() - cpuStart < minimumSeconds
    let seconds = cpuSeconds() - cpuStart
    results.append((key, Double(texts.count * rounds) / seconds, Double(bytes * rounds) / 1e6 / seconds))
    print(String(format: "%@: %d bodies x %d rounds: %.0f bodies/s, %.1f MB/s per CPU second (checksum %d)", name, texts.count, rounds,
                 Double(texts.count * rounds) / seconds, Double(bytes * rounds) / 1e6 / seconds, checksum))
}

// MAIL_BENCH_DUMP=FILE writes what the pipeline reads from every input (and from variants of the reply bodies
// with other case, line ends, blanks and combining marks) to FILE, for comparing two versions of the reader.
if let dump = ProcessInfo.processInfo.environment["MAIL_BENCH_DUMP"] {
    var lines: [String] = []
    func describe(_ subject: String, _ text: String) -> String {
        let reply = ReplyTrimmer.trim(text)
        let command: String
        switch CommandParser.parse(subject: subject, newText: reply.newText) {
        case .success(let parsed): command = "\(parsed)"
        case .failure(let error): command = "error \(error)"
        }
        return "\(reply.newText.debugDescription) | \(reply.elided.debugDescription) | \(command.debugDescription)"
    }
    for raw in corpusMessages + mix {
        guard let message = try? MessageParser.parse(raw) else {
            lines.append("unparsed")
            continue
        }
        lines.append("\(message.headers.map { "\($0.name)=\($0.value)" }) \(message.subject.debugDescription) "
            + "\(message.from?.description ?? "-") \(message.parts.map { "\($0.contentType) \($0.text?.count ?? -1)" })")
        lines.append(describe(message.subject, message.textBody))
    }
    let variants: [(String) -> String] = [
        { $0 }, { $0.uppercased() }, { $0.lowercased() }, { $0.replacingOccurrences(of: "\n", with: "\r\n") },
        { $0.replacingOccurrences(of: " ", with: "\u{A0}") }, { $0.replacingOccurrences(of: "e", with: "e\u{301}") },
        { $0.replacingOccurrences(of: "o", with: "ö") }, { $0.replacingOccurrences(of: "a", with: "Å") },
        { $0.replacingOccurrences(of: "\n", with: "\n\u{3000}") }, { $0.replacingOccurrences(of: "i", with: "İ") },
        { $0.replacingOccurrences(of: "n", with: "Н") }, { $0.replacingOccurrences(of: ":", with: "：") },
        { $0.replacingOccurrences(of: "t", with: "😀") }, { $0.replacingOccurrences(of: "\n", with: " \n") },
    ]
    for body in corpusBodies {
        let text = String(decoding: body, as: UTF8.self)
        for (number, variant) in variants.enumerated() {
            let changed = variant(text)
            lines.append("\(number) " + describe(number % 2 == 0 ? "Re: [R-1] \(changed.prefix(30))" : "", changed))
        }
    }
    try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: dump))
    exit(0)
}

print("mail-bench: \(corpusMessages.count) fixture messages, \(corpusBodies.count) corpus bodies, \(mix.count) generated")
run("fixtures", "fixtures (parse+trim+command)", corpusMessages, minimumSeconds: 3)
runTrim("corpus", "reply corpus (trim+command)", corpusBodies, minimumSeconds: 3)
run("mix", "generated mix (parse+trim+command)", mix, minimumSeconds: 5)
print(String(format: "peak RSS: %.1f MiB", rssMiB()))
if let out {
    let lines = results.map { "\($0.key)\t\($0.perSecond)\t\($0.mbPerSecond)\n" }.joined()
    try Data(lines.utf8).write(to: out.appendingPathComponent("swift-results.tsv"))
}
