import Foundation
import Logging
import Synchronization

/// One JSON object per line on standard error, for log shippers (`--log-format json`): the same
/// events as ``JournalLogHandler``, with `timestamp` (RFC 3339, UTC, milliseconds), `level`,
/// `label`, `message` and, under `metadata`, the fields (nested metadata stays nested). Keys are
/// sorted, every string is escaped (quotes, backslashes, control characters, U+2028/U+2029), and
/// strings are cut at 2,000 characters as in the journal format, so input can never forge a line.
///
/// ```
/// {"label":"refbot","level":"info","message":"Command executed","metadata":{"command":"help","inbound.id":"12"},"timestamp":"2026-12-04T05:10:37.120Z"}
/// ```
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let now: @Sendable () -> Date
    private let write: @Sendable (String) -> Void

    /// A handler that writes to standard error.
    public init(label: String, level: Logger.Level = .info) {
        self.init(label: label, level: level) { line in
            JSONLogHandler.lock.withLock { _ in _ = JournalLogHandler.writeAll(line, to: 2) }
        }
    }

    /// A handler that hands each line to `write`, reading the time from `now` (tests).
    public init(
        label: String, level: Logger.Level = .info, now: @escaping @Sendable () -> Date = { Date() },
        write: @escaping @Sendable (String) -> Void
    ) {
        self.label = label
        self.logLevel = level
        self.now = now
        self.write = write
    }

    private static let lock = Mutex(())

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line = "{"
        line += "\"label\":" + Self.quoted(label)
        line += ",\"level\":" + Self.quoted(event.level.rawValue)
        line += ",\"message\":" + Self.quoted(event.message.description)
        if !fields.isEmpty { line += ",\"metadata\":" + Self.json(.dictionary(fields)) }
        line += ",\"timestamp\":" + Self.quoted(Self.timestamp(now()))
        write(line + "}\n")
    }

    /// `date` as RFC 3339 in UTC with milliseconds: `2026-12-04T05:10:37.120Z`.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    /// A metadata value as JSON: strings as strings, dictionaries as objects (keys sorted), arrays as arrays.
    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text): return quoted(text)
        case .stringConvertible(let convertible): return quoted(convertible.description)
        case .array(let values): return "[" + values.map(json).joined(separator: ",") + "]"
        case .dictionary(let dictionary):
            return "{" + dictionary.keys.sorted().map { quoted($0) + ":" + json(dictionary[$0] ?? .string("")) }.joined(separator: ",")
                + "}"
        }
    }

    /// `text` as a JSON string literal, at most 2,000 characters of it.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars.prefix(2000) {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar == "\u{2028}" || scalar == "\u{2029}" {
                    out += "\\u" + String(format: "%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// How the daemon writes its log lines (`--log-format`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// ``JournalLogHandler``: one `key=value` line per event, as journald keeps it.
    case text
    /// ``JSONLogHandler``: one JSON object per line, for log shippers.
    case json

    /// A handler for `label` in this format, writing to standard error.
    public func handler(label: String, level: Logger.Level) -> any LogHandler {
        switch self {
        case .text: JournalLogHandler(label: label, level: level)
        case .json: JSONLogHandler(label: label, level: level)
        }
    }
}
