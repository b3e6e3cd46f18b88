import Foundation
import RefbotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `refbot …` lines of README.md, read afresh on every run so that a line added later is
/// covered without touching this file.
///
/// - A line in a ```` ```sh ```` block is a command to type: it is run exactly as written, by
///   `sh -c`, with the built binary first on `PATH`, against a real installation: in a private
///   mount namespace (`unshare --mount`), `/etc/refbot` holds the test's config and password files
///   and `/var/lib/refbot` the service's database, each mounted over an overlay of the real `/etc`
///   and `/var/lib` so that nothing outside the test changes. The binary honours no test-only
///   setting: it finds `/etc/refbot/refbot.toml` and `/var/lib/refbot/refbot.sqlite` where an admin's
///   shell would. The config points at a real Dovecot and Postfix, so `check-config` without
///   `--offline` logs in for real.
/// - A line in another block is a synopsis (`refbot admin --config FILE outbox [--failed] | stats`):
///   each command it names must exist (`--help` exits 0) and offer every option the line shows.
enum Readme {
    struct Line: Sendable, CustomTestStringConvertible {
        var number: Int
        var text: String
        var testDescription: String { "README.md:\(number): \(text)" }
    }

    static let path = RefbotProcess.packageRoot + "/README.md"

    /// (commands to run, synopsis lines with their continuation lines joined).
    static func lines() -> (commands: [Line], synopses: [Line]) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return ([], []) }
        var commands: [Line] = []
        var synopses: [Line] = []
        var fence: String?
        for (index, raw) in text.components(separatedBy: "\n").enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("```") {
                fence = fence == nil ? String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces) : nil
                continue
            }
            guard let info = fence else { continue }
            if line.hasPrefix("refbot ") || line == "refbot" {
                if info == "sh" || info == "bash" || info == "console" {
                    commands.append(Line(number: index + 1, text: line))
                } else {
                    synopses.append(Line(number: index + 1, text: line))
                }
            } else if line.hasPrefix("|"), info != "sh", let last = synopses.indices.last,
                synopses[last].number + synopses[last].text.filter({ $0 == "\n" }).count == index
            {
                synopses[last].text += "\n" + line
            }
        }
        return (commands, synopses)
    }

    /// The commands a synopsis names, each with the options shown for it: `refbot admin --config
    /// FILE outbox [--failed] | stats` is (["admin", "outbox"], ["--config", "--failed"]) and
    /// (["admin", "stats"], []).
    static func commandsNamed(by synopsis: String) -> [(path: [String], options: [String])] {
        var tokens = synopsis.split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
        if tokens.first == "refbot" { tokens.removeFirst() }
        var alternatives: [[String]] = [[]]
        for token in tokens {
            if token == "|" { alternatives.append([]) } else { alternatives[alternatives.count - 1].append(token) }
        }
        let isWord = { (token: String) in token.range(of: "^[a-z][a-z-]*$", options: .regularExpression) != nil }
        var base: [String] = []
        var result: [(path: [String], options: [String])] = []
        for (index, alternative) in alternatives.enumerated() {
            var rest = alternative[...]
            if index == 0 {
                while let first = rest.first, isWord(first) {
                    base.append(first)
                    rest = rest.dropFirst()
                }
            }
            var path = base
            var options: [String] = []
            var depth = 0
            var named = false
            for token in rest {
                if depth == 0, !named, isWord(token), index > 0 || !path.isEmpty {
                    path.append(token)
                    named = true
                }
                let optionPattern = try? NSRegularExpression(pattern: "--[a-z][a-z-]*")
                let range = NSRange(token.startIndex..., in: token)
                for match in optionPattern?.matches(in: token, range: range) ?? [] {
                    if let r = Range(match.range, in: token) { options.append(String(token[r])) }
                }
                depth += token.filter { $0 == "[" }.count - token.filter { $0 == "]" }.count
            }
            result.append((path, options))
        }
        return result
    }

    /// The command words of a line to run: `refbot admin --config F stats` is ["admin", "stats"].
    static func commandPath(of line: String) -> [String] {
        let tokens = line.components(separatedBy: "#")[0].split(separator: " ").map(String.init).dropFirst()
        var path: [String] = []
        var skipValue = false
        for token in tokens {
            if skipValue { skipValue = false; continue }
            if token == "--config" || token == "-c" || token == "--log-level" { skipValue = true; continue }
            if token.hasPrefix("-") { continue }
            if token.range(of: "^[a-z][a-z-]*$", options: .regularExpression) != nil { path.append(token) } else { break }
        }
        return path
    }

    /// What a line's output must show, by its command, beyond exiting 0.
    static let expectedOutput: [[String]: String] = [
        ["check-config"]: "All checks passed.",
        ["admin", "stats"]: "Inbound mail",
        ["admin", "outbox"]: "outbox",
        ["admin", "backup"]: "Backed up /var/lib/refbot/refbot.sqlite",
    ]
}

