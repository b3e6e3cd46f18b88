import Foundation
import Logging
import RefbotDaemon
import Synchronization
import Testing

/// `--log-format json`: one JSON object per line, whatever the message and fields hold.
@Suite("JSON log lines")
struct JSONLogHandlerTests {
    final class Lines: Sendable {
        let lines = Mutex<[String]>([])
        var all: [String] { lines.withLock { $0 } }
        func logger(label: String = "refbot", level: Logger.Level = .debug) -> Logger {
            let fixed = Date(timeIntervalSince1970: 1_796_000_000.25)
            return Logger(label: label) { label in
                JSONLogHandler(label: label, level: level, now: { fixed }) { line in self.lines.withLock { $0.append(line) } }
            }
        }
    }

    /// The one object a line holds; fails the test when the line is not exactly one JSON object and a newline.
    func object(_ line: String) throws -> [String: Any] {
        #expect(line.hasSuffix("\n"))
        #expect(line.dropLast().contains("\n") == false, "a log line must be one line: \(line.debugDescription)")
        let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
        return try #require(value as? [String: Any], "not a JSON object: \(line)")
    }

    @Test("A line has timestamp, level, label and message, and the fields under metadata")
    func fields() throws {
        let capture = Lines()
        var logger = capture.logger()
        logger[metadataKey: "service"] = "sender"
        logger.info("Command executed", metadata: ["inbound.id": "12", "command": "help"])
        let lines = capture.all
        try #require(lines.count == 1)
        let object = try object(lines[0])
        #expect(object["timestamp"] as? String == "2026-11-30T00:53:20.250Z")
        #expect(object["level"] as? String == "info")
        #expect(object["label"] as? String == "refbot")
        #expect(object["message"] as? String == "Command executed")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["inbound.id"] as? String == "12")
        #expect(metadata["command"] as? String == "help")
        #expect(metadata["service"] as? String == "sender")
    }

    @Test("Quotes, backslashes, newlines, tabs, NUL, ESC and U+2028 in a message or a field stay inside their string")
    func escaping() throws {
        let capture = Lines()
        let hostile = "a \"quoted\" \\ back\nslash\r\n{\"level\":\"critical\"}\t\u{0}\u{1B}[31m\u{2028}end é 📬"
        capture.logger().warning(
            "\(hostile)", metadata: ["subject": "\(hostile)", "key \"with\" quote\n": "x", "list": ["a\nb", "c"], "nested": ["k": "v\"w"]])
        let lines = capture.all
        try #require(lines.count == 1)
        #expect(lines[0].filter { $0 == "\n" }.count == 1)
        #expect(!lines[0].unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
        #expect(!lines[0].unicodeScalars.contains("\u{2028}"))
        let object = try object(lines[0])
        #expect(object["message"] as? String == hostile)
        #expect(object["level"] as? String == "warning")
        let metadata = try #require(object["metadata"] as? [String: Any])
        #expect(metadata["subject"] as? String == hostile)
        #expect(metadata["key \"with\" quote\n"] as? String == "x")
        #expect(metadata["list"] as? [String] == ["a\nb", "c"])
        #expect((metadata["nested"] as? [String: String])?["k"] == "v\"w")
    }

    @Test("Every level is written under its own name; below the handler's level nothing is written")
    func levels() throws {
        let capture = Lines()
        let logger = capture.logger(level: .notice)
        logger.debug("hidden")
        logger.info("hidden")
        logger.notice("shown")
        logger.error("shown")
        logger.critical("shown")
        let levels = try capture.all.map { try object($0)["level"] as? String }
        #expect(levels == ["notice", "error", "critical"])
    }

    @Test("A line without fields has no metadata key; a long value is cut at 2,000 characters and stays valid")
    func emptyAndLong() throws {
        let capture = Lines()
        let logger = capture.logger()
        logger.info("Daemon stopped")
        logger.info("Long", metadata: ["body": "\(String(repeating: "\"", count: 5000))"])
        let lines = capture.all
        try #require(lines.count == 2)
        #expect(try object(lines[0])["metadata"] == nil)
        let metadata = try #require(try object(lines[1])["metadata"] as? [String: Any])
        #expect((metadata["body"] as? String)?.count == 2000)
    }
}
