import Foundation
import RefbotCore
import RefbotDaemon
import RefbotTestSupport
import Testing

/// The settings the parser reads are the settings the example, the README and the messages name.
@Suite("Configuration keys")
struct ConfigKeysTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let examplePath = root + "/systemd/refbot.toml.example"
    /// Environment that stands in for the password files.
    static let passwords = ["REFBOT_IMAP_PASSWORD": "x", "REFBOT_SMTP_PASSWORD": "y"]

    /// One `key = value` line of the example, by table.
    struct ExampleLine {
        var table: String
        var key: String
        var commentedOut: Bool
        var explanation: String
        var lineIndex: Int
    }

    /// The example's assignment lines (also `# key = value` ones), each with its explanation: the
    /// comment after it, else the comment lines straight above it.
    static func exampleLines(_ text: String) -> [ExampleLine] {
        let lines = text.components(separatedBy: "\n")
        var table = ""
        var result: [ExampleLine] = []
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && line.hasSuffix("]") {
                table = String(line.dropFirst().dropLast())
                continue
            }
            // An array of tables (`[[webhooks]]`), also commented out as an example entry.
            let header = line.drop(while: { $0 == "#" || $0 == " " })
            if header.hasPrefix("[[") && header.hasSuffix("]]") && !header.contains(" ") {
                table = String(header.dropFirst(2).dropLast(2))
                continue
            }
            var body = line
            var commentedOut = false
            if body.hasPrefix("#") {
                body = body.drop(while: { $0 == "#" || $0 == " " }).description
                commentedOut = true
            }
            guard let equals = body.firstIndex(of: "="),
                body[..<equals].trimmingCharacters(in: .whitespaces).allSatisfy({ $0.isLowercase || $0 == "_" || $0.isNumber }),
                !body[..<equals].trimmingCharacters(in: .whitespaces).isEmpty, !table.isEmpty
            else { continue }
            let key = body[..<equals].trimmingCharacters(in: .whitespaces)
            var explanation = trailingComment(String(body[body.index(after: equals)...]))
            if explanation.isEmpty {
                var above = index - 1
                var comments: [String] = []
                while above >= 0, lines[above].trimmingCharacters(in: .whitespaces).hasPrefix("#") {
                    comments.insert(lines[above], at: 0)
                    above -= 1
                }
                explanation = comments.joined(separator: " ")
            }
            result.append(ExampleLine(table: table, key: key, commentedOut: commentedOut, explanation: explanation, lineIndex: index))
        }
        return result
    }

    /// The text after a `#` that is outside quotes.
    static func trailingComment(_ value: String) -> String {
        var quote: Character?
        for (offset, character) in value.enumerated() {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "\"" || character == "'" {
                quote = character
            } else if character == "#" {
                return String(value.dropFirst(offset + 1)).trimmingCharacters(in: .whitespaces)
            }
        }
        return ""
    }

    @Test("Every key the parser reads is in systemd/refbot.toml.example with a one-line explanation")
    func everyKeyIsInTheExample() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let shown = Dictionary(Self.exampleLines(text).map { ("\($0.table).\($0.key)", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(Configuration.knownKeys.count > 40)
        for key in Configuration.knownKeys {
            guard let line = shown[key] else {
                let table = key.split(separator: ".").first ?? ""
                Issue.record("systemd/refbot.toml.example lacks \(key): add `\(key.split(separator: ".").last ?? "") = <default>   # what it does` under [\(table)]")
                continue
            }
            #expect(!line.explanation.isEmpty, "systemd/refbot.toml.example: \(key) has no comment explaining it")
        }
    }

    @Test("Each value the example shows is the default, unless its comment says what the default is")
    func exampleShowsDefaults() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let lines = text.components(separatedBy: "\n")
        let paths = ServicePaths(stateDirectory: "/var/lib/refbot", credentialsDirectory: "/etc/refbot")
        let full = try Configuration.parse(text, environment: Self.passwords, paths: paths, readPasswords: false)
        for line in Self.exampleLines(text) where !line.commentedOut {
            var without = lines
            without.remove(at: line.lineIndex)
            // A required key has no default: without it the file does not parse.
            guard let fallback = try? Configuration.parse(
                without.joined(separator: "\n"), environment: Self.passwords, paths: paths, readPasswords: false)
            else { continue }
            if fallback != full {
                #expect(
                    line.explanation.contains("default"),
                    "systemd/refbot.toml.example: \(line.table).\(line.key) shows a value that is not the default; say the default in its comment")
            }
        }
    }

    @Test("The example names no key the parser does not read")
    func exampleHasNoUnknownKeys() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let known = Set(Configuration.knownKeys)
        for line in Self.exampleLines(text) {
            #expect(known.contains("\(line.table).\(line.key)"), "systemd/refbot.toml.example shows \(line.table).\(line.key), which refbot does not read")
        }
    }

    /// `table.key` names in `text`, where table is one of the configuration's tables.
    static func settingNames(in text: String, tables: Set<String>) -> [String] {
        let pattern = try! NSRegularExpression(pattern: "(?<![A-Za-z0-9_.\\\\(])([a-z]+)\\.([a-z][a-z0-9_]*)(?![A-Za-z0-9_.(=])")
        let range = NSRange(text.startIndex..., in: text)
        return pattern.matches(in: text, range: range).compactMap { match in
            guard let table = Range(match.range(at: 1), in: text), let key = Range(match.range(at: 2), in: text),
                tables.contains(String(text[table]))
            else { return nil }
            return "\(text[table]).\(text[key])"
        }
    }

    /// Files whose messages and prose name settings: every Swift source, the README, RELIABILITY.md.
    static func filesNamingSettings() -> [String] {
        var files = ["README.md", "RELIABILITY.md", "systemd/refbot.service"]
        let sources = Self.root + "/Sources"
        if let walker = FileManager.default.enumerator(atPath: sources) {
            for case let path as String in walker where path.hasSuffix(".swift") { files.append("Sources/" + path) }
        }
        return files.sorted()
    }

    @Test("Messages, comments and docs name only settings that exist")
    func namedSettingsExist() throws {
        let known = Set(Configuration.knownKeys)
        let tables = Set(known.compactMap { $0.split(separator: ".").first.map(String.init) })
        // Words that read as table.key but are not settings: domains, an Authentication-Results property.
        // Event names (`oauth.refused`) look like settings and are not.
        let notSettings: Set<String> = Set(["mail.com", "mail.ru", "smtp.mailfrom", "compliance.toml"] + MailEvent.allCases.map(\.rawValue))
        var unknown: [String] = []
        for file in Self.filesNamingSettings() {
            guard let text = try? String(contentsOfFile: Self.root + "/" + file, encoding: .utf8) else { continue }
            for (number, line) in text.components(separatedBy: "\n").enumerated() {
                // In Swift only string literals and comments: `configuration.mail.bounceLimit` is code.
                let relevant: String
                if file.hasSuffix(".swift") {
                    // Log fields (`"imap.folder": …`) are not settings either.
                    let parts = line.split(separator: "\"", omittingEmptySubsequences: false)
                    let quoted = parts.enumerated()
                        .filter { $0.offset % 2 == 1 && !(parts.indices.contains($0.offset + 1) && parts[$0.offset + 1].hasPrefix(":")) }
                        .map(\.element).joined(separator: " ")
                    let comment = line.range(of: "//").map { String(line[$0.upperBound...]) } ?? ""
                    relevant = quoted + " " + comment
                } else {
                    relevant = line
                }
                for name in Self.settingNames(in: relevant, tables: tables) where !known.contains(name) && !notSettings.contains(name) {
                    unknown.append("\(file):\(number + 1): \(name)")
                }
            }
        }
        #expect(unknown.isEmpty, "settings that refbot does not read:\n\(unknown.joined(separator: "\n"))")
    }

    @Test("An unknown key is refused with the nearest real key")
    func unknownKeySuggestsNearest() {
        let text = """
            [bot]
            address = "referrals@example.org"
            [imap]
            url = "imaps://mail.example.org/INBOX"
            username = "referrals@example.org"
            poll_secnds = 5
            [smtp]
            url = "smtps://mail.example.org"
            starttsl = false
            """
        #expect {
            _ = try Configuration.parse(text, environment: Self.passwords)
        } throws: { error in
            let problems = (error as? ConfigError)?.problems ?? []
            return problems.map(\.key) == ["imap.poll_secnds", "smtp.starttsl"]
                && problems[0].remedy.contains("did you mean imap.poll_seconds?")
                && problems[1].remedy.contains("did you mean smtp.starttls?")
        }
    }
}

