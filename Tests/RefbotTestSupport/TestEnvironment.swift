import Foundation
import Glibc

/// Whether tests that need the real mail servers can run here.
///
/// ```swift
/// @Suite(.enabled(if: TestEnvironment.serversAvailable || TestEnvironment.isCI))
/// struct SomeIntegrationTests {
///     @Test func roundTrip() async throws {
///         try TestEnvironment.requireServers()      // in CI, a missing server fails the test
///         let stack = try await MailStack.start()
///         …
///     }
/// }
/// ```
public enum TestEnvironment {
    /// `CI` is set to `true` (or `1`): missing servers must fail the run instead of skipping it.
    public static var isCI: Bool {
        let value = ProcessInfo.processInfo.environment["CI"]?.lowercased() ?? ""
        return value == "true" || value == "1"
    }

    /// Dovecot and Postfix are installed and this process runs as root (the stack switches users).
    public static var serversAvailable: Bool { MailStack.serversInstalled && getuid() == 0 }

    /// Throws, saying what is missing, unless ``serversAvailable``.
    public static func requireServers() throws {
        if !MailStack.serversInstalled {
            throw MailStackError(
                "the mail test stack needs dovecot and postfix: "
                    + "apt-get install dovecot-imapd dovecot-lmtpd postfix (CI=\(isCI))")
        }
        if getuid() != 0 {
            throw MailStackError("the mail test stack must run as root (Dovecot and Postfix switch users)")
        }
    }
}
