#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import Synchronization

/// `write(2)` (the handler's own `write` property hides the C function inside it).
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}

/// One line per event on standard error, in a form journald keeps: a `<N>` syslog priority
/// prefix (journald reads it as the level), the level word, the constant message, then
/// `key=value` fields sorted by key. Values are single-line: CR, LF and other control
/// characters become spaces, so input can never forge a log line.
///
/// ```
/// <6>info Command executed command=help inbound.id=12 member.email=alice@example.org
/// ```
public struct JournalLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let write: @Sendable (String) -> Void

    /// A handler that writes to standard error.
    public init(label: String, level: Logger.Level = .info) {
        self.init(label: label, level: level) { line in
            JournalLogHandler.lock.withLock { _ in _ = JournalLogHandler.writeAll(line, to: 2) }
        }
    }

    /// Writes the whole line to `descriptor` (standard error: 2) with `write(2)`, again after a short
    /// write or an interrupted call; false when it cannot be written (journald gone, a closed
    /// descriptor): the line is dropped, and logging never stops the daemon.
    public static func writeAll(_ line: String, to descriptor: Int32) -> Bool {
        var line = line
        return line.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return true }
            var offset = 0
            while offset < bytes.count {
                let written = systemWrite(descriptor, base + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }

    /// A handler that hands each line to `write` (tests).
    public init(label: String, level: Logger.Level = .info, write: @escaping @Sendable (String) -> Void) {
        self.label = label
        self.logLevel = level
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
        var line = "<\(Self.priority(event.level))>\(event.level.rawValue) \(Self.clean(event.message.description))"
        for key in fields.keys.sorted() {
            guard let value = fields[key] else { continue }
            let text = Self.clean("\(value)")
            let needsQuotes = text.isEmpty
                || text.utf8.contains { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "=") }
            let quoted = needsQuotes ? "\"" + text.replacingQuotes() + "\"" : text
            line += " \(Self.clean(key))=\(quoted)"
        }
        write(line + "\n")
    }

    /// The syslog priority journald maps each level to.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The text on one line, with control characters as spaces, at most 2,000 characters.
    static func clean(_ text: String) -> String {
        // Most text is short printable ASCII, which stays as it is.
        if text.utf8.count <= 2000, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars.prefix(2000) {
            out.append(scalar.properties.generalCategory == .control || scalar == "\u{2028}" || scalar == "\u{2029}" ? " " : scalar)
        }
        return String(out)
    }
}

extension String {
    fileprivate func replacingQuotes() -> String {
        var out = ""
        for c in self { out += c == "\"" ? "\\\"" : String(c) }
        return out
    }
}
