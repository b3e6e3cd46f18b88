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
        let known = try await store.read { db in
            try Set(Int64.fetchAll(db, sql: "SELECT uid FROM inboundMessage WHERE uidValidity = ?", arguments: [validity]))
        }
        let leftBehind = listing.uids.filter { known.contains(Int64($0)) }
        try await file(uids: leftBehind, uidValidity: validity, to: processed, from: folder)
        var stored = 0
        let fresh = listing.uids.filter { !known.contains(Int64($0)) }
        var start = 0
        while start < fresh.count {
            let batch = Array(fresh[start..<min(start + Fetcher.batchSize, fresh.count)])
            start += batch.count
            let messages: [FetchedMessage]
            do {
                messages = try await reader.fetch(uids: batch, in: folder)
            } catch let error as TransportError where error.code == .tooLarge {
                // Left where it is: the junk folder is the provider's to empty.
                logger.warning(
                    "Message in imap.also_poll too large to fetch",
                    metadata: ["imap.folder": "\(folder)", "error": "\(error.message)", "rule": "also-poll"])
                continue
            }
            let now = clock.now()
            let outcomes = try await store.write { db in
                try messages.map { fetched -> (UInt32, InboundQueue.InsertOutcome) in
                    let message = InboundMessage(
                        uidValidity: validity, uid: Int64(fetched.uid), messageId: Fetcher.messageID(in: fetched.raw),
                        raw: Data(fetched.raw), receivedAt: now)
                    return (fetched.uid, try InboundQueue.insertIfNew(message, in: db))
                }
            }
            for (uid, outcome) in outcomes {
                if case .inserted(let id) = outcome {
                    stored += 1
                    logger.info(
                        "Inbound message stored",
                        metadata: ["inbound.id": "\(id)", "imap.uid": "\(uid)", "imap.folder": "\(folder)"])
                }
            }
            if !outcomes.isEmpty { afterStore() }
            try await file(uids: messages.map(\.uid), uidValidity: validity, to: processed, from: folder)
        }
        return stored
    }
}

extension Fetcher {
    /// ``storedValidity(folder:uidValidity:)`` for tests.
    public static func storedValidityForTests(folder: String, uidValidity: UInt32) -> Int64 {
        storedValidity(folder: folder, uidValidity: uidValidity)
    }
}
