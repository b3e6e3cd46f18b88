import Foundation
import RefbotDaemon
import RefbotStore
import RefbotTestSupport
import RefbotTransport
import Synchronization
import Testing

/// A deep outbox shared out among several SMTP sessions (`smtp.max_connections`).
@Suite("Sender lanes")
struct SenderLanesTests {
    /// Outbox rows to these recipients, in this order.
    private func rows(_ recipients: [String]) -> [OutboxMessage] {
        recipients.enumerated().map { n, to in
            OutboxMessage(event: "help", ref: nil, recipients: [to], messageId: "m\(n)@example.org", raw: Data(), queuedAt: 0)
        }
    }

    @Test("a batch under two lanes' worth stays on one session; one session stays one")
    func smallBatchOneLane() {
        let few = rows((0..<(2 * Sender.mailsPerLane - 1)).map { "m\($0 % 5)@example.org" })
        #expect(Sender.lanes(for: few, count: 2) == [Array(few.indices)])
        let many = rows((0..<100).map { "m\($0 % 7)@example.org" })
        #expect(Sender.lanes(for: many, count: 1) == [Array(many.indices)])
    }

    @Test("each recipient's mail stays on one lane in queue order, and the lanes share the batch")
    func recipientsStayTogether() {
        let recipients = (0..<40).map { "member\($0 % 8)@example.org" }
        let batch = rows(recipients)
        let lanes = Sender.lanes(for: batch, count: 2)
        #expect(lanes.count == 2)
        #expect(lanes.flatMap { $0 }.sorted() == Array(batch.indices), "every row once")
        for lane in lanes { #expect(lane == lane.sorted(), "queue order within a lane") }
        for recipient in Set(recipients) {
            let holding = lanes.filter { lane in lane.contains { recipients[$0] == recipient } }
            #expect(holding.count == 1, "\(recipient) on one lane")
        }
        #expect(lanes.allSatisfy { $0.count >= 15 }, "balanced: \(lanes.map(\.count))")
        // the same address in another case is the same recipient
        let mixed = rows(["A@example.org"] + (0..<20).map { "x\($0)@example.org" } + ["a@EXAMPLE.org"])
        let mixedLanes = Sender.lanes(for: mixed, count: 2)
        #expect(mixedLanes.contains { $0.contains(0) && $0.contains(mixed.count - 1) })
    }

    @Test("lanes never outnumber the sessions, nor the batch's eighths")
    func laneCount() {
        #expect(Sender.lanes(for: rows((0..<100).map { "r\($0)@example.org" }), count: 3).count == 3)
        #expect(Sender.lanes(for: rows((0..<20).map { "r\($0)@example.org" }), count: 4).count == 2)
    }
}

/// Records which mails each session was handed, in order.
final class RecordingSubmitter: MailSubmitter {
    let handed = Mutex<[OutgoingMail]>([])
    func submit(_ mails: [OutgoingMail]) async -> [Result<Void, TransportError>] {
        handed.withLock { $0 += mails }
        return mails.map { _ in .success(()) }
    }
    func checkLogin() async throws {}
}

@Suite("Sender over two sessions", .serialized)
struct SenderTwoSessionsTests {
    @Test("a deep outbox goes out over both sessions, each member's mail in the order it was queued, all marked sent")
    func twoSessions() async throws {
        let directory = try TemporaryDirectory()
        let first = RecordingSubmitter()
        let second = RecordingSubmitter()
        let daemon = try await buildDaemon(
            testConfiguration(in: directory), environment: [:], logger: LogCapture().logger,
            clock: ManualClock().daemonClock, mailbox: FakeMailbox(), submitter: first, extraSubmitters: [second])
        let recipients = (0..<40).map { "member\($0 % 8)@example.org" }
        try await daemon.store.write { db in
            for (n, to) in recipients.enumerated() {
                let raw = Data("Message-ID: <queued-\(n)@example.org>\r\n\r\nHello.\r\n".utf8)
                let row = OutboxMessage(
                    event: "help", ref: nil, recipients: [to], messageId: "queued-\(n)@example.org", raw: raw, queuedAt: 0)
                _ = try Outbox.enqueue(row, envelopeFrom: { "bot+bounce-\($0)@example.org" }, in: db)
            }
        }
        #expect(try await daemon.sender.runOnce() == 40)
        let handed = [first.handed.withLock { $0 }, second.handed.withLock { $0 }]
        #expect(handed.allSatisfy { !$0.isEmpty }, "both sessions used: \(handed.map(\.count))")
        #expect(handed.map(\.count).reduce(0, +) == 40)
        func number(_ mail: OutgoingMail) -> Int {
            let text = String(decoding: mail.data, as: UTF8.self)
            return Int(text.split(separator: "-")[1].split(separator: "@")[0]) ?? -1
        }
        for recipient in Set(recipients) {
            let sessions = handed.filter { $0.contains { $0.recipients == [recipient] } }
            #expect(sessions.count == 1, "\(recipient) on one session")
            let order = sessions.first?.filter { $0.recipients == [recipient] }.map(number) ?? []
            #expect(order == order.sorted() && order.count == 5, "\(recipient): \(order)")
        }
        let pending = try await daemon.store.read { db in try Outbox.depth(in: db) }
        #expect(pending == 0)
    }
}
