import Foundation
import RefbotHTTP
import RefbotCore
import RefbotTransport

/// Reading the configuration file.
///
/// Every key, its type and default (spec §8):
///
/// | key | type | default |
/// | --- | --- | --- |
/// | `bot.address` | email, required | |
/// | `bot.name` | string | `"Referral Network"` |
/// | `bot.base_url` | http(s) URL | `"http://127.0.0.1:8080"` |
/// | `bot.admins` | array of emails | `[]` |
/// | `bot.database` | path | `/var/lib/refbot/refbot.sqlite` (relative: see ``ServicePaths``) |
/// | `bot.templates` | path | `/usr/share/refbot/mail-templates` |
/// | `bot.secret_file` | path | `/var/lib/refbot/secret` (relative: as `bot.database`) |
/// | `imap.url` | `imaps://host[:port]/FOLDER` or `imap://…`, required | |
/// | `imap.username` | string, required | |
/// | `imap.password_file` | path (relative: to `$CREDENTIALS_DIRECTORY`, else the config file's folder), or env `REFBOT_IMAP_PASSWORD` | |
/// | `imap.poll_seconds` | integer ≥ 1 | 30 |
/// | `imap.processed_folder` / `imap.quarantine_folder` | string | `Processed` / `Quarantine` |
/// | `imap.ca_file` | path | `""` |
/// | `imap.tls_verify` / `imap.starttls` | boolean | true / true |
/// | `smtp.url` | `smtps://host[:port]` or `smtp://host[:port]`, required | |
/// | `smtp.username` | string (empty: no AUTH) | `""` |
/// | `smtp.password_file` | path, or env `REFBOT_SMTP_PASSWORD` | |
/// | `smtp.give_up_hours` | integer ≥ 1 | 48 |
/// | `smtp.ca_file`, `smtp.tls_verify`, `smtp.starttls`, `smtp.helo_name` | | `""`, true, true, domain of bot.address |
/// | `smtp.min_backoff_seconds`, `smtp.max_backoff_seconds` | integers ≥ 1 | 300, 3600 |
/// | `smtp.max_per_minute`, `smtp.max_per_day` | integers ≥ 0 (0: no limit) | 0, 0 |
/// | `smtp.max_connections` | integer 1–8: SMTP sessions open at once for a deep outbox | 2 |
/// | `imap.also_poll` | list of folder names read like the inbox (e.g. `["Junk"]`) | `[]` |
/// | `http.listen` | `host:port` | `127.0.0.1:8080` |
/// | `http.trusted_proxies` | array of CIDRs or addresses whose `X-Forwarded-For` counts | `[]` |
/// | `http.metrics_listen` | `host:port` of the `/metrics` listener, `""` = off | `127.0.0.1:9464` |
/// | `auth.trusted_authserv_id` | string | `""` |
/// | `network.*` | see spec §8 | |
/// | `network.digest_days` | integer ≥ 0: days between digests, 0 = off | 0 |
/// | `network.payout_report_threshold` | integer ≥ 1, whole units of `network.currency`: payees paid this much in a year are flagged | 600 |
/// | `network.recognition_top` | integer 0…50: members named in each list of the monthly recognition mail; 0 = no mail | 5 |
/// | `links.expiry_days` | integer ≥ 1 | 14 |
/// | `health.max_poll_age_seconds` | integer ≥ 1 | 600 |
/// | `mail.bounce_limit`, `mail.error_replies_per_hour`, `mail.max_message_bytes` | integers | 3, 5, 10 MiB |
/// | `mail.retention_days` | integer, 0 keeps raw mail | 30 |
/// | `mail.announcement_rate_per_minute` | integer ≥ 1 | 60 |
/// | `mail.replies_per_address_per_hour` | integer ≥ 1: answers to one unproven address (case and `+` variants count as one) | 5 |
/// | `mail.unproven_replies_per_hour` | integer ≥ 1: answers to all unproven addresses together | 200 |
/// | `mail.admin_notices_per_hour` | integer ≥ 0: admin notices mailed one by one; the rest go in one summary | 10 |
/// | `mail.bounce_reset_days` | integer ≥ 0: days without a bounce after which a member's count is 0 again; 0 = never | 30 |
/// | `bot.provider` | `microsoft365`, `google`, `fastmail` or `""`: a ``ProviderPreset`` fills the keys left out | `""` |
/// | `imap.auth`, `smtp.auth` | `password`, `xoauth2`, `oauthbearer` | `password` (the preset's) |
/// | `oauth.grant` | `refresh_token` or `client_credentials` | `refresh_token` |
/// | `oauth.token_url`, `oauth.device_code_url`, `oauth.authorize_url`, `oauth.scope` | https URLs, scopes | the preset's |
/// | `oauth.client_id`, `oauth.tenant` | strings | `""` |
/// | `oauth.client_secret_file` | path, or env `REFBOT_OAUTH_CLIENT_SECRET`; empty for public clients | `""` |
/// | `oauth.refresh_token_file` | path (relative: to `$STATE_DIRECTORY`) | `/var/lib/refbot/oauth-refresh-token` |
/// | `oauth.token_command` | `["/abs/program", "arg", …]`, run without a shell, prints an access token | `[]` |
/// | `oauth.token_command_timeout_seconds` | integer ≥ 1 | 20 |
/// | `oauth.client_certificate_file`, `oauth.client_key_file` | PEM paths (relative: to `$CREDENTIALS_DIRECTORY`), both or neither | `""` |
/// | `compliance.rules_file` | path of a compliance rules file (relative: beside the configuration file); `""` = the rules built into refbot | `""` |
/// | `webhooks.*` | `[[webhooks]]` entries: see ``Configuration/Webhook`` | none |
extension Configuration {
    /// Reads and checks the file at `path`; throws a ``ConfigError`` listing every problem found.
    /// Relative paths in it resolve as ``ServicePaths`` says. With `readPasswords` false (admin
    /// commands, which never log in) the password files are named but not read.
    public static func load(
        path: String, environment: [String: String] = ProcessInfo.processInfo.environment, readPasswords: Bool = true
    ) throws(ConfigError) -> Configuration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(problems: [
                .init(key: path, problem: "cannot read the configuration file", remedy: "check the path and its permissions")
            ])
        }
        return try parse(
            text, file: path, environment: environment, paths: ServicePaths(configFile: path, environment: environment),
            readPasswords: readPasswords)
    }

    /// Reads and checks configuration text. Without `paths`, relative paths resolve only against
    /// `$STATE_DIRECTORY` and `$CREDENTIALS_DIRECTORY`.
    public static func parse(
        _ text: String, file: String = "config", environment: [String: String] = [:], paths: ServicePaths? = nil,
        readPasswords: Bool = true
    ) throws(ConfigError) -> Configuration {
        let root: [String: TOMLValue]
        do {
            root = try TOMLParser.parse(text)
        } catch {
            throw ConfigError(problems: [.init(key: file, problem: "\(error)", remedy: "fix the TOML syntax")])
        }
        var reader = Reader(
            root: root, environment: environment, paths: paths ?? ServicePaths(configFile: nil, environment: environment),
            readPasswords: readPasswords)
        let c = read(&reader)
        guard reader.problems.isEmpty else { throw ConfigError(problems: reader.problems) }
        return c
    }

    /// Every key the parser reads, as `table.key`, in the order it reads them: the one list of
    /// settings that `systemd/refbot.toml.example` and the README are checked against.
    public static var knownKeys: [String] {
        var reader = Reader(root: [:], environment: [:], paths: ServicePaths(), readPasswords: false)
        _ = read(&reader)
        return reader.readKeys
    }

    /// Reads every table through `reader`, which collects the problems.
    private static func read(_ reader: inout Reader) -> Configuration {
        var c = Configuration()
        c.paths = reader.paths
        // Without bot.database or bot.secret_file, the service's state directory holds them.
        if reader.paths.stateDirectory != nil {
            c.bot.database = reader.paths.state("refbot.sqlite")
            c.bot.secretFile = reader.paths.state("secret")
            c.oauth.refreshTokenFile = reader.paths.state("oauth-refresh-token")
        }
        var preset: ProviderPreset?

        reader.table("bot") { r in
            c.bot.address = r.email("address", required: true) ?? ""
            r.string("name").map { c.bot.name = $0 }
            if let url = r.string("base_url") {
                if url.hasPrefix("http://") || url.hasPrefix("https://") {
                    c.bot.baseURL = url.hasSuffix("/") ? String(url.dropLast()) : url
                } else {
                    r.problem("base_url", "\"\(url)\" is not an http(s) URL", "write it as https://refer.example.org")
                }
            }
            c.bot.admins = r.emails("admins") ?? []
            r.string("database").map { c.bot.database = r.statePath($0) }
            r.string("templates").map { c.bot.templates = $0 }
            r.string("secret_file").map { c.bot.secretFile = r.statePath($0) }
            preset = Configuration.readProvider(&r)
            c.bot.provider = preset?.name ?? ""
        }
        reader.table("imap") { r in
            c.imap.auth = Configuration.readAuth(&r, default: preset?.auth ?? .password)
            if preset != nil, r.string("url") == nil { c.imap.url = preset?.imapURL ?? "" }
            if c.imap.url.isEmpty, let url = r.string("url", required: true) {
                if url.hasPrefix("imaps://") || url.hasPrefix("imap://") {
                    c.imap.url = url
                } else {
                    r.problem("url", "\"\(url)\" is not an IMAP URL", "write imaps://mail.example.org/INBOX")
                }
            }
            c.imap.username = r.string("username", required: true) ?? ""
            c.imap.password = r.secret("password_file", env: "REFBOT_IMAP_PASSWORD", required: !c.imap.auth.usesToken)
            c.imap.passwordFile = r.secretPath("password_file", env: "REFBOT_IMAP_PASSWORD")
            r.integer("poll_seconds", min: 1).map { c.imap.pollSeconds = $0 }
            r.string("processed_folder").map { c.imap.processedFolder = $0 }
            r.string("quarantine_folder").map { c.imap.quarantineFolder = $0 }
            r.string("ca_file").map { c.imap.caFile = r.existingFile($0, key: "ca_file") }
            r.bool("tls_verify").map { c.imap.tlsVerify = $0 }
            r.bool("starttls").map { c.imap.starttls = $0 }
            if c.imap.processedFolder == c.imap.quarantineFolder {
                r.problem("quarantine_folder", "is the same folder as processed_folder", "give the two folders different names")
            }
            if let folders = r.strings("also_poll") {
                for folder in folders where folder.isEmpty || folder.contains(where: { $0.isNewline || $0 == "\"" }) {
                    r.problem("also_poll", "has the folder name \"\(folder)\"", "write folder names as the server lists them, such as \"Junk\"")
                }
                for folder in folders where folder == c.imap.processedFolder || folder == c.imap.quarantineFolder {
                    r.problem(
                        "also_poll", "lists \"\(folder)\", the folder refbot files mail into",
                        "list only folders mail arrives in, such as the provider's junk folder")
                }
                c.imap.alsoPoll = folders.filter { !$0.isEmpty }
            }
            c.imap.processedFolderIsSet = r.string("processed_folder") != nil
        }
        reader.table("smtp") { r in
            c.smtp.auth = Configuration.readAuth(&r, default: preset?.auth ?? .password)
            if preset != nil, r.string("url") == nil { c.smtp.url = preset?.smtpURL ?? "" }
            if c.smtp.url.isEmpty, let url = r.string("url", required: true) {
                if url.hasPrefix("smtps://") || url.hasPrefix("smtp://") {
                    c.smtp.url = url
                } else {
                    r.problem("url", "\"\(url)\" is not an SMTP URL", "write smtps://mail.example.org or smtp://mail.example.org:587")
                }
            }
            c.smtp.username = r.string("username") ?? (preset != nil ? c.imap.username : "")
            c.smtp.password = r.secret(
                "password_file", env: "REFBOT_SMTP_PASSWORD", required: !c.smtp.username.isEmpty && !c.smtp.auth.usesToken)
            c.smtp.passwordFile = r.secretPath("password_file", env: "REFBOT_SMTP_PASSWORD")
            r.integer("give_up_hours", min: 1).map { c.smtp.giveUpHours = $0 }
            r.string("ca_file").map { c.smtp.caFile = r.existingFile($0, key: "ca_file") }
            r.bool("tls_verify").map { c.smtp.tlsVerify = $0 }
            r.bool("starttls").map { c.smtp.starttls = $0 }
            r.string("helo_name").map { c.smtp.heloName = $0 }
            r.integer("min_backoff_seconds", min: 1).map { c.smtp.minBackoffSeconds = $0 }
            r.integer("max_backoff_seconds", min: 1).map { c.smtp.maxBackoffSeconds = $0 }
            // the provider's published limits, unless the file sets its own
            c.smtp.maxPerMinute = preset?.maxPerMinute ?? 0
            c.smtp.maxPerDay = preset?.maxPerDay ?? 0
            r.integer("max_per_minute", min: 0).map { c.smtp.maxPerMinute = $0 }
            r.integer("max_per_day", min: 0).map { c.smtp.maxPerDay = $0 }
            if let connections = r.integer("max_connections", min: 1) {
                if connections > Configuration.SMTP.connectionsLimit {
                    r.problem(
                        "max_connections", "is \(connections); refbot opens at most \(Configuration.SMTP.connectionsLimit)",
                        "use a number from 1 to \(Configuration.SMTP.connectionsLimit) (most providers allow 2 or 3 at once)")
                } else {
                    c.smtp.maxConnections = connections
                }
            }
            if c.smtp.maxPerDay > 0, c.smtp.maxPerMinute > c.smtp.maxPerDay {
                r.problem(
                    "max_per_minute", "is \(c.smtp.maxPerMinute), more than max_per_day (\(c.smtp.maxPerDay))",
                    "use a number no larger than max_per_day, or 0 for no limit a minute")
            }
        }
        reader.table("http") { r in
            if let listen = r.string("listen") {
                let parts = listen.split(separator: ":")
                if parts.count >= 2, let port = Int(parts.last ?? ""), (0...65535).contains(port) {
                    c.http.listen = listen
                } else {
                    r.problem("listen", "\"\(listen)\" is not host:port", "write 127.0.0.1:8080")
                }
            }
            if let proxies = r.strings("trusted_proxies") {
                do throws(TrustedProxies.InvalidNetwork) {
                    _ = try TrustedProxies(proxies)
                    c.http.trustedProxies = proxies
                } catch {
                    r.problem(
                        "trusted_proxies", "\"\(error.entry)\" is not an address or CIDR",
                        "list your proxies' networks, as [\"127.0.0.1/32\", \"::1/128\"]")
                }
            }
            if let listen = r.string("metrics_listen") {
                let parts = listen.split(separator: ":")
                if listen.isEmpty || (parts.count >= 2 && Int(parts.last ?? "").map { (0...65535).contains($0) } == true) {
                    c.http.metricsListen = listen
                } else {
                    r.problem("metrics_listen", "\"\(listen)\" is not host:port", "write 127.0.0.1:9464, or \"\" for no metrics listener")
                }
            }
        }
        reader.table("auth") { r in
            r.string("trusted_authserv_id").map { c.auth.trustedAuthservID = $0 }
        }
        reader.table("network") { r in
            r.integer("starting_credits", min: 0).map { c.network.startingCredits = $0 }
            r.integer("points_per_credit", min: 1).map { c.network.pointsPerCredit = $0 }
            if let currency = r.string("currency") {
                if currency.count == 3, currency.allSatisfy({ $0.isLetter && $0.isASCII }) {
                    c.network.currency = currency.uppercased()
                } else {
                    r.problem("currency", "\"\(currency)\" is not a currency code", "use a three-letter ISO 4217 code such as USD or EUR")
                }
            }
            r.integer("referral_expiry_days", min: 1).map { c.network.referralExpiryDays = $0 }
            r.integer("stale_after_days", min: 1).map { c.network.staleAfterDays = $0 }
            r.bool("auto_approve_listings").map { c.network.autoApproveListings = $0 }
            if let consent = r.string("customer_consent") {
                if consent == "referrer" || consent == "ask" {
                    c.network.customerConsent = consent
                } else {
                    r.problem("customer_consent", "\"\(consent)\" is not a consent mode", "use \"referrer\" or \"ask\"")
                }
            }
            r.integer("max_referrals_per_day", min: 1).map { c.network.maxReferralsPerDay = $0 }
            r.integer("max_connect_requests_per_day", min: 1).map { c.network.maxConnectRequestsPerDay = $0 }
            r.integer("digest_days", min: 0).map { c.network.digestDays = $0 }
            r.integer("payout_report_threshold", min: 1).map { c.network.payoutReportThreshold = $0 }
            Configuration.readRecognition(&r, into: &c)
        }
        reader.table("links") { r in r.integer("expiry_days", min: 1).map { c.links.expiryDays = $0 } }
        reader.table("health") { r in r.integer("max_poll_age_seconds", min: 1).map { c.health.maxPollAgeSeconds = $0 } }
        reader.table("mail") { r in
            r.integer("bounce_limit", min: 1).map { c.mail.bounceLimit = $0 }
            r.integer("error_replies_per_hour", min: 0).map { c.mail.errorRepliesPerHour = $0 }
            r.integer("max_message_bytes", min: 1024).map { c.mail.maxMessageBytes = $0 }
            r.integer("announcement_rate_per_minute", min: 1).map { c.mail.announcementRatePerMinute = $0 }
            r.integer("retention_days", min: 0).map { c.mail.retentionDays = $0 }
            r.integer("replies_per_address_per_hour", min: 1).map { c.mail.repliesPerAddressPerHour = $0 }
            r.integer("unproven_replies_per_hour", min: 1).map { c.mail.unprovenRepliesPerHour = $0 }
            r.integer("admin_notices_per_hour", min: 0).map { c.mail.adminNoticesPerHour = $0 }
            r.integer("bounce_reset_days", min: 0).map { c.mail.bounceResetDays = $0 }
        }
        reader.table("oauth") { r in Configuration.readOAuth(&r, into: &c, preset: preset) }
        reader.table("compliance") { r in Configuration.readCompliance(&r, into: &c) }
        Configuration.readWebhooks(&reader, into: &c)
        reader.unknownTables(known: ["bot", "imap", "smtp", "http", "auth", "network", "links", "health", "mail", "oauth", "compliance", "webhooks"])

        if c.bot.admins.contains(where: { Member.sameEmail($0, c.bot.address) }) {
            reader.problems.append(
                .init(key: "bot.admins", problem: "lists refbot's own address", remedy: "name the people who run the network"))
        }
        return c
    }
}