@Suite("README command lines, run as written", .serialized)
struct ReadmeCommandLineTests {
    @Test("README.md shows command lines to run and synopses (so the tests below are not vacuous)")
    func readmeHasLines() {
        let (commands, synopses) = Readme.lines()
        #expect(commands.count >= 4, "\(commands)")
        #expect(synopses.count >= 4, "\(synopses)")
        #expect(commands.contains { $0.text.hasPrefix("refbot admin --config /etc/refbot/refbot.toml ") })
    }

    @Test("A synopsis line with alternatives names each command with its own options")
    func synopsisReading() {
        let named = Readme.commandsNamed(
            by: "refbot admin --config FILE outbox [--failed [--retry]] | stats | backup FILE\n| announce --title T [--link URL] --body-file F")
        #expect(named.map(\.path) == [["admin", "outbox"], ["admin", "stats"], ["admin", "backup"], ["admin", "announce"]])
        #expect(named[0].options == ["--config", "--failed", "--retry"])
        #expect(named[3].options == ["--title", "--link", "--body-file"])
        #expect(Readme.commandsNamed(by: "refbot parse FILE|- [--body-only]").map(\.path) == [["parse"]])
        #expect(Readme.commandPath(of: "refbot admin -c /etc/refbot/refbot.toml outbox   # what waits") == ["admin", "outbox"])
    }

    @Test("Each command a synopsis names exists and offers the options the synopsis shows", arguments: Readme.lines().synopses)
    func synopsis(line: Readme.Line) async throws {
        for (path, options) in Readme.commandsNamed(by: line.text) {
            let help = try await RefbotProcess.run(path + ["--help"])
            #expect(help.status == 0, "README.md:\(line.number): refbot \(path.joined(separator: " ")) --help: \(help.stderr)")
            for option in options {
                #expect(help.stdout.contains(option), "README.md:\(line.number): refbot \(path.joined(separator: " ")) has no \(option)")
            }
        }
    }

    static var namespacesWork: Bool {
        getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare")
    }

    @Test(
        "Every command line in README.md's sh blocks runs as written against an installed service",
        .enabled(if: namespacesWork, "needs root for a private mount namespace"))
    func commandLines() async throws {
        let lines = Readme.lines().commands
        try TestEnvironment.requireServers()
        let stack = try await MailStack.start()
        defer { Task { await stack.stop() } }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-readme-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let etc = root + "/etc-refbot"
        let state = root + "/var-lib-refbot"
        for folder in [etc, state, root + "/namespace"] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        // /etc/refbot as the README's "Installing as a service" leaves it: the example's relative
        // paths, the passwords in files beside the config.
        let password = MailStack.standardUsers["bot@example.test"] ?? ""
        try """
            [bot]
            address = "bot@example.test"
            admins = ["admin@example.test"]
            database = "refbot.sqlite"
            secret_file = "secret"
            templates = "\(RefbotProcess.packageRoot)/mail-templates"
            [imap]
            url = "imaps://127.0.0.1:\(stack.imapsPort)/INBOX"
            username = "bot@example.test"
            password_file = "imap-password"
            ca_file = "\(stack.caFile)"
            [smtp]
            url = "smtps://127.0.0.1:\(stack.smtpsPort)"
            username = "bot@example.test"
            password_file = "smtp-password"
            ca_file = "\(stack.caFile)"
            [http]
            listen = "127.0.0.1:0"
            metrics_listen = ""
            """.write(toFile: etc + "/refbot.toml", atomically: true, encoding: .utf8)
        for file in ["imap-password", "smtp-password"] {
            FileManager.default.createFile(atPath: etc + "/" + file, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600])
        }
        // The service's first start made the database in its state directory.
        let first = try await Self.inNamespace("refbot run --once", root: root, etc: etc, state: state)
        #expect(first.status == 0, "refbot run --once (the first start): \(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: state + "/refbot.sqlite"))

