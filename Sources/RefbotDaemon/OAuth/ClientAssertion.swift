import Crypto
import Foundation
import _CryptoExtras

/// A client assertion (RFC 7523, as Microsoft Entra takes it for certificate credentials): a JWT
/// signed RS256 with the certificate's private key, naming the certificate by its thumbprints
/// (`x5t`, SHA-1, and `x5t#S256`, SHA-256, of its DER form), the app as issuer and subject, and the
/// token endpoint as audience; valid for ten minutes.
public enum ClientAssertion {
    public static let type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The signed assertion for `clientID` at `audience` (the token URL).
    public static func make(
        certificatePEM: String, privateKeyPEM: String, clientID: String, audience: String, now: Date = Date()
    ) throws -> String {
        guard let der = derOfFirstCertificate(certificatePEM) else {
            throw Failure(description: "oauth.client_certificate_file holds no PEM certificate (-----BEGIN CERTIFICATE-----)")
        }
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        } catch {
            throw Failure(description: "oauth.client_key_file holds no usable RSA private key in PEM form: \(error)")
        }
        let header: [String: String] = [
            "alg": "RS256", "typ": "JWT",
            "x5t": base64URL(Data(Insecure.SHA1.hash(data: der))),
            "x5t#S256": base64URL(Data(SHA256.hash(data: der))),
        ]
        let issued = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = [
            "aud": audience, "iss": clientID, "sub": clientID, "jti": UUID().uuidString,
            "nbf": issued, "iat": issued, "exp": issued + 600,
        ]
        let head = base64URL(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
        let body = base64URL(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let input = Data("\(head).\(body)".utf8)
        let signature = try key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        return "\(head).\(body).\(base64URL(signature.rawRepresentation))"
    }

    /// The DER bytes of the first `CERTIFICATE` block.
    static func derOfFirstCertificate(_ pem: String) -> Data? {
        guard let begin = pem.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = pem.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<pem.endIndex)
        else { return nil }
        let base64 = pem[begin.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
        return Data(base64Encoded: String(base64))
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
