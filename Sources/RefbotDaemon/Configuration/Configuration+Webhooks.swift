import Foundation
import RefbotCore

/// `[[webhooks]]`: where refbot POSTs its state changes as signed JSON (``WebhookSender``).
///
/// | key | type | default |
/// | --- | --- | --- |
/// | `webhooks.url` | `https://…` or `http://…`, required | |
/// | `webhooks.secret_file` | path (relative: as `imap.password_file`), required: the signing secret, at least 16 characters | |
/// | `webhooks.events` | array of event names (``WebhookCatalog``), or `["*"]` for all | `["*"]` |
/// | `webhooks.timeout_seconds` | integer ≥ 1: one POST may take this long | 10 |
/// | `webhooks.max_attempts` | integer ≥ 1: attempts before a delivery is given up on | 10 |
/// | `webhooks.min_backoff_seconds`, `webhooks.max_backoff_seconds` | integers ≥ 1: the first wait after a failure, doubled each time up to the most | 30, 3600 |
extension Configuration {
    /// One `[[webhooks]]` entry.
    public struct Webhook: Sendable, Equatable {
        /// Where events are POSTed; only ever taken from the configuration file.
        public var url = ""
        /// The file the signing secret was read from.
        public var secretFile = ""
        /// The signing secret (empty when the configuration was loaded without secrets: admin commands).
        public var secret = ""
        /// Event names, or `["*"]`.
        public var events: [String] = ["*"]
        public var timeoutSeconds = 10
        public var maxAttempts = 10
        public var minBackoffSeconds = 30
        public var maxBackoffSeconds = 3600

        public init(url: String = "", secret: String = "", events: [String] = ["*"]) {
            self.url = url
            self.secret = secret
            self.events = events
        }

        /// Whether this webhook takes `event`.
        public func subscribes(to event: MailEvent) -> Bool {
            guard WebhookCatalog.objectType(of: event) != nil else { return false }
            return events.contains("*") || events.contains(event.rawValue)
        }
    }

    /// The shortest secret accepted, in characters.
    static let minimumWebhookSecretLength = 16

    /// Reads every `[[webhooks]]` entry into `c.webhooks`.
    static func readWebhooks(_ reader: inout Reader, into c: inout Configuration) {
        c.webhooks = reader.tableArray("webhooks") { r -> Webhook? in
            var hook = Webhook()
            let url = r.string("url", required: true)
            if let url {
                let lower = url.lowercased()
                if (lower.hasPrefix("https://") && lower.count > 8) || (lower.hasPrefix("http://") && lower.count > 7),
                    Configuration.host(of: url).map({ !$0.isEmpty }) == true, !url.contains(where: { $0.isWhitespace })
                {
                    hook.url = url
                } else {
                    r.problem("url", "\"\(url)\" is not an http(s) URL", "write it as https://crm.example.org/refbot-events")
                }
            }
            if case .string(let path)? = r.table["secret_file"], !path.isEmpty {
                hook.secret = r.secret("secret_file", env: "", required: true)
                hook.secretFile = r.secretPath("secret_file", env: "")
            } else {
                _ = r.string("secret_file")
                if r.readPasswords || !r.table.isEmpty {
                    r.problem(
                        "secret_file", "is missing",
                        "point secret_file at a file holding the signing secret (e.g. made with `openssl rand -hex 32`), chmod 600")
                }
            }
            if r.readPasswords, !hook.secret.isEmpty, hook.secret.count < minimumWebhookSecretLength {
                r.problem(
                    "secret_file", "holds a secret of \(hook.secret.count) characters, too short to sign with",
                    "write at least \(minimumWebhookSecretLength) random characters into it, e.g. `openssl rand -hex 32 > \(hook.secretFile)`")
            }
            if let events = r.strings("events") {
                if events.isEmpty {
                    r.problem("events", "is empty", "list the events to post, or write [\"*\"] for all of them")
                }
                for event in events where event != "*" {
                    guard let known = MailEvent(rawValue: event), WebhookCatalog.objectType(of: known) != nil else {
                        r.problem(
                            "events", "\"\(event)\" is not an event refbot posts",
                            "use [\"*\"] or names from: \(WebhookCatalog.events.map(\.rawValue).joined(separator: ", "))")
                        continue
                    }
                }
                hook.events = events
            }
            r.integer("timeout_seconds", min: 1).map { hook.timeoutSeconds = $0 }
            r.integer("max_attempts", min: 1).map { hook.maxAttempts = $0 }
            r.integer("min_backoff_seconds", min: 1).map { hook.minBackoffSeconds = $0 }
            r.integer("max_backoff_seconds", min: 1).map { hook.maxBackoffSeconds = $0 }
            if hook.maxBackoffSeconds < hook.minBackoffSeconds {
                r.problem(
                    "max_backoff_seconds", "is \(hook.maxBackoffSeconds), less than min_backoff_seconds (\(hook.minBackoffSeconds))",
                    "use a number at least as large as min_backoff_seconds")
            }
            return url == nil || hook.url.isEmpty ? nil : hook
        }
        var seen: Set<String> = []
        for hook in c.webhooks where !seen.insert(hook.url).inserted {
            reader.problems.append(
                .init(
                    key: "webhooks.url", problem: "\(hook.url) is listed twice",
                    remedy: "keep one [[webhooks]] entry per url and list every event it takes in its events"))
        }
    }

