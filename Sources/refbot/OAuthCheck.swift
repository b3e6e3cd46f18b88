import Foundation
import Logging
import RefbotDaemon

/// What `refbot check-config` says about `[oauth]`.
enum OAuthCheck {
    /// Logs token-command stderr and refusals during the check to standard error.
    static let logger: Logger = {
        var logger = Logger(label: "refbot.check-config") { label in StreamLogHandler.standardError(label: label) }
        logger.logLevel = .warning
        return logger
    }()

    /// Why the refresh token file will not do (nil when it will, or when none is needed).
    static func refreshTokenProblem(_ configuration: Configuration) -> String? {
        let oauth = configuration.oauth
        guard configuration.usesOAuth, oauth.tokenCommand.isEmpty, oauth.grant == "refresh_token" else { return nil }
        let path = oauth.refreshTokenFile
        guard FileManager.default.fileExists(atPath: path) else {
            return "oauth.refresh_token_file: \(path) does not exist yet; run refbot auth login to sign the mailbox in"
        }
        guard FileManager.default.isWritableFile(atPath: path),
            FileManager.default.isWritableFile(atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
        else {
            return "oauth.refresh_token_file: refbot must be able to replace \(path) (the provider may send a new refresh token); make the file and its folder writable by refbot's user"
        }
        return nil
    }

    /// An error getting a token, with what the provider's answer usually means.
    static func explain(_ error: any Error, _ configuration: Configuration) -> String {
        let text = "\(error)"
        let hints: [(String, String)] = [
            ("AADSTS7000215", "the client secret is wrong: copy the secret's Value (not its ID) into oauth.client_secret_file"),
            ("AADSTS7000222", "the client secret has expired: add a new one under Certificates & secrets"),
            ("AADSTS700016", "no app with this oauth.client_id in the tenant: check the Application (client) ID and oauth.tenant"),
            ("AADSTS90002", "no such tenant: check oauth.tenant (the Directory (tenant) ID)"),
            ("AADSTS65001", "the app lacks consent for the mail scopes: grant admin consent under API permissions"),
            ("AADSTS50173", "the refresh token was revoked (a password change?): run refbot auth login"),
            ("AADSTS70000", "the refresh token is no longer valid: run refbot auth login"),
            ("invalid_grant", "the refresh token was refused (expired or revoked): run refbot auth login"),
            ("invalid_client", "the client was refused: check oauth.client_id and oauth.client_secret_file"),
            ("unauthorized_client", "the client may not use this grant: check the app registration's platform settings"),
        ]
        if let hint = hints.first(where: { text.contains($0.0) }) { return "\(text) — \(hint.1)" }
        return text
    }
}
