/// One message ready for SMTP: the envelope and the bytes of the RFC 5322 message (CRLF line ends).
public struct OutgoingMail: Sendable, Equatable {
    /// The envelope sender (`MAIL FROM`), e.g. a VERP address; empty for the null sender.
    public var envelopeFrom: String
    /// The envelope recipients (`RCPT TO`).
    public var recipients: [String]
    public var data: [UInt8]
    public init(envelopeFrom: String, recipients: [String], data: [UInt8]) {
        self.envelopeFrom = envelopeFrom
        self.recipients = recipients
        self.data = data
    }
}

/// Hands messages to an SMTP server.
///
/// ```swift
/// let results = await submitter.submit(batch)          // one connection for the batch
/// for (row, result) in zip(rows, results) { … markSent / defer / fail … }
/// ```
public protocol MailSubmitter: Sendable {
    /// Submits each message in turn over one connection where possible. The results line up with
    /// `mails`: `.success` once the server has accepted the message (250 after DATA), otherwise the
    /// ``TransportError`` (temporary for 4xx and connection failures, permanent for 5xx).
    func submit(_ mails: [OutgoingMail]) async -> [Result<Void, TransportError>]
    /// Submits like ``submit(_:)`` and calls `onResult` with each message's index and result right
    /// after the server's reply to it, before the next message goes out, so the caller can record
    /// it at once (this keeps the RFC 1047 duplicate window to one message). `onResult` may run on
    /// a thread outside Swift's cooperative pool and may block briefly.
    func submit(_ mails: [OutgoingMail], onResult: @escaping @Sendable (Int, Result<Void, TransportError>) -> Void) async
    /// Connects and logs in, to prove the settings work.
    func checkLogin() async throws
    /// Ends a connection kept open between submissions (`QUIT`), if there is one; the next
    /// submission connects again.
    func close() async
}

extension MailSubmitter {
    /// Submits the batch, then reports each result in order.
    public func submit(
        _ mails: [OutgoingMail], onResult: @escaping @Sendable (Int, Result<Void, TransportError>) -> Void
    ) async {
        for (index, result) in await submit(mails).enumerated() { onResult(index, result) }
    }

    /// Nothing is kept open.
    public func close() async {}
}