    /// Warnings for webhooks: a secret file others may read, and plain http to another host.
    func webhookSecurityWarnings(fileMode: (String) -> Int?) -> [SecurityWarning] {
        var warnings: [SecurityWarning] = []
        for (index, hook) in webhooks.enumerated() {
            if !hook.secretFile.isEmpty, let mode = fileMode(hook.secretFile), mode & 0o077 != 0 {
                warnings.append(
                    SecurityWarning(
                        key: "webhooks[\(index + 1)].secret_file",
                        problem: "\(hook.secretFile) has mode \(String(mode & 0o777, radix: 8)): other users may read or change it",
                        remedy: "chmod 600 \(hook.secretFile) (and chown it to the user refbot runs as)"))
            }
            if hook.url.lowercased().hasPrefix("http://"), let host = Configuration.host(of: hook.url), !Configuration.isLoopback(host) {
                warnings.append(
                    SecurityWarning(
                        key: "webhooks[\(index + 1)].url",
                        problem: "is plain http to \(host): anyone on the path can read the events (they stay signed)",
                        remedy: "use an https:// URL"))
            }
        }
        return warnings
    }
}

extension Reader {
    /// Reads an array of tables (`[[name]]`): each entry through `body`, whose problems name the
    /// entry as `name[n].key`. With no entry, `body` still runs once on an empty table (its
    /// problems dropped) so that ``Configuration/knownKeys`` lists the keys.
    mutating func tableArray<T>(_ name: String, _ body: (inout TableReader) -> T?) -> [T] {
        var tables: [[String: TOMLValue]] = []
        switch root[name] {
        case .array(let items)?:
            for item in items {
                if case .table(let table) = item {
                    tables.append(table)
                } else {
                    problems.append(.init(key: name, problem: "has an entry that is not a table", remedy: "write each entry under its own [[\(name)]] line"))
                }
            }
        case nil: break
        case let other?:
            problems.append(.init(key: name, problem: "is \(other.typeName), not a list of tables", remedy: "write each entry under its own [[\(name)]] line"))
        }
        var result: [T] = []
        if tables.isEmpty {
            var reader = TableReader(name: name, table: [:], environment: [:], paths: paths, readPasswords: false)
            _ = body(&reader)
            readKeys += reader.readOrder.map { "\(name).\($0)" }
            return result
        }
        var order: [String] = []
        for (index, table) in tables.enumerated() {
            var reader = TableReader(
                name: "\(name)[\(index + 1)]", table: table, environment: environment, paths: paths, readPasswords: readPasswords)
            if let value = body(&reader) { result.append(value) }
            reader.reportUnknownKeys()
            problems += reader.problems
            for key in reader.readOrder where !order.contains(key) { order.append(key) }
        }
        readKeys += order.map { "\(name).\($0)" }
        return result
    }
}
