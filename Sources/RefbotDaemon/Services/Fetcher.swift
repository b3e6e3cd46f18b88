import Foundation
import GRDB
import Logging
import RefbotMail
import RefbotStore
import RefbotTransport
import ServiceLifecycle
import Synchronization

/// Polls the IMAP inbox: stores each new mail's raw bytes, commits, and only then files the
/// original into `imap.processed_folder`. It also files quarantined mail into
/// `imap.quarantine_folder`. The only writer of `inboundMessage` (architecture §1).
///
/// Failure modes: an IMAP outage logs once and is retried every poll; a database that cannot be
/// written (locked by another process, disk full) logs once on the shared database log and the
/// mail stays in the inbox until the next poll; a crash between the commit and the move leaves the
/// mail in the inbox, and the next poll recognises it by `(uidValidity, uid)` or Message-ID and
/// only moves it; a processed or quarantine folder deleted while the daemon runs is created again.
public final class Fetcher: Service, Sendable {
    /// The most messages fetched and stored per transaction.
    public static let batchSize = 100
    /// The most bytes of mail fetched and stored per transaction, where the listing gave sizes (one
    /// larger message goes alone).
    public static let batchBytes = 16 << 20
    /// The most stored messages moved to the processed folder in one command. Each move makes the
    /// server read the folder's listing again (Dovecot with Maildir: every file name), so a deep
    /// inbox moved 100 at a time cost it time that grew with the inbox.
    public static let moveBatchSize = 1000

    let mailbox: any InboundMailbox
    let store: Store
    let configuration: Configuration
    let clock: DaemonClock
    let health: HealthState
    let logger: Logger
    let outage = OutageLog("IMAP")
    let databaseOutage: OutageLog
    let foldersReady = FlagBox()
    /// The folders as resolved at the first poll (special-use names looked up).
    let folders = Mutex<ResolvedFolders?>(nil)
    /// `imap.also_poll` folders a poll could not read, logged once each until they work again.
    let unreadable = Mutex<Set<String>>([])
    /// Wakes this service early.
    public let waker: Waker
    let afterStore: @Sendable () -> Void
    /// Counts IMAP errors by class (`/metrics`).
    let metrics: DaemonMetrics
    /// The inbox's UIDVALIDITY and the highest UID below which every message has been handled
    /// (stored and filed); the next poll asks only for UIDs above it. Unset at start: the first
    /// poll lists the whole inbox, so mail left behind by a crash is found.
    let inboxMark = Mutex<InboxMark?>(nil)

    public init(
        mailbox: any InboundMailbox, store: Store, configuration: Configuration, clock: DaemonClock,
        health: HealthState, logger: Logger, afterStore: @escaping @Sendable () -> Void = {}, waker: Waker = Waker(),
        databaseOutage: OutageLog = .database(), metrics: DaemonMetrics = DaemonMetrics()
    ) {
        self.metrics = metrics
        self.waker = waker
        self.databaseOutage = databaseOutage
        self.mailbox = mailbox
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.health = health
        self.logger = logger
        self.afterStore = afterStore
    }

    public func run() async throws {
        let watch = startWatching()
        // Both connections end with LOGOUT: the watch's, then the one that fetches and files.
        func endConnections() async {
            await watch?.stop()
            await mailbox.close()
        }
        do {
            try await runLoop(waker: waker, interval: .seconds(max(configuration.imap.pollSeconds, 1)), logger: logger) {
                _ = await self.runOnce()
            }
        } catch {
            await endConnections()
            throw error
        }
        await endConnections()
    }

    /// One poll: returns how many new mails were stored (nil when IMAP failed; the error is logged).
    @discardableResult
    public func runOnce() async -> Int? {
        do {
            let stored = try await poll()
            outage.succeeded(logger: logger)
            if stored > 0 { databaseOutage.succeeded(logger: logger) }
            health.pollSucceeded(at: clock.now())
            return stored
        } catch {
            // Say which side failed: the mail stays in the inbox either way and is fetched again.
            if Store.isTemporary(error) {
                databaseOutage.failed(error, logger: logger)
            } else {
                outage.failed(error, logger: logger)
            }
            if let error = error as? TransportError { metrics.transportFailed(error, protocol: .imap) }
            health.pollFailed(at: clock.now())
            return nil
        }
    }

