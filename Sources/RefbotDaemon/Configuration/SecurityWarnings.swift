import Foundation

extension Configuration {
    /// A setting that works but weakens refbot's security: said loudly by `check-config` and when
    /// the daemon starts, never refused (a test server on another host may need it).
    public struct SecurityWarning: Sendable, Equatable, CustomStringConvertible {
        /// The setting, e.g. `imap.tls_verify`, or the file's key.
        public var key: String
        public var problem: String
        public var remedy: String

        public var description: String { "\(key): \(problem); \(remedy)" }
    }

    /// Every weak transport setting towards a host that is not this machine, and every secret
    /// file that others than its owner may read or write.
    ///
    /// `fileMode` reads a file's permission bits (nil when it cannot be read); tests pass their own.
    public func securityWarnings(fileMode: (String) -> Int? = Configuration.permissionBits) -> [SecurityWarning] {
        var warnings: [SecurityWarning] = []
        for (section, url, tlsVerify, starttls, plainScheme) in [
            ("imap", imap.url, imap.tlsVerify, imap.starttls, "imap://"), ("smtp", smtp.url, smtp.tlsVerify, smtp.starttls, "smtp://"),
        ] {
            guard let host = Configuration.host(of: url), !Configuration.isLoopback(host) else { continue }
            if !tlsVerify {
                warnings.append(
                    SecurityWarning(
                        key: "\(section).tls_verify",
                        problem: "is false for \(host): anyone on the path can pose as the server and read the password and every mail",
                        remedy: "set \(section).tls_verify = true, and \(section).ca_file for a self-signed server"))
            }
            if !starttls, url.lowercased().hasPrefix(plainScheme) {
                warnings.append(
                    SecurityWarning(
                        key: "\(section).starttls",
                        problem: "is false for \(host): the password and the mail may cross the network unencrypted",
                        remedy: "set \(section).starttls = true, or use \(section == "imap" ? "imaps://" : "smtps://")"))
            }
        }
        let refreshTokenFile = usesOAuth && oauth.tokenCommand.isEmpty && oauth.grant == "refresh_token" ? oauth.refreshTokenFile : ""
        for (key, path) in [
            ("imap.password_file", imap.passwordFile), ("smtp.password_file", smtp.passwordFile), ("bot.secret_file", bot.secretFile),
            ("oauth.client_secret_file", oauth.clientSecretFile), ("oauth.refresh_token_file", refreshTokenFile),
        ]
        where !path.isEmpty {
            guard let mode = fileMode(path), mode & 0o077 != 0 else { continue }
            warnings.append(
                SecurityWarning(
                    key: key,
                    problem: "\(path) has mode \(String(mode & 0o777, radix: 8)): other users may read or change it",
                    remedy: "chmod 600 \(path) (and chown it to the user refbot runs as)"))
        }
        warnings += webhookSecurityWarnings(fileMode: fileMode)
        return warnings
    }

    /// The permission bits of the file at `path`, or nil when it does not exist.
    public static func permissionBits(_ path: String) -> Int? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Int(info.st_mode) & 0o7777
    }

    /// The host of a `scheme://host[:port]/…` URL, without brackets.
    static func host(of url: String) -> String? {
        guard let range = url.range(of: "://") else { return nil }
        var rest = url[range.upperBound...]
        if let at = rest.lastIndex(of: "@"), rest[..<at].firstIndex(of: "/") == nil { rest = rest[rest.index(after: at)...] }
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        return String(authority.prefix { $0 != ":" })
    }

    /// Whether a host is this machine: `localhost`, 127.0.0.0/8 or ::1.
    static func isLoopback(_ host: String) -> Bool {
        let lower = host.lowercased()
        return lower == "localhost" || lower.hasSuffix(".localhost") || lower.hasPrefix("127.") || lower == "::1"
    }
}
