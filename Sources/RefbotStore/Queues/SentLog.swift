import Foundation
import GRDB
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the Sender notes each mail the SMTP server has accepted, the moment it accepts it,
/// before the next mail goes out on that session: a small append-only file of its own beside the
/// database (`refbot.sqlite-sent`), so that a note is one `write(2)` that never waits for the
/// database's writer. The Sender folds the notes into the outbox (``fold(into:_:)``: each row
/// marked sent) after each batch and before it sends anything, so the outbox is never read for
/// sending while a note is unfolded; a note that outlives a crash is folded at the next start.
///
/// A note names its row by id and Message-ID: a note whose row is gone or holds another mail (a
/// restored older database) is dropped, never applied to the wrong row. A note is one line, the
/// id, the time, the Message-ID and a checksum of the three (FNV-1a, 64 bits, in hex):
///
/// ```text
/// 42 1796000000 20261205.a1b2@referrals.example.org c496a5033fa5e636
/// ```
///
/// A line whose checksum does not match (cut short when the machine lost power in the middle of a
/// write) is no note. A folded note's bytes are overwritten with zeros, and the file is emptied
/// once it holds ``compactionBytes`` of folded notes and nothing else (its zeros written out
/// first, so that no note is left in the file system's free blocks).
///
/// ```swift
/// let log = try SentLog(path: SentLog.path(forDatabase: "/var/lib/refbot/refbot.sqlite"))
/// try log.note(outboxId: 42, messageId: "<a@b>", sentAt: now)
/// let folded = try await log.fold(into: store) { db, note, row in
///     try Outbox.markSent(note.outboxId, now: note.sentAt, in: db)
/// }
/// ```
///
/// Failure modes: a note that cannot be written (a full disk, a Message-ID with a space in it)
/// throws, and the caller marks the row in the database instead; a fold whose database write fails
/// leaves every note in place for the next one (applying a note twice is harmless: the caller
/// skips rows already sent). A log that an earlier refbot kept as a SQLite file is read once, its
/// notes carried over, and replaced by the file (``init(path:)``).
public final class SentLog: Sendable {
    /// One mail the server accepted.
    public struct Note: Sendable, Equatable {
        public let outboxId: Int64
        public let messageId: String
        public let sentAt: Int64

        public init(outboxId: Int64, messageId: String, sentAt: Int64) {
            self.outboxId = outboxId
            self.messageId = messageId
            self.sentAt = sentAt
        }
    }

    /// The log's file for the database at `path`: the same name with `-sent` added.
    public static func path(forDatabase path: String) -> String { path + "-sent" }

    /// Folded notes the file may hold before it is emptied (about a thousand notes).
    public static let compactionBytes = 64 * 1024

    /// The log's file.
    public let path: String
    /// Notes are appended through this descriptor (`O_APPEND`: each `write` lands at the end).
    let appending: Int32
    /// Reads, overwrites and empties go through this one (Linux appends every `pwrite` on an
    /// `O_APPEND` descriptor, whatever its offset).
    private let editing: Int32
    /// One note, read or edit at a time within this process; holds whether the last note's write
    /// failed (it may have left part of a line, which the next note must not run on from).
    private let lock = Mutex(false)