/// Walks the TOML tables, collecting every problem instead of stopping at the first.
struct Reader {
    let root: [String: TOMLValue]
    let environment: [String: String]
    let paths: ServicePaths
    let readPasswords: Bool
    var problems: [ConfigError.Problem] = []
    /// Every `table.key` read, in order.
    var readKeys: [String] = []

    init(root: [String: TOMLValue], environment: [String: String], paths: ServicePaths, readPasswords: Bool) {
        self.root = root
        self.environment = environment
        self.paths = paths
        self.readPasswords = readPasswords
    }

    mutating func table(_ name: String, _ body: (inout TableReader) -> Void) {
        var table: [String: TOMLValue] = [:]
        switch root[name] {
        case .table(let t)?: table = t
        case nil: break
        case let other?:
            problems.append(.init(key: name, problem: "is \(other.typeName), not a table", remedy: "write it as [\(name)]"))
        }
        var reader = TableReader(name: name, table: table, environment: environment, paths: paths, readPasswords: readPasswords)
        body(&reader)
        reader.reportUnknownKeys()
        problems += reader.problems
        readKeys += reader.readOrder.map { "\(name).\($0)" }
    }

    mutating func unknownTables(known: Set<String>) {
        for key in root.keys.sorted() where !known.contains(key) {
            problems.append(
                .init(
                    key: key, problem: "is not a setting refbot knows",
                    remedy: "remove it, or check the spelling against the example config (tables: \(known.sorted().joined(separator: ", ")))"))
        }
    }
}

