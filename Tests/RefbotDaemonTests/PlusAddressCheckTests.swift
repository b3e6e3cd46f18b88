import Foundation
import RefbotDaemon
import RefbotTransport
import Testing

/// `refbot check-config`'s plus-address probe when the server does not take `bot+check@`: the
/// outcomes the loopback Postfix (which has `recipient_delimiter = +`) cannot produce.
@Suite("Plus-address probe outcomes")
struct PlusAddressCheckTests {
    @Test("The probe goes to bot+check@ (an existing +tag replaced), auto-generated so nothing answers it")
    func probeAddress() throws {
        #expect(PlusAddressCheck.probeAddress(bot: "referrals@example.org") == "referrals+check@example.org")
        #expect(PlusAddressCheck.probeAddress(bot: "referrals+net@example.org") == "referrals+check@example.org")
        #expect(PlusAddressCheck.probeAddress(bot: "no-domain") == nil)
        let mail = String(decoding: PlusAddressCheck.probe(
            from: "referrals@example.org", to: "referrals+check@example.org", messageID: "m@example.org", date: Date()), as: UTF8.self)
        #expect(mail.contains("Auto-Submitted: auto-generated\r\n"))
        #expect(mail.contains("To: <referrals+check@example.org>\r\n"))
    }

    @Test("A server that refuses bot+check@ at RCPT TO (550 5.1.1) is reported as refused, with its words")
    func refusedAtRCPT() async {
        let mailbox = FakeMailbox()
        let submitter = FakeSubmitter()
        submitter.refuse(with: .permanent(
            .rejected, "550 5.1.1 <referrals+check@example.org>: Recipient address rejected: User unknown", serverCode: 550))
        let outcome = await PlusAddressCheck.run(
            bot: "referrals@example.org", processedFolder: "Processed", mailbox: mailbox, submitter: submitter, timeout: 1)
        guard case .refused(let message) = outcome else {
            Issue.record("expected refused, got \(outcome)")
            return
        }
        #expect(message.contains("User unknown"))
        #expect(mailbox.count("Processed") == 0)
    }

    @Test("A server that takes bot+check@ but never delivers it to the bot (a catch-all elsewhere) is reported as missing")
    func acceptedButNeverArrives() async {
        let mailbox = FakeMailbox()
        let submitter = FakeSubmitter()
        let outcome = await PlusAddressCheck.run(
            bot: "referrals@example.org", processedFolder: "Processed", mailbox: mailbox, submitter: submitter,
            timeout: 1, pollInterval: .milliseconds(50))
        #expect(outcome == .missing(seconds: 1))
        #expect(submitter.accepted.map(\.recipients) == [["referrals+check@example.org"]], "the probe was sent once")
    }

    @Test("A temporary refusal (the server busy) does not claim plus addressing is off: the check is left undone")
    func temporaryRefusalIsUnchecked() async {
        let submitter = FakeSubmitter()
        submitter.refuse(with: .temporary(.rejected, "451 4.3.0 try again later", serverCode: 451))
        let outcome = await PlusAddressCheck.run(
            bot: "referrals@example.org", processedFolder: "Processed", mailbox: FakeMailbox(), submitter: submitter, timeout: 1)
        #expect(outcome == .unchecked("451 4.3.0 try again later"))
    }
}
