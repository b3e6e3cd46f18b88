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
    /// for it: a `DKIM-Signature:` with the selector the test stack's verifier accepts
    /// (`scripts/mailstack/authres-milter.py`). Postfix's milter then writes
    /// `Authentication-Results: mx.example.test; dkim=pass header.d=DOMAIN …; dmarc=pass header.from=DOMAIN`
    /// at the top of the header, above Postfix's own `Received:`, where refbot trusts it.
    public static func header(domain: String = "example.test") -> String {
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=\(domain); s=refbot-test; h=from:to:subject; bh=dGVzdA==; b=dGVzdA=="
    }
}
