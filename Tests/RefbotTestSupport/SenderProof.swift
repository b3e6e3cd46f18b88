/// How a test mail proves its `From:` address to refbot through the receiving mail server
/// (spec §2, sender authentication path 2).
///
/// ```swift
/// try await bot.send(from: "alice@example.test", subject: "REFER L-1", body: form,
///                    extraHeaders: [SenderProof.header()])
/// ```
///
/// Use this instead of writing an `Authentication-Results` field into a test mail yourself: a field
/// the sender wrote is exactly what refbot must not trust.
public enum SenderProof {
    /// The authserv-id the test stack's receiving server writes its verdicts under; end-to-end
    /// fixtures set `auth.trusted_authserv_id` to it.
    public static let authservID = "mx.example.test"

    /// A header line to add to a test mail from `domain` that makes the receiving server vouch
    /// for it.
    public static func header(domain: String = "example.test") -> String {
        "Authentication-Results: \(authservID); dmarc=pass header.from=\(domain)"
    }
}