/// Relative paths resolve the same from a shell as under systemd.
@Suite("Service paths")
struct ServicePathsTests {
    static let minimal = """
        [bot]
        address = "referrals@example.org"
        database = "refbot.sqlite"
        secret_file = "secret"
        [imap]
        url = "imaps://mail.example.org/INBOX"
        username = "referrals@example.org"
        password_file = "imap-password"
        [smtp]
        url = "smtps://mail.example.org"
        """

    @Test("From a shell, /etc/refbot/refbot.toml keeps its state in /var/lib/refbot and its passwords beside it")
    func serviceConfig() {
        let paths = ServicePaths(configFile: "/etc/refbot/refbot.toml", environment: [:])
        #expect(paths.state("refbot.sqlite") == "/var/lib/refbot/refbot.sqlite")
        #expect(paths.credential("imap-password") == "/etc/refbot/imap-password")
        #expect(paths.state("/srv/refbot.sqlite") == "/srv/refbot.sqlite")
    }

    @Test("/etc/refbot/NAME.toml is the instance refbot@NAME: state in /var/lib/refbot/NAME, passwords in /etc/refbot/NAME")
    func instanceConfig() {
        let paths = ServicePaths(configFile: "/etc/refbot/../refbot/plumbers.toml", environment: [:])
        #expect(paths.state("refbot.sqlite") == "/var/lib/refbot/plumbers/refbot.sqlite")
        #expect(paths.credential("imap-password") == "/etc/refbot/plumbers/imap-password", "as refbot@.service's LoadCredential= reads it")
        #expect(paths.stateDirectoryReason.contains("refbot@plumbers.service"))
    }