    private func poll() async throws -> Int {
        if !foldersReady.value {
            let resolved = try await resolveFolders()
            try await mailbox.createFolderIfMissing(resolved.processed)
            try await mailbox.createFolderIfMissing(resolved.quarantine)
            folders.withLock { $0 = resolved }
            foldersReady.value = true
        }
        let resolved = currentFolders
        let processed = resolved.processed
        let quarantine = resolved.quarantine
        // Ask only for UIDs above the highest one already handled; a new UIDVALIDITY makes every UID new.
        let mark = inboxMark.withLock { $0 }
        var listing = try await mailbox.listInbox(after: mark?.uid ?? 0)
        var after = mark?.uid ?? 0
        if let mark, listing.uidValidity != mark.uidValidity {
            if mark.uid > 0 { listing = try await mailbox.listInbox(after: 0) }
            after = 0
        }
        let uidValidity = Int64(listing.uidValidity)
        let read = try await readFolder(listing, storedValidity: uidValidity, after: after, from: nil, to: processed) {
            batch in try await self.fetchSkippingOversize(batch, uidValidity: uidValidity, quarantine: quarantine)
        }
        // Every listed UID up to the first one not handled is out of the inbox now.
        var highest = after
        for uid in listing.uids {
            guard read.handled.contains(uid) else { break }
            highest = max(highest, uid)
        }
        inboxMark.withLock { $0 = InboxMark(uidValidity: listing.uidValidity, uid: highest) }
        var stored = read.stored
        for folder in resolved.alsoPoll {
            stored += try await pollAlso(folder, processed: processed)
        }
        try await fileQuarantined()
        return stored
    }

    /// Fetches a batch; when the server has a message larger than the transport takes, fetches
    /// one by one and files each such message straight into the quarantine folder, with a
    /// quarantined row (no bytes) so it is neither lost nor fetched again.
    private func fetchSkippingOversize(_ batch: [UInt32], uidValidity: Int64, quarantine: String) async throws
        -> FetchOutcome
    {
        do {
            return FetchOutcome(messages: try await mailbox.fetch(uids: batch))
        } catch let error as TransportError where error.code == .tooLarge {
            var fetched: [FetchedMessage] = []
            var setAside: [UInt32] = []
            for uid in batch {
                do {
                    fetched += try await mailbox.fetch(uids: [uid])
                } catch let error as TransportError where error.code == .tooLarge {
                    let now = clock.now()
                    let id = try await store.write { db -> Int64? in
                        var row = InboundMessage(
                            uidValidity: uidValidity, uid: Int64(uid), messageId: nil, raw: Data(), receivedAt: now)
                        guard case .inserted(let id) = try InboundQueue.insertIfNew(row, in: db) else { return nil }
                        row.id = id
                        try InboundQueue.markQuarantined(id, reason: "too large to fetch: \(error.message)", now: now, in: db)
                        return id
                    }
                    let mapping = try await moveCreatingFolder(uids: [uid], from: nil, to: quarantine)
                    setAside.append(uid)
                    if let id {
                        try await store.write { db in
                            try InboundQueue.recordQuarantineFiled(id, folder: quarantine, uid: mapping[uid].map(Int64.init), in: db)
                        }
                    }
                    logger.warning(
                        "Inbound message too large to fetch",
                        metadata: ["imap.uid": "\(uid)", "imap.folder": "\(quarantine)", "error": "\(error.message)"])
                }
            }
            return FetchOutcome(messages: fetched, setAside: setAside)
        }
    }

    /// Moves inbox mail that is safely stored into `folder` and records where it went.
    func file(uids: [UInt32], uidValidity: Int64, to folder: String, from source: String? = nil) async throws {
        guard !uids.isEmpty else { return }
        let mapping = try await moveCreatingFolder(uids: uids, from: source, to: folder)
        try await store.write { db in
            for uid in uids {
                if let id = try Int64.fetchOne(
                    cached: db, sql: "SELECT id FROM inboundMessage WHERE uidValidity = ? AND uid = ?", arguments: [uidValidity, Int64(uid)])
                {
                    try InboundQueue.recordFiled(id, folder: folder, uid: mapping[uid].map(Int64.init), in: db)
                }
            }
        }
    }