struct TableReader {
    let name: String
    let table: [String: TOMLValue]
    let environment: [String: String]
    let paths: ServicePaths
    let readPasswords: Bool
    var problems: [ConfigError.Problem] = []
    var used: Set<String> = [] {
        didSet { for key in used.subtracting(oldValue) { readOrder.append(key) } }
    }
    /// The keys read, in the order they were first read.
    var readOrder: [String] = []

    init(name: String, table: [String: TOMLValue], environment: [String: String], paths: ServicePaths, readPasswords: Bool) {
        self.name = name
        self.table = table
        self.environment = environment
        self.paths = paths
        self.readPasswords = readPasswords
    }

    mutating func problem(_ key: String, _ problem: String, _ remedy: String) {
        problems.append(.init(key: "\(name).\(key)", problem: problem, remedy: remedy))
    }

    mutating func string(_ key: String, required: Bool = false) -> String? {
        used.insert(key)
        switch table[key] {
        case .string(let s)?:
            if required && s.trimmingCharacters(in: .whitespaces).isEmpty {
                problem(key, "is empty", "set it")
                return nil
            }
            return s
        case nil:
            if required { problem(key, "is missing", "add \(key) = \"…\" under [\(name)]") }
            return nil
        case let other?:
            problem(key, "is \(other.typeName), not a string", "put the value in quotes")
            return nil
        }
    }

