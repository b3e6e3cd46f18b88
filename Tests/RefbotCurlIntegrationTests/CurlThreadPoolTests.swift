import Foundation
import RefbotCurl
import RefbotTransport
import Testing

@Suite("CurlThreadPool")
struct CurlThreadPoolTests {
    @Test("the pool runs closures off the cooperative pool and returns their results")
    func runs() async throws {
        let pool = CurlThreadPool(threads: 2)
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 1...8 { group.addTask { try await pool.run { n * n } } }
            return try await group.reduce(0, +)
        }
        #expect(results == 204)
        // NIO names its pool threads "TP-#n"; Swift's cooperative threads are named differently
        let name = try await pool.run { Thread.current.name ?? "" }
        #expect(name.hasPrefix("TP-#"), "ran on \(name)")
        await pool.shutdown()
    }

    @Test("calls after the pool is shut down fail with a temporary TransportError")
    func poolShutDown() async throws {
        let pool = CurlThreadPool(threads: 1)
        await pool.shutdown()
        let settings = IMAPServerSettings(url: "imaps://127.0.0.1:1/INBOX", username: "u", password: "p")
        let error = await transportError { try await IMAPMailbox(settings: settings, pool: pool).listInbox() }
        #expect(error?.isTemporary == true)
        let smtp = SMTPServerSettings(url: "smtps://127.0.0.1:1")
        let results = await CurlSMTPSubmitter(settings: smtp, pool: pool).submit([
            OutgoingMail(envelopeFrom: "", recipients: ["a@example.test"], data: [])
        ])
        guard case .failure(let failure) = results.first else {
            Issue.record("submitted through a stopped pool")
            return
        }
        #expect(failure.isTemporary)
    }
}