        for line in lines {
            let result = try await Self.inNamespace(line.text, root: root, etc: etc, state: state)
            #expect(result.status != 64 && !result.stderr.contains("Usage:"), "README.md:\(line.number): \(line.text) is a usage error: \(result.stderr)")
            #expect(result.status == 0, "README.md:\(line.number): \(line.text) exited \(result.status): \(result.stdout)\(result.stderr)")
            if let expected = Readme.expectedOutput[Readme.commandPath(of: line.text)] {
                #expect(result.stdout.contains(expected), "README.md:\(line.number): \(line.text) did not show \(expected): \(result.stdout)")
            }
        }
        // Nothing was made in the folder the lines ran in (no stray ./refbot.sqlite).
        let cwd = (try? FileManager.default.contentsOfDirectory(atPath: root + "/cwd")) ?? []
        #expect(!cwd.contains("refbot.sqlite"), "\(cwd)")
    }

    /// Runs `line` with `sh -c` where /etc/refbot is `etc` and /var/lib/refbot is `state`.
    static func inNamespace(_ line: String, root: String, etc: String, state: String) async throws -> (status: Int32, stdout: String, stderr: String) {
        let binary = try RefbotProcess.binaryPath()
        try FileManager.default.createDirectory(atPath: root + "/cwd", withIntermediateDirectories: true)
        let setup = """
            set -e
            ns="$REFBOT_NS"
            mount -t tmpfs tmpfs "$ns"
            mkdir "$ns/etc-upper" "$ns/etc-work" "$ns/lib-upper" "$ns/lib-work"
            mount -t overlay overlay -o "lowerdir=/etc,upperdir=$ns/etc-upper,workdir=$ns/etc-work" /etc
            mkdir -p /etc/refbot && mount --bind "$REFBOT_ETC" /etc/refbot
            mount -t overlay overlay -o "lowerdir=/var/lib,upperdir=$ns/lib-upper,workdir=$ns/lib-work" /var/lib
            mkdir -p /var/lib/refbot && mount --bind "$REFBOT_STATE" /var/lib/refbot
            cd "$REFBOT_CWD"
            PATH="$REFBOT_BIN:$PATH"
            export PATH
            set +e
            exec sh -c "$REFBOT_LINE"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        process.arguments = ["--mount", "--propagation", "private", "/bin/sh", "-c", setup]
        var environment = ProcessInfo.processInfo.environment
        for key in ["STATE_DIRECTORY", "CREDENTIALS_DIRECTORY", "REFBOT_IMAP_PASSWORD", "REFBOT_SMTP_PASSWORD"] {
            environment.removeValue(forKey: key)
        }
        environment["REFBOT_NS"] = root + "/namespace"
        environment["REFBOT_ETC"] = etc
        environment["REFBOT_STATE"] = state
        environment["REFBOT_CWD"] = root + "/cwd"
        environment["REFBOT_BIN"] = (binary as NSString).deletingLastPathComponent
        environment["REFBOT_LINE"] = line
        process.environment = environment
        let out = root + "/out-\(UUID().uuidString)"
        let err = root + "/err-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: out, contents: nil)
        FileManager.default.createFile(atPath: err, contents: nil)
        process.standardOutput = FileHandle(forWritingAtPath: out)
        process.standardError = FileHandle(forWritingAtPath: err)
        process.standardInput = FileHandle.nullDevice
        let status = try await runToCompletion(process)
        return (
            status: status, stdout: (try? String(contentsOfFile: out, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: err, encoding: .utf8)) ?? "")
    }
}