    mutating func integer(_ key: String, min: Int) -> Int? {
        used.insert(key)
        switch table[key] {
        case .integer(let v)?:
            guard v >= min, v <= Int64(Int32.max) else {
                problem(key, "is \(v)", "use a whole number of at least \(min)")
                return nil
            }
            return Int(v)
        case nil: return nil
        case let other?:
            problem(key, "is \(other.typeName), not a whole number", "write it without quotes, as \(key) = \(Swift.max(min, 1))")
            return nil
        }
    }

    mutating func bool(_ key: String) -> Bool? {
        used.insert(key)
        switch table[key] {
        case .boolean(let v)?: return v
        case nil: return nil
        case let other?:
            problem(key, "is \(other.typeName), not true or false", "write \(key) = true or \(key) = false, without quotes")
            return nil
        }
    }

    mutating func email(_ key: String, required: Bool) -> String? {
        guard let value = string(key, required: required) else { return nil }
        guard Self.looksLikeEmail(value) else {
            problem(key, "\"\(value)\" is not an email address", "write it as name@example.org")
            return nil
        }
        return Member.normalizedEmail(value)
    }

    mutating func strings(_ key: String) -> [String]? {
        used.insert(key)
        switch table[key] {
        case .array(let items)?:
            var result: [String] = []
            for item in items {
                if case .string(let s) = item {
                    result.append(s)
                } else {
                    problem(key, "has an entry that is not a string", "write \(key) = [\"…\", \"…\"]")
                }
            }
            return result
        case nil: return nil
        case let other?:
            problem(key, "is \(other.typeName), not a list", "write \(key) = [\"…\"]")
            return nil
        }
    }

