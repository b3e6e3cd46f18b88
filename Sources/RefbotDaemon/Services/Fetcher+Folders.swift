import Foundation
import GRDB
import Logging
import RefbotStore
import RefbotTransport
import Synchronization

extension Fetcher {
    /// The folders in use: as resolved at the first poll, or as configured before it.
    var currentFolders: ResolvedFolders {
        folders.withLock { $0 }
            ?? ResolvedFolders(
                processed: configuration.imap.processedFolder, quarantine: configuration.imap.quarantineFolder,
                alsoPoll: configuration.imap.alsoPoll)
    }

    /// Looks up special-use folders where the configuration asks for them (``FolderResolution``)
    /// and logs what is used. A server that cannot list them leaves the names as configured.
    func resolveFolders() async throws -> ResolvedFolders {
        let imap = configuration.imap
        let reader = mailbox as? any FolderReadingMailbox
        var specialUse: [SpecialUseFolder] = []
        if FolderResolution.needsListing(imap), let reader {
            do {
                specialUse = try await reader.specialUseFolders()
            } catch let error as TransportError where !error.isTemporary {
                logger.warning("IMAP special-use folders cannot be listed", metadata: ["error": "\(error.message)"])
            }
        }
        var (resolved, problems) = FolderResolution.resolve(imap, inbox: "INBOX", specialUse: specialUse)
        if reader == nil, !resolved.alsoPoll.isEmpty {
            problems.append("imap.also_poll: this mailbox reads only its inbox folder")
            resolved.alsoPoll = []
        }
        for problem in problems {
            logger.warning("IMAP folder setting not used as written", metadata: ["error": "\(problem)", "rule": "imap-folders"])
        }
        logger.info(
            "IMAP folders",
            metadata: [
                "imap.processed": "\(resolved.processed)", "imap.quarantine": "\(resolved.quarantine)",
                "imap.also_poll": "\(resolved.alsoPoll.joined(separator: ","))",
                "imap.special_use": "\(specialUse.map { "\($0.name)=\($0.attributes.joined(separator: " "))" }.joined(separator: "; "))",
            ])
        return resolved
    }

    /// The `uidValidity` stored for a message of an `imap.also_poll` folder: the folder's
    /// UIDVALIDITY in the low 32 bits and a hash of its name above, so its UIDs never meet the
    /// inbox's (whose UIDVALIDITY fits in 32 bits) nor another folder's.
    static func storedValidity(folder: String, uidValidity: UInt32) -> Int64 {
        var hash: UInt32 = 2_166_136_261
        for byte in folder.utf8 {
            hash ^= UInt32(byte)
            hash &*= 16_777_619
        }
        return (Int64(hash & 0x7fff_ffff) | 1) << 32 | Int64(uidValidity)
    }

    /// Reads one `imap.also_poll` folder with the inbox's rules: each new message is stored, then
    /// moved out of the folder to the processed folder (the junk folder keeps nothing refbot has
    /// read). A folder that cannot be read is logged once and skipped; the inbox goes on.
    func pollAlso(_ folder: String, processed: String) async throws -> Int {
        guard let reader = mailbox as? any FolderReadingMailbox else { return 0 }
        let listing: FolderListing
        do {
            listing = try await reader.list(folder: folder)
        } catch let error as TransportError where !error.isTemporary {
            let first = unreadable.withLock { $0.insert(folder).inserted }
            if first {
                logger.warning(
                    "IMAP folder in imap.also_poll cannot be read",
                    metadata: ["imap.folder": "\(folder)", "error": "\(error.message)", "rule": "also-poll"])
            }
            return 0
        }
        if unreadable.withLock({ $0.remove(folder) != nil }) {
            logger.info("IMAP folder in imap.also_poll read again", metadata: ["imap.folder": "\(folder)"])
        }
        let validity = Fetcher.storedValidity(folder: folder, uidValidity: listing.uidValidity)
        let read = try await readFolder(listing, storedValidity: validity, after: 0, from: folder, to: processed) { batch in
            do {
                return FetchOutcome(messages: try await reader.fetch(uids: batch, in: folder))
            } catch let error as TransportError where error.code == .tooLarge {
                // Left where it is: the junk folder is the provider's to empty.
                self.logger.warning(
                    "Message in imap.also_poll too large to fetch",
                    metadata: ["imap.folder": "\(folder)", "error": "\(error.message)", "rule": "also-poll"])
                return FetchOutcome(messages: [])
            }
        }
        return read.stored
    }

