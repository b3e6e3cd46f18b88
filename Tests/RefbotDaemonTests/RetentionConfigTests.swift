import Foundation
import RefbotDaemon
import Testing

/// `mail.retention_days`: its default, 0 to keep raw mail, and a clear error for a bad value.
@Suite("mail.retention_days")
struct RetentionConfigTests {
    static let minimal = """
        [bot]
        address = "referrals@example.org"
        admins = ["admin@example.org"]
        [imap]
        url = "imaps://mail.example.org/INBOX"
        username = "referrals@example.org"
        [smtp]
        url = "smtps://mail.example.org"
        """
    static let environment = ["REFBOT_IMAP_PASSWORD": "x", "REFBOT_SMTP_PASSWORD": "y"]

    @Test("Raw mail is kept 30 days unless told otherwise; 0 keeps it")
    func values() throws {
        #expect(try Configuration.parse(Self.minimal, environment: Self.environment).mail.retentionDays == 30)
        let off = try Configuration.parse(Self.minimal + "\n[mail]\nretention_days = 0\n", environment: Self.environment)
        #expect(off.mail.retentionDays == 0)
        let week = try Configuration.parse(Self.minimal + "\n[mail]\nretention_days = 7\n", environment: Self.environment)
        #expect(week.mail.retentionDays == 7)
    }

    @Test("A negative or quoted value is refused with the key named", arguments: ["-1", "\"30\""])
    func refused(_ value: String) {
        do {
            _ = try Configuration.parse(Self.minimal + "\n[mail]\nretention_days = \(value)\n", environment: Self.environment)
            Issue.record("retention_days = \(value) was accepted")
        } catch {
            #expect("\(error)".contains("mail.retention_days"), "\(error)")
        }
    }
}

/// `mail.bounce_reset_days`: its default, 0 for never, and a clear error for a bad value.
@Suite("mail.bounce_reset_days")
struct BounceResetConfigTests {
    @Test("Bounce counts reset after 30 days without bounces unless told otherwise; 0 never")
    func values() throws {
        let minimal = RetentionConfigTests.minimal
        let environment = RetentionConfigTests.environment
        #expect(try Configuration.parse(minimal, environment: environment).mail.bounceResetDays == 30)
        #expect(try Configuration.parse(minimal + "\n[mail]\nbounce_reset_days = 0\n", environment: environment).mail.bounceResetDays == 0)
        #expect(try Configuration.parse(minimal + "\n[mail]\nbounce_reset_days = 90\n", environment: environment).mail.bounceResetDays == 90)
    }

    @Test("A negative or quoted value is refused with the key named", arguments: ["-1", "\"30\""])
    func refused(_ value: String) {
        do {
            _ = try Configuration.parse(
                RetentionConfigTests.minimal + "\n[mail]\nbounce_reset_days = \(value)\n", environment: RetentionConfigTests.environment)
            Issue.record("bounce_reset_days = \(value) was accepted")
        } catch {
            #expect("\(error)".contains("mail.bounce_reset_days"), "\(error)")
        }
    }
}