    mutating func emails(_ key: String) -> [String]? {
        used.insert(key)
        switch table[key] {
        case .array(let items)?:
            var result: [String] = []
            for item in items {
                if case .string(let s) = item, Self.looksLikeEmail(s) {
                    result.append(Member.normalizedEmail(s))
                } else {
                    problem(key, "has an entry that is not an email address", "list addresses as [\"admin@example.org\"]")
                }
            }
            return result
        case nil: return nil
        case let other?:
            problem(key, "is \(other.typeName), not a list", "write \(key) = [\"admin@example.org\"]")
            return nil
        }
    }

    /// A secret from the environment variable, or else from the file the key names.
    mutating func secret(_ key: String, env: String, required: Bool) -> String {
        let path = string(key)
        if let value = environment[env], !value.isEmpty { return value }
        // Admin commands never log in: the password file need not be readable by them.
        guard readPasswords else { return "" }
        guard let path, !path.isEmpty else {
            if required {
                problem(key, "is missing and \(env) is not set", "point \(key) at a file holding the password, or set \(env)")
            }
            return ""
        }
        let resolved = paths.credential(path)
        guard let data = FileManager.default.contents(atPath: resolved), let text = String(data: data, encoding: .utf8) else {
            problem(key, "cannot read \(resolved)", "check that the file exists and refbot may read it")
            return ""
        }
        let secret = text.trimmingCharacters(in: .newlines)
        if secret.isEmpty { problem(key, "\(resolved) is empty", "write the password into it") }
        return secret
    }

