import Foundation
import RefbotCore
import RefbotDaemon
import RefbotTransport
import RefbotTestSupport
import Testing

@Suite("TOML parser")
struct TOMLParserTests {
    @Test("Tables, strings, numbers, booleans, arrays and comments read as written")
    func basics() throws {
        let table = try TOMLParser.parse(
            """
            # a comment
            title = "refbot" # trailing comment
            [imap]
            url = "imaps://mail.example.org/INBOX"
            poll_seconds = 1_000
            tls_verify = false
            ratio = 0.5
            admins = [
              "a@example.org", # first
              'b@example.org',
            ]
            [a.b]
            c = 0x1F
            """)
        #expect(table["title"] == .string("refbot"))
        guard case .table(let imap)? = table["imap"] else { Issue.record("no [imap]"); return }
        #expect(imap["url"] == .string("imaps://mail.example.org/INBOX"))
        #expect(imap["poll_seconds"] == .integer(1000))
        #expect(imap["tls_verify"] == .boolean(false))
        #expect(imap["ratio"] == .float(0.5))
        #expect(imap["admins"] == .array([.string("a@example.org"), .string("b@example.org")]))
        #expect(table["a"] == .table(["b": .table(["c": .integer(31)])]))
    }

    @Test("Escapes, literal strings and multi-line strings")
    func strings() throws {
        let table = try TOMLParser.parse(
            #"""
            a = "tab\there \"q\" \u00e9"
            b = 'C:\path\no-escape'
            c = """
            line one
            line two"""
            d = '''
            raw \n'''
            e = { x = 1, y = "z" }
            """#)
        #expect(table["a"] == .string("tab\there \"q\" é"))
        #expect(table["b"] == .string(#"C:\path\no-escape"#))
        #expect(table["c"] == .string("line one\nline two"))
        #expect(table["d"] == .string(#"raw \n"#))
        #expect(table["e"] == .table(["x": .integer(1), "y": .string("z")]))
    }

    @Test("Syntax errors name the line and say what would work",
          arguments: [
            ("a = \"open", 1, "closed"),
            ("[bot]\naddress = referrals@example.org", 2, "quotes"),
            ("a = 1\na = 2", 2, "twice"),
            ("[x]\n[x]", 2, "twice"),
            ("a = 1 b = 2", 1, "one key = value per line"),
            ("a = \"\\q\"", 1, "escape"),
          ])
    func errors(text: String, line: Int, words: String) {
        #expect {
            _ = try TOMLParser.parse(text)
        } throws: { error in
            guard let error = error as? TOMLError else { return false }
            return error.line == line && error.message.contains(words)
        }
    }
}

@Suite("Configuration")
struct ConfigurationTests {
    static let minimal = """
        [bot]
        address = "Referrals@Example.org"
        admins = ["admin@example.org"]
        [imap]
        url = "imaps://mail.example.org/INBOX"
        username = "referrals@example.org"
        [smtp]
        url = "smtps://mail.example.org"
        """

    @Test("A minimal file reads with the spec's defaults and secrets from the environment")
    func minimalFile() throws {
        let c = try Configuration.parse(Self.minimal, environment: ["REFBOT_IMAP_PASSWORD": "secret"])
        #expect(c.bot.address == "referrals@example.org")
        #expect(c.imap.password == "secret")
        #expect(c.imap.pollSeconds == 30)
        #expect(c.imap.processedFolder == "Processed")
        #expect(c.smtp.giveUpHours == 48)
        #expect(c.network.startingCredits == 10)
        #expect(c.network.customerConsent == "referrer")
        #expect(c.links.expiryDays == 14)
        #expect(c.mail.errorRepliesPerHour == 5)
        #expect(c.smtpServer.heloName == "example.org")
        #expect(c.smtp.maxConnections == 2)
    }

    @Test("smtp.max_connections takes 1 to 8; outside that, the problem names the key and the range")
    func maxConnections() throws {
        let one = try Configuration.parse(Self.minimal + "\nmax_connections = 1", environment: ["REFBOT_IMAP_PASSWORD": "s"])
        #expect(one.smtp.maxConnections == 1)
        for bad in ["0", "9"] {
            #expect {
                _ = try Configuration.parse(Self.minimal + "\nmax_connections = \(bad)", environment: ["REFBOT_IMAP_PASSWORD": "s"])
            } throws: { error in
                guard let problem = (error as? ConfigError)?.problems.first else { return false }
                return problem.key == "smtp.max_connections" && (problem.remedy.contains("1") || problem.problem.contains("1"))
            }
        }
    }

    @Test("Every problem is reported at once, each with the key, the problem and a remedy")
    func everyProblem() {
        let text = """
            [bot]
            address = "not-an-address"
            admins = "admin@example.org"
            [imap]
            url = "https://mail.example.org"
            poll_seconds = 0
            tls_verify = "yes"
            [smtp]
            url = "smtps://mail.example.org"
            username = "bot"
            [network]
            customer_consent = "maybe"
            currency = "dollars"
            [typo]
            x = 1
            """
        #expect {
            _ = try Configuration.parse(text, environment: [:])
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            let keys = Set(error.problems.map(\.key))
            let expected: Set<String> = [
                "bot.address", "bot.admins", "imap.url", "imap.username", "imap.password_file", "imap.poll_seconds",
                "imap.tls_verify", "smtp.password_file", "network.customer_consent", "network.currency", "typo",
            ]
            return keys == expected && error.problems.allSatisfy { !$0.problem.isEmpty && !$0.remedy.isEmpty }
        }
    }

    @Test("The caps on automatic mail read with their defaults, and a value below the minimum is a problem")
    func replyCaps() throws {
        let defaults = try Configuration.parse(Self.minimal, environment: ["REFBOT_IMAP_PASSWORD": "x"])
        #expect(defaults.mail.repliesPerAddressPerHour == 5)
        #expect(defaults.mail.unprovenRepliesPerHour == 200)
        #expect(defaults.mail.adminNoticesPerHour == 10)
        let set = try Configuration.parse(
            Self.minimal + "\n[mail]\nreplies_per_address_per_hour = 2\nunproven_replies_per_hour = 50\nadmin_notices_per_hour = 0\n",
            environment: ["REFBOT_IMAP_PASSWORD": "x"])
        #expect(set.mail.repliesPerAddressPerHour == 2)
        #expect(set.mail.unprovenRepliesPerHour == 50)
        #expect(set.mail.adminNoticesPerHour == 0)
        #expect {
            _ = try Configuration.parse(
                Self.minimal + "\n[mail]\nreplies_per_address_per_hour = 0\nunproven_replies_per_hour = 0\nadmin_notices_per_hour = -1\n",
                environment: ["REFBOT_IMAP_PASSWORD": "x"])
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return Set(error.problems.map(\.key))
                == ["mail.replies_per_address_per_hour", "mail.unproven_replies_per_hour", "mail.admin_notices_per_hour"]
                && error.problems.allSatisfy { $0.remedy.contains("at least") }
        }
    }

    @Test("Admin addresses fold ASCII case only")
    func adminsASCIICase() throws {
        let c = try Configuration.parse(
            Self.minimal.replacingOccurrences(
                of: "admins = [\"admin@example.org\"]", with: "admins = [\"Admin@Example.ORG\", \"\u{212A}im@example.org\"]"),
            environment: ["REFBOT_IMAP_PASSWORD": "x"])
        #expect(c.bot.admins == ["admin@example.org", "\u{212A}im@example.org"])
        #expect(!c.bot.admins.contains { Member.sameEmail($0, "kim@example.org") })
    }

    @Test("Unknown keys are reported, so a typo is not silently ignored")
    func unknownKey() {
        #expect {
            _ = try Configuration.parse(Self.minimal + "\npoll_secnds = 5\n", environment: ["REFBOT_IMAP_PASSWORD": "x"])
        } throws: { error in
            (error as? ConfigError)?.problems.map(\.key) == ["smtp.poll_secnds"]
        }
    }

    @Test("Passwords come from password_file, relative to $CREDENTIALS_DIRECTORY under systemd")
    func passwordFiles() throws {
        let directory = try TemporaryDirectory()
        try "imap-secret\n".write(toFile: directory.path + "/imap-password", atomically: true, encoding: .utf8)
        try "smtp-secret".write(toFile: directory.path + "/smtp.pw", atomically: true, encoding: .utf8)
        let text = Self.minimal.replacingOccurrences(
            of: "username = \"referrals@example.org\"",
            with: "username = \"referrals@example.org\"\npassword_file = \"imap-password\"")
            + "\nusername = \"bot\"\npassword_file = \"\(directory.path)/smtp.pw\"\n"
        let c = try Configuration.parse(
            text, environment: ["CREDENTIALS_DIRECTORY": directory.path, "STATE_DIRECTORY": "/var/lib/refbot"])
        #expect(c.imap.password == "imap-secret")
        #expect(c.smtp.password == "smtp-secret")
        #expect(c.bot.database == "/var/lib/refbot/refbot.sqlite")
    }

    @Test("A missing file is a configuration error naming the path")
    func missingFile() {
        #expect {
            _ = try Configuration.load(path: "/nonexistent/refbot.toml", environment: [:])
        } throws: { error in
            (error as? ConfigError)?.problems.first?.key == "/nonexistent/refbot.toml"
        }
    }

    @Test("The example configuration shipped in systemd/ is valid")
    func exampleIsValid() throws {
        let path = URL(fileURLWithPath: templatesDirectory).deletingLastPathComponent()
            .appendingPathComponent("systemd/refbot.toml.example").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let c = try Configuration.parse(
            text, environment: ["REFBOT_IMAP_PASSWORD": "x", "REFBOT_SMTP_PASSWORD": "y"])
        #expect(c.bot.address == "referrals@example.org")
    }
}