    /// Moves mail into `destination`; when the server refuses, the folder may have been deleted
    /// under the daemon (by an admin or another mail client): creates it if it is missing and tries
    /// once more. The move is idempotent for refbot: what did not move stays where it was.
    func moveCreatingFolder(uids: [UInt32], from source: String?, to destination: String) async throws
        -> [UInt32: UInt32]
    {
        do {
            return try await mailbox.move(uids: uids, from: source, to: destination)
        } catch let error as TransportError where !error.isTemporary {
            try await mailbox.createFolderIfMissing(destination)
            let mapping = try await mailbox.move(uids: uids, from: source, to: destination)
            logger.warning(
                "IMAP folder was missing and has been created again",
                metadata: ["imap.folder": "\(destination)", "error": "\(error.message)"])
            return mapping
        }
    }

    /// Moves the originals of quarantined rows from the processed folder to the quarantine folder.
    private func fileQuarantined() async throws {
        let rows = try await store.read { db in try InboundQueue.awaitingQuarantineFiling(in: db) }
        let quarantine = currentFolders.quarantine
        for row in rows {
            guard let id = row.id else { continue }
            if row.uidValidity == LinkActionRunner.linkUIDValidity {
                // Made by a one-click link, never in IMAP: nothing to move.
                try await store.write { db in try InboundQueue.recordQuarantineFiled(id, folder: quarantine, uid: nil, in: db) }
                continue
            }
            let from = row.filedFolder ?? currentFolders.processed
            var uids: [UInt32] = row.filedUid.flatMap { UInt32(exactly: $0) }.map { [$0] } ?? []
            if uids.isEmpty, let messageId = row.messageId {
                uids = try await mailbox.search(messageID: messageId, in: from)
            }
            var mapping: [UInt32: UInt32] = [:]
            if !uids.isEmpty {
                mapping = try await moveCreatingFolder(uids: uids, from: from, to: quarantine)
            }
            let newUid = uids.first.flatMap { mapping[$0] }.map(Int64.init)
            try await store.write { db in
                try InboundQueue.recordQuarantineFiled(id, folder: quarantine, uid: newUid, in: db)
            }
            logger.notice(
                "Quarantined message filed",
                metadata: ["inbound.id": "\(id)", "imap.folder": "\(quarantine)", "imap.found": "\(!uids.isEmpty)"])
        }
    }

    /// The Message-ID of raw mail, read leniently from its header (without angle brackets): the
    /// first `Message-ID:` field (any case) before the blank line that ends the header, folded lines
    /// joined; the text between its first `<` and the `>` after it, or the whole trimmed value when
    /// it has none; at most 250 characters. Read on the bytes of the header alone (lines end at CR,
    /// LF or CRLF), in the first 64 KB.
    static func messageID(in raw: [UInt8]) -> String? {
        let limit = min(raw.count, 64 * 1024)
        let name = Array("message-id:".utf8)
        var index = 0
        /// The end of the line that starts at `start` (its CR or LF, or `limit`), and where the next starts.
        func line(from start: Int) -> (end: Int, next: Int) {
            var end = start
            while end < limit, raw[end] != 0x0A, raw[end] != 0x0D { end += 1 }
            var next = end
            if next < limit, raw[next] == 0x0D { next += 1 }
            if next < limit, raw[next] == 0x0A, next == end || raw[end] == 0x0D { next += 1 }
            return (end, next)
        }
        func lowered(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
        while index < limit {
            let (end, next) = line(from: index)
            if end == index { return nil }
            let start = index
            index = next
            guard end - start >= name.count, name.indices.allSatisfy({ lowered(raw[start + $0]) == name[$0] }) else { continue }
            var value = Array(raw[(start + name.count)..<end])
            var following = next
            while following < limit, raw[following] == 0x20 || raw[following] == 0x09 {
                let (foldEnd, foldNext) = line(from: following)
                value += raw[following..<foldEnd]
                following = foldNext
            }
            let trimmed = String(decoding: value, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard let open = trimmed.firstIndex(of: "<"), let close = trimmed[open...].firstIndex(of: ">") else {
                return trimmed.isEmpty ? nil : String(trimmed.prefix(250))
            }
            let id = trimmed[trimmed.index(after: open)..<close]
            return id.isEmpty ? nil : String(id.prefix(250))
        }
        return nil
    }
}

/// A Sendable boolean.
final class FlagBox: Sendable {
    private let state = Mutex(false)
    var value: Bool {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