    /// Opens the log at `path`, creating it (owner-only, like the database's folder) when missing.
    /// A log an earlier refbot kept as a SQLite database is converted first, its notes kept.
    public init(path: String) throws {
        self.path = path
        do {
            try Self.convertSQLiteLog(at: path)
        } catch {
            throw StoreError(
                code: .open,
                message: "cannot read the sent log at \(path), kept as SQLite by an earlier refbot; "
                    + "stop refbot and move it away (the mails noted in it may then go out a second time)",
                cause: error)
        }
        let appending = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        let editing = appending >= 0 ? open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW) : -1
        guard appending >= 0, editing >= 0 else {
            let code = errno
            if appending >= 0 { close(appending) }
            throw StoreError(
                code: .open, message: "cannot open the sent log at \(path); check bot.database's folder and its permissions",
                cause: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO))
        }
        self.appending = appending
        self.editing = editing
        // A line cut short (a power loss in the middle of a write) must not swallow the next note.
        let size = lseek(editing, 0, SEEK_END)
        if size > 0 {
            var last: UInt8 = 0
            if pread(editing, &last, 1, size - 1) == 1, last != UInt8(ascii: "\n") {
                _ = try? Self.writeAll([UInt8(ascii: "\n")], to: appending)
            }
        }
    }

    deinit {
        close(appending)
        close(editing)
    }

    /// Notes that the server accepted the mail of outbox row `outboxId`; blocks the calling thread
    /// for one `write`. Throws when the Message-ID holds anything but visible ASCII, or the write fails.
    public func note(outboxId: Int64, messageId: String, sentAt: Int64) throws {
        guard !messageId.isEmpty, messageId.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw SentLogError.unwritableMessageId(messageId)
        }
        let line = Self.lineBytes(outboxId: outboxId, messageId: messageId, sentAt: sentAt)
        try lock.withLock { lastFailed in
            do {
                try Self.writeAll(lastFailed ? [UInt8(ascii: "\n")] + line : line, to: appending)
                lastFailed = false
            } catch {
                lastFailed = true
                throw error
            }
        }
    }

    /// Every note not yet folded, in the order they were written.
    public func notes() throws -> [Note] {
        try lock.withLock { _ in try readNotes().map(\.note) }
    }

    /// What a fold did: what `apply` returned for each note it applied, in order, and the notes
    /// dropped because their row is gone or holds another mail.
    public struct Folded<T: Sendable>: Sendable {
        public var applied: [T] = []
        public var dropped: [Note] = []
    }

    /// Applies every note to the database in one transaction of `store` (`apply` is called for
    /// each note whose row still holds that mail, with that `outboxMessage` row: the `columns`
    /// given, constant SQL such as `"state, raw"`, or every column), then forgets them. Nothing is
    /// forgotten when the transaction fails; notes written meanwhile are left for the next fold.
    public func fold<T: Sendable>(
        into store: Store, columns: String = "*", _ apply: @escaping @Sendable (Database, Note, Row) throws -> T
    ) async throws -> Folded<T> {
        let placed = try lock.withLock { _ in try readNotes() }
        guard !placed.isEmpty else { return Folded() }
        let notes = placed.map(\.note)
        let folded = try await store.write { db -> Folded<T> in
            var folded = Folded<T>()
            for note in notes {
                if let row = try Row.fetchOne(
                    cached: db, sql: "SELECT \(columns) FROM outboxMessage WHERE id = ? AND messageId = ?",
                    arguments: [note.outboxId, note.messageId])
                {
                    folded.applied.append(try apply(db, note, row))
                } else {
                    folded.dropped.append(note)
                }
            }
            return folded
        }
        try lock.withLock { _ in try forget(placed) }
        return folded
    }

    // MARK: - The file

    /// A note and where its line lies in the file.
    private struct Placed {
        var note: Note
        var range: Range<Int>
    }

    /// The line of one note, ending in LF.
    public static func line(outboxId: Int64, messageId: String, sentAt: Int64) -> String {
        String(decoding: lineBytes(outboxId: outboxId, messageId: messageId, sentAt: sentAt), as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// ``line(outboxId:messageId:sentAt:)`` as bytes, written without Foundation or interpolation.
    static func lineBytes(outboxId: Int64, messageId: String, sentAt: Int64) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(messageId.utf8.count + 60)
        bytes.append(contentsOf: String(outboxId).utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: String(sentAt).utf8)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: messageId.utf8)
        let sum = checksum(bytes)
        bytes.append(UInt8(ascii: " "))
        bytes.append(contentsOf: hexBytes(sum))
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// The note a line (without its LF) holds, or nil for zeros, a line cut short or one altered.
    static func note(inLine line: ArraySlice<UInt8>) -> Note? {
        var line = line
        while line.first == 0 { line.removeFirst() }
        while line.last == 0 { line.removeLast() }
        guard let lastSpace = line.lastIndex(of: UInt8(ascii: " ")) else { return nil }
        let body = line[..<lastSpace]
        guard line[(lastSpace + 1)...].elementsEqual(hexBytes(checksum(Array(body)))) else { return nil }
        let fields = body.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard fields.count == 3,
            let outboxId = Int64(String(decoding: fields[0], as: UTF8.self)),
            let sentAt = Int64(String(decoding: fields[1], as: UTF8.self)),
            !fields[2].isEmpty
        else { return nil }
        return Note(outboxId: outboxId, messageId: String(decoding: fields[2], as: UTF8.self), sentAt: sentAt)
    }

    /// FNV-1a, 64 bits: enough to tell a whole line from one cut short or run into zeros.
    static func checksum(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return hash
    }

    /// `value` as sixteen lowercase hex digits.
    private static func hexBytes(_ value: UInt64) -> [UInt8] {
        stride(from: 60, through: 0, by: -4).map { hexDigits[Int((value >> UInt64($0)) & 0xF)] }
    }

    /// The whole file (caller holds `lock`).
    private func contents() throws -> [UInt8] {
        let size = lseek(editing, 0, SEEK_END)
        guard size >= 0 else { throw SentLogError.io("read", errno) }
        var bytes = [UInt8](repeating: 0, count: Int(size))
        var done = 0
        while done < bytes.count {
            let got = bytes.withUnsafeMutableBytes { raw in pread(editing, raw.baseAddress! + done, raw.count - done, off_t(done)) }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                if got == 0 { break }
                throw SentLogError.io("read", errno)
            }
            done += got
        }
        bytes.removeLast(bytes.count - done)
        return bytes
    }

    /// The notes in the file with their lines' places (caller holds `lock`).
    private func readNotes() throws -> [Placed] {
        let bytes = try contents()
        var placed: [Placed] = []
        var start = 0
        while start < bytes.count {
            guard let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) else { break }
            if let note = Self.note(inLine: bytes[start..<end]) { placed.append(Placed(note: note, range: start..<end)) }
            start = end + 1
        }
        return placed
    }

    /// Overwrites the lines of folded notes with zeros, and empties a file that holds nothing
    /// else once it is ``compactionBytes`` long (caller holds `lock`).
    private func forget(_ placed: [Placed]) throws {
        for line in placed {
            let zeros = [UInt8](repeating: 0, count: line.range.count)
            guard pwrite(editing, zeros, zeros.count, off_t(line.range.lowerBound)) == zeros.count else {
                throw SentLogError.io("overwrite", errno)
            }
        }
        guard lseek(editing, 0, SEEK_END) >= Self.compactionBytes, try readNotes().isEmpty else { return }
        // The zeros reach the disk before the file lets its blocks go.
        guard fdatasync(editing) == 0, ftruncate(editing, 0) == 0 else { throw SentLogError.io("empty", errno) }
    }

    private static func writeAll(_ bytes: [UInt8], to descriptor: Int32) throws {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { raw in write(descriptor, raw.baseAddress! + done, raw.count - done) }
            if wrote < 0 && errno == EINTR { continue }
            guard wrote > 0 else { throw SentLogError.io("write", errno) }
            done += wrote
        }
    }

    // MARK: - The log as an earlier refbot kept it

    /// The first bytes of every SQLite database file.
    private static let sqliteHeader = Array("SQLite format 3\0".utf8)

    /// Replaces a log kept as SQLite (`sentNote` rows) by the file, with the same notes: written
    /// beside it, made durable, then renamed over it, so that a crash at any point leaves one or
    /// the other whole. The SQLite log's own `-wal` and `-shm` files go after.
    static func convertSQLiteLog(at path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { return }
        let head = (try? handle.read(upToCount: sqliteHeader.count)) ?? nil
        try? handle.close()
        guard let head, Array(head) == sqliteHeader else {
            // Only the side files of a converted log may be left (a crash right after the rename).
            for side in [path + "-wal", path + "-shm"] { unlink(side) }
            return
        }
        // Read through SQLite (its write-ahead log included), and closed before the rename.
        let notes: [Note] = try {
            let queue = try DatabaseQueue(path: path)
            return try queue.read { db in
                guard try db.tableExists("sentNote") else { return [] }
                return try Row.fetchAll(db, sql: "SELECT outboxId, messageId, sentAt FROM sentNote ORDER BY outboxId").map {
                    Note(outboxId: $0[0], messageId: $0[1], sentAt: $0[2])
                }
            }
        }()
        let converted = path + ".converting"
        unlink(converted)
        let fd = open(converted, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw SentLogError.io("create", errno) }
        do {
            let text = notes.map { line(outboxId: $0.outboxId, messageId: $0.messageId, sentAt: $0.sentAt) }.joined()
            try writeAll(Array(text.utf8), to: fd)
            guard fsync(fd) == 0 else { throw SentLogError.io("write", errno) }
            close(fd)
        } catch {
            close(fd)
            unlink(converted)
            throw error
        }
        guard rename(converted, path) == 0 else { throw SentLogError.io("rename", errno) }
        for side in [path + "-wal", path + "-shm"] { unlink(side) }
    }
}

/// Why a note could not be written or the log read.
public enum SentLogError: Error, Sendable, CustomStringConvertible {
    /// A Message-ID that is empty or holds a space, a control or a non-ASCII character.
    case unwritableMessageId(String)
    /// A system call on the log's file failed (`errno`).
    case io(String, Int32)

    public var description: String {
        switch self {
        case .unwritableMessageId(let id): "the Message-ID \(id.debugDescription) cannot be written to the sent log"
        case .io(let operation, let code): "cannot \(operation) the sent log: \(String(cString: strerror(code)))"
        }
    }
}