    /// The file a secret was read from, as ``secret(_:env:required:)`` resolved it; empty when the
    /// environment variable supplied it or no file is named.
    func secretPath(_ key: String, env: String) -> String {
        if let value = environment[env], !value.isEmpty { return "" }
        guard case .string(let path)? = table[key], !path.isEmpty else { return "" }
        return paths.credential(path)
    }

    mutating func existingFile(_ path: String, key: String) -> String {
        if !path.isEmpty, !FileManager.default.isReadableFile(atPath: path) {
            problem(key, "cannot read \(path)", "check the path, or leave it empty to use the system's CAs")
        }
        return path
    }

    /// A relative state path lives in the service's state directory (``ServicePaths``).
    func statePath(_ path: String) -> String { paths.state(path) }

    func reportUnknownKeysProblems() -> [ConfigError.Problem] {
        table.keys.sorted().filter { !used.contains($0) }.map { key in
            let remedy =
                KeySpelling.nearest(to: key, among: used).map { "did you mean \(name).\($0)? Otherwise remove it" }
                ?? "remove it, or check its spelling against systemd/refbot.toml.example"
            return .init(key: "\(name).\(key)", problem: "is not a setting refbot knows", remedy: remedy)
        }
    }

    mutating func reportUnknownKeys() { problems += reportUnknownKeysProblems() }

    static func looksLikeEmail(_ s: String) -> Bool {
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && !s.contains(where: { $0 == " " || $0 == "<" || $0 == ">" })
    }
}