    /// Reads one folder's listed mail with the same rules for the inbox and `imap.also_poll`: mail
    /// stored before (a crash between the commit and the move) is only moved; the rest is fetched
    /// in batches of at most ``batchSize`` messages and ``batchBytes`` bytes (where the listing gave
    /// sizes), each batch stored in one transaction, and only then moved to `processed`: up to
    /// ``moveBatchSize`` stored messages in one move, the rest at the end of the pass. A pass that
    /// fails part-way leaves what it stored in the folder, and the next one only moves it.
    /// `after`: the listing holds only UIDs above it, so only those are looked up in the store.
    func readFolder(
        _ listing: FolderListing, storedValidity validity: Int64, after: UInt32, from folder: String?,
        to processed: String, fetch: ([UInt32]) async throws -> FetchOutcome
    ) async throws -> (stored: Int, handled: Set<UInt32>) {
        let known = try await store.read { db in
            try Set(
                Int64.fetchAll(
                    db, sql: "SELECT uid FROM inboundMessage WHERE uidValidity = ? AND uid > ?",
                    arguments: [validity, Int64(after)]))
        }
        let leftBehind = listing.uids.filter { known.contains(Int64($0)) }
        try await file(uids: leftBehind, uidValidity: validity, to: processed, from: folder)
        var handled = Set(leftBehind)
        var stored = 0
        let fresh = listing.uids.filter { !known.contains(Int64($0)) }
        // Stored and waiting to be moved: one MOVE for many batches, as each makes the server
        // go over the folder again (Dovecot reads a Maildir's whole listing after each).
        var unfiled: [UInt32] = []
        func fileUnfiled() async throws {
            try await file(uids: unfiled, uidValidity: validity, to: processed, from: folder)
            handled.formUnion(unfiled)
            unfiled = []
        }
        var start = 0
        while start < fresh.count {
            var end = start
            var bytes = 0
            while end < fresh.count, end - start < Fetcher.batchSize {
                let size = listing.sizes[fresh[end]] ?? 0
                if end > start, bytes + size > Fetcher.batchBytes { break }
                bytes += size
                end += 1
            }
            let batch = Array(fresh[start..<end])
            start = end
            let outcome = try await fetch(batch)
            handled.formUnion(outcome.setAside)
            let messages = outcome.messages
            let now = clock.now()
            // Durable before the move below: once the server has filed the mail away, this copy is the only one.
            let outcomes = try await store.writeDurably { db in
                try messages.map { fetched -> (UInt32, InboundQueue.InsertOutcome) in
                    let message = InboundMessage(
                        uidValidity: validity, uid: Int64(fetched.uid), messageId: Fetcher.messageID(in: fetched.raw),
                        raw: Data(fetched.raw), receivedAt: now)
                    return (fetched.uid, try InboundQueue.insertIfNew(message, in: db))
                }
            }
            let where_: Logger.Metadata = folder.map { ["imap.folder": "\($0)"] } ?? [:]
            for (uid, outcome) in outcomes {
                switch outcome {
                case .inserted(let id):
                    stored += 1
                    logger.info(
                        "Inbound message stored",
                        metadata: where_.merging(["inbound.id": "\(id)", "imap.uid": "\(uid)"]) { $1 })
                case .duplicate(let id):
                    logger.notice(
                        "Inbound message already stored",
                        metadata: where_.merging(["inbound.id": "\(id)", "imap.uid": "\(uid)"]) { $1 })
                }
            }
            if !outcomes.isEmpty { afterStore() }
            unfiled += messages.map(\.uid)
            if unfiled.count >= Fetcher.moveBatchSize { try await fileUnfiled() }
        }
        try await fileUnfiled()
        return (stored, handled)
    }

    /// Starts the inbox watch (IMAP IDLE) when the mailbox has one: new mail wakes this service at
    /// once; `imap.poll_seconds` stays the fallback.
    func startWatching() -> (any InboxWatch)? {
        guard let watching = mailbox as? any InboxWatchingMailbox else { return nil }
        let waker = self.waker
        let logger = self.logger
        let reported = LastWatchEvent()
        return watching.watchInbox(onNewMail: { waker.nudge() }) { event in
            // the same failure over and over is logged once
            let repeated = reported.event.withLock { last -> Bool in
                defer { last = event }
                if case .failed(let a, _)? = last, case .failed(let b, _) = event { return a.message == b.message }
                return false
            }
            switch event {
            case .watching(let seconds):
                logger.info("IMAP IDLE watching the inbox", metadata: ["imap.idle_reissue_seconds": "\(seconds)"])
            case .unsupported:
                logger.notice(
                    "IMAP server has no IDLE; new mail is found by polling",
                    metadata: ["imap.poll_seconds": "\(self.configuration.imap.pollSeconds)"])
            case .failed(let error, let retry):
                if !repeated {
                    logger.warning(
                        "IMAP IDLE connection failed",
                        metadata: ["error": "\(error.message)", "imap.retry_seconds": "\(retry)"])
                }
            }
        }
    }
}

/// The watch's last event, to log a repeated failure once.
private final class LastWatchEvent: Sendable {
    let event = Mutex<InboxWatchEvent?>(nil)
}

/// The inbox's UIDVALIDITY and the highest UID handled (see ``Fetcher/inboxMark``).
struct InboxMark: Sendable, Equatable {
    var uidValidity: UInt32
    var uid: UInt32
}

/// What a batch fetch brought: the messages, and the UIDs set aside without bytes (too large,
/// filed into quarantine).
struct FetchOutcome: Sendable {
    var messages: [FetchedMessage]
    var setAside: [UInt32] = []
}

extension Fetcher {
    /// ``storedValidity(folder:uidValidity:)`` for tests.
    public static func storedValidityForTests(folder: String, uidValidity: UInt32) -> Int64 {
        storedValidity(folder: folder, uidValidity: uidValidity)
    }
}