    @Test("A config outside /etc/refbot keeps relative paths beside itself, whatever the current folder")
    func developmentConfig() {
        let paths = ServicePaths(configFile: "/home/ann/demo/refbot.toml", environment: [:])
        #expect(paths.state("refbot.sqlite") == "/home/ann/demo/refbot.sqlite")
        #expect(paths.credential("imap-password") == "/home/ann/demo/imap-password")
    }

    @Test("Under systemd, $STATE_DIRECTORY and $CREDENTIALS_DIRECTORY win")
    func systemdDirectories() throws {
        let directory = try TemporaryDirectory()
        try "pw\n".write(toFile: directory.path + "/imap-password", atomically: true, encoding: .utf8)
        let c = try Configuration.parse(
            Self.minimal, environment: ["STATE_DIRECTORY": "/var/lib/refbot/shop", "CREDENTIALS_DIRECTORY": directory.path],
            paths: ServicePaths(
                configFile: "/etc/refbot/refbot.toml",
                environment: ["STATE_DIRECTORY": "/var/lib/refbot/shop", "CREDENTIALS_DIRECTORY": directory.path]))
        #expect(c.bot.database == "/var/lib/refbot/shop/refbot.sqlite")
        #expect(c.bot.secretFile == "/var/lib/refbot/shop/secret")
        #expect(c.imap.password == "pw")
        #expect(c.imap.passwordFile == directory.path + "/imap-password")
    }

    @Test("load reads a relative password_file beside the config file, not in the current folder")
    func loadResolvesBesideTheFile() throws {
        let directory = try TemporaryDirectory()
        try Self.minimal.write(toFile: directory.path + "/refbot.toml", atomically: true, encoding: .utf8)
        try "beside\n".write(toFile: directory.path + "/imap-password", atomically: true, encoding: .utf8)
        let c = try Configuration.load(path: directory.path + "/refbot.toml", environment: [:])
        #expect(c.imap.password == "beside")
        #expect(c.bot.database == directory.path + "/refbot.sqlite")
    }

    @Test("Without readPasswords a missing password file is no problem; with it, it is one naming the path")
    func passwordsOnlyWhenNeeded() throws {
        let directory = try TemporaryDirectory()
        try Self.minimal.write(toFile: directory.path + "/refbot.toml", atomically: true, encoding: .utf8)
        let c = try Configuration.load(path: directory.path + "/refbot.toml", environment: [:], readPasswords: false)
        #expect(c.imap.password == "")
        #expect(c.imap.passwordFile == directory.path + "/imap-password")
        #expect {
            _ = try Configuration.load(path: directory.path + "/refbot.toml", environment: [:])
        } throws: { error in
            (error as? ConfigError)?.problems.first.map {
                $0.key == "imap.password_file" && $0.problem.contains(directory.path + "/imap-password")
            } ?? false
        }
    }
}
