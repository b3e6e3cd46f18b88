import Foundation
import GRDB
@testable import RefbotStore
import Synchronization
import Testing

/// The sent log's file: notes outlive the log that wrote them, a line cut short or altered is no
/// note, a folded note leaves zeros, and a log an earlier refbot kept as SQLite keeps its notes.
@Suite("The sent log's file")
struct SentLogFileTests {
    let directory: String
    let logPath: String

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("refbot-sentlog-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        logPath = SentLog.path(forDatabase: directory + "/refbot.sqlite")
    }

    private func bytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: logPath))) }

    private func append(_ text: [UInt8]) throws {
        let handle = try #require(FileHandle(forWritingAtPath: logPath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text))
        try handle.close()
    }

    @Test("notes are read back in the order written, by the same log and by a log opened later on the same file")
    func notesOutliveTheLog() throws {
        do {
            let log = try SentLog(path: logPath)
            try log.note(outboxId: 7, messageId: "a1@referrals.example.org", sentAt: 1_796_000_000)
            try log.note(outboxId: 3, messageId: "<b2@referrals.example.org>", sentAt: 1_796_000_001)
            #expect(try log.notes().map(\.outboxId) == [7, 3])
        }
        let reopened = try SentLog(path: logPath)
        #expect(
            try reopened.notes() == [
                SentLog.Note(outboxId: 7, messageId: "a1@referrals.example.org", sentAt: 1_796_000_000),
                SentLog.Note(outboxId: 3, messageId: "<b2@referrals.example.org>", sentAt: 1_796_000_001),
            ])
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: logPath)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0, "owner-only: \(String(mode, radix: 8))")
    }

    @Test("a note's line is the id, the time, the Message-ID and their FNV-1a checksum (the value computed apart)")
    func lineFormat() {
        #expect(
            SentLog.line(outboxId: 42, messageId: "20261205.a1b2@referrals.example.org", sentAt: 1_796_000_000)
                == "42 1796000000 20261205.a1b2@referrals.example.org c496a5033fa5e636\n")
    }

    @Test("a line cut short at the end (power lost in the middle of a write) is no note, and does not swallow the next one")
    func lineCutShort() throws {
        do {
            let log = try SentLog(path: logPath)
            try log.note(outboxId: 1, messageId: "one@example.org", sentAt: 10)
        }
        let whole = Array("2 20 two@example.org ".utf8)
        try append(whole)  // no checksum, no line end
        let log = try SentLog(path: logPath)
        try log.note(outboxId: 3, messageId: "three@example.org", sentAt: 30)
        #expect(try log.notes().map(\.outboxId) == [1, 3])
    }

    @Test("after a write that failed (a full disk here) and left part of a line, the next note starts on a line of its own")
    func noteAfterFailedWrite() throws {
        let log = try SentLog(path: logPath)
        try log.note(outboxId: 1, messageId: "one@example.org", sentAt: 10)
        // The log's descriptor pointed at /dev/full for one note: the write fails with ENOSPC.
        let saved = dup(log.appending)
        let full = open("/dev/full", O_WRONLY)
        #expect(saved >= 0 && full >= 0)
        #expect(dup2(full, log.appending) == log.appending)
        #expect(throws: SentLogError.self) { try log.note(outboxId: 2, messageId: "two@example.org", sentAt: 20) }
        #expect(dup2(saved, log.appending) == log.appending)
        close(saved)
        close(full)
        // What a write cut short by the full disk would have left.
        try append(Array("2 20 two@exa".utf8))
        try log.note(outboxId: 3, messageId: "three@example.org", sentAt: 30)
        #expect(try log.notes().map(\.outboxId) == [1, 3])
    }

    @Test("a line altered on disk, or one cut in the middle of its checksum, is no note")
    func lineAltered() throws {
        let good = SentLog.line(outboxId: 5, messageId: "five@example.org", sentAt: 50)
        let altered = good.replacingOccurrences(of: "5 50", with: "6 50")
        let cut = String(SentLog.line(outboxId: 8, messageId: "eight@example.org", sentAt: 80).dropLast(5)) + "\n"
        FileManager.default.createFile(atPath: logPath, contents: Data((good + altered + cut).utf8))
        let log = try SentLog(path: logPath)
        #expect(try log.notes() == [SentLog.Note(outboxId: 5, messageId: "five@example.org", sentAt: 50)])
    }

    @Test("a Message-ID with a space, a control character or nothing in it is refused, and the log is left as it was")
    func unwritableMessageIds() throws {
        let log = try SentLog(path: logPath)
        for id in ["two words@example.org", "line\nbreak@example.org", "", "caf\u{E9}@example.org"] {
            #expect(throws: SentLogError.self) { try log.note(outboxId: 1, messageId: id, sentAt: 1) }
        }
        #expect(try bytes().isEmpty)
    }

    @Test("a fold marks the notes whose row holds that mail, drops the others, leaves zeros where they were, and keeps a note written meanwhile")
    func foldForgetsWhatItApplied() async throws {
        let (store, _) = try makeStore()
        let (first, second) = try await store.write { db in
            (
                try Outbox.enqueue(outbox(), envelopeFrom: { "bounce-\($0)@example.org" }, in: db),
                try Outbox.enqueue(outbox(), envelopeFrom: { "bounce-\($0)@example.org" }, in: db)
            )
        }
        let rows = try await store.read { db in try OutboxMessage.fetchAll(db, sql: "SELECT * FROM outboxMessage ORDER BY id") }
        let log = try SentLog(path: logPath)
        try log.note(outboxId: first, messageId: rows[0].messageId, sentAt: 111)
        try log.note(outboxId: second, messageId: "another-mail@example.org", sentAt: 222)
        let folded = try await log.fold(into: store) { db, note, row in
            #expect(row["id"] == note.outboxId && row["messageId"] == note.messageId, "the note's own row: \(row)")
            try Outbox.markSent(note.outboxId, now: note.sentAt, in: db)
            // The second session's note, written while the fold's transaction is open.
            if note.outboxId == first { try log.note(outboxId: 99, messageId: "late@example.org", sentAt: 333) }
            return note.outboxId
        }
        #expect(folded.applied == [first])
        #expect(folded.dropped.map(\.messageId) == ["another-mail@example.org"])
        #expect(try log.notes() == [SentLog.Note(outboxId: 99, messageId: "late@example.org", sentAt: 333)])
        let text = String(decoding: try bytes().filter { $0 != 0 }, as: UTF8.self)
        #expect(!text.contains(rows[0].messageId) && !text.contains("another-mail"), "folded notes overwritten: \(text)")
        let states = try await store.read { db in
            try Row.fetchAll(db, sql: "SELECT state, sentAt FROM outboxMessage ORDER BY id").map { ($0[0] as String, $0[1] as Int64?) }
        }
        #expect(states.map(\.0) == ["sent", "pending"])
        #expect(states.first?.1 == 111)
    }

    @Test("a fold given columns hands apply the note's row with those columns only, and still drops another mail's note")
    func foldWithColumns() async throws {
        let (store, _) = try makeStore()
        let id = try await store.write { db in
            try Outbox.enqueue(outbox(), envelopeFrom: { "bounce-\($0)@example.org" }, in: db)
        }
        let messageId = try await store.read { db in
            try String.fetchOne(db, sql: "SELECT messageId FROM outboxMessage WHERE id = ?", arguments: [id])
        }
        let log = try SentLog(path: logPath)
        try log.note(outboxId: id, messageId: try #require(messageId), sentAt: 5)
        try log.note(outboxId: id, messageId: "another-mail@example.org", sentAt: 6)
        let folded = try await log.fold(into: store, columns: "state, raw") { _, _, row in
            Array(row.columnNames)
        }
        #expect(folded.applied == [["state", "raw"]])
        #expect(folded.dropped.map(\.messageId) == ["another-mail@example.org"])
    }

    @Test("a file of folded notes is emptied once it reaches the compaction size, and notes go on after")
    func foldedFileEmptied() async throws {
        let (store, _) = try makeStore()
        let log = try SentLog(path: logPath)
        let perNote = SentLog.line(outboxId: 1000, messageId: "m-1000@referrals.example.org", sentAt: 1_796_000_000).utf8.count
        let count = SentLog.compactionBytes / perNote + 1
        for n in 0..<count { try log.note(outboxId: Int64(1000 + n), messageId: "m-\(1000 + n)@referrals.example.org", sentAt: 1_796_000_000) }
        #expect(try bytes().count >= SentLog.compactionBytes)
        let folded = try await log.fold(into: store) { _, note, _ in note.outboxId }
        #expect(folded.dropped.count == count, "no such rows: dropped")
        #expect(try bytes().isEmpty)
        try log.note(outboxId: 5, messageId: "after@example.org", sentAt: 1)
        #expect(try log.notes().map(\.outboxId) == [5])
    }

    @Test("a short file of folded notes is kept, all zeros, and read as empty")
    func foldedFileKeptBelowTheSize() async throws {
        let (store, _) = try makeStore()
        let log = try SentLog(path: logPath)
        try log.note(outboxId: 1, messageId: "one@example.org", sentAt: 1)
        _ = try await log.fold(into: store) { _, note, _ in note.outboxId }
        let left = try bytes()
        #expect(!left.isEmpty && left.allSatisfy { $0 == 0 || $0 == UInt8(ascii: "\n") })
        #expect(try log.notes().isEmpty)
    }

    @Test("notes from several threads at once are all read back whole")
    func concurrentNotes() async throws {
        let log = try SentLog(path: logPath)
        await withTaskGroup(of: Void.self) { group in
            for lane in 0..<4 {
                group.addTask {
                    for n in 0..<200 { try? log.note(outboxId: Int64(lane * 1000 + n), messageId: "l\(lane)-\(n)@example.org", sentAt: 1) }
                }
            }
        }
        let ids = try log.notes().map(\.outboxId)
        #expect(ids.count == 800)
        #expect(Set(ids).count == 800)
    }

    @Test("a log an earlier refbot kept as SQLite, its write-ahead log included, becomes the file with the same notes")
    func sqliteLogConverted() throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        let queue = try DatabaseQueue(path: logPath, configuration: configuration)
        try queue.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode = WAL")
            try db.execute(sql: "CREATE TABLE sentNote (outboxId INTEGER PRIMARY KEY, messageId TEXT NOT NULL, sentAt INTEGER NOT NULL)")
            try db.execute(sql: "INSERT INTO sentNote VALUES (4, 'four@example.org', 40), (2, 'two@example.org', 20)")
        }
        // The earlier refbot still has it open: its notes are in the -wal file, not yet in the database file.
        let walSize = try #require(try FileManager.default.attributesOfItem(atPath: logPath + "-wal")[.size] as? Int)
        #expect(walSize > 0)
        let log = try SentLog(path: logPath)
        #expect(
            try log.notes() == [
                SentLog.Note(outboxId: 2, messageId: "two@example.org", sentAt: 20),
                SentLog.Note(outboxId: 4, messageId: "four@example.org", sentAt: 40),
            ])
        #expect(!String(decoding: try bytes().prefix(16), as: UTF8.self).hasPrefix("SQLite format 3"))
        #expect(!FileManager.default.fileExists(atPath: logPath + "-wal"))
        #expect(!FileManager.default.fileExists(atPath: logPath + "-shm"))
        #expect(!FileManager.default.fileExists(atPath: logPath + ".converting"))
        try log.note(outboxId: 6, messageId: "six@example.org", sentAt: 60)
        #expect(try SentLog(path: logPath).notes().map(\.outboxId) == [2, 4, 6])
        try queue.close()
    }
}
