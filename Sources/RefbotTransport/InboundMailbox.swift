/// The UIDs in a folder, with the folder's UIDVALIDITY.
public struct FolderListing: Sendable, Equatable {
    public var uidValidity: UInt32
    /// Every message's UID, ascending.
    public var uids: [UInt32]
    /// Message sizes in bytes (RFC822.SIZE) by UID, where the listing learnt them; may be empty.
    public var sizes: [UInt32: Int]
    public init(uidValidity: UInt32, uids: [UInt32], sizes: [UInt32: Int] = [:]) {
        self.uidValidity = uidValidity
        self.uids = uids
        self.sizes = sizes
    }
}

/// One message's raw bytes as the IMAP server holds them.
public struct FetchedMessage: Sendable, Equatable {
    public var uidValidity: UInt32
    public var uid: UInt32
    public var raw: [UInt8]
    public init(uidValidity: UInt32, uid: UInt32, raw: [UInt8]) {
        self.uidValidity = uidValidity
        self.uid = uid
        self.raw = raw
    }
}

/// The mailbox refbot reads: the inbox folder named by its URL, plus the folders it files mail into.
///
/// Every method may throw ``TransportError``; the implementation decides temporary or permanent.
/// Methods are safe to repeat: moving a UID that is no longer there is not an error.
///
/// ```swift
/// let listing = try await mailbox.listInbox()
/// for message in try await mailbox.fetch(uids: Array(listing.uids.prefix(50))) { … store … }
/// _ = try await mailbox.move(uids: stored, from: nil, to: "Processed")
/// ```
public protocol InboundMailbox: Sendable {
    /// Selects the inbox folder and returns its UIDVALIDITY and every UID in it (`UID SEARCH ALL`).
    func listInbox() async throws -> FolderListing
    /// The inbox's UIDs above `uid`, with the folder's UIDVALIDITY (a default implementation filters
    /// ``listInbox()``).
    func listInbox(after uid: UInt32) async throws -> FolderListing
    /// Fetches the raw bytes of these inbox UIDs, in order, without setting flags where the server
    /// allows; UIDs that no longer exist are left out of the result.
    func fetch(uids: [UInt32]) async throws -> [FetchedMessage]
    /// Moves messages from `folder` (nil: the inbox folder) to `destination` (`UID MOVE`, or
    /// COPY + `\Deleted` + EXPUNGE where the server lacks MOVE). Returns the new UIDs in
    /// `destination` by old UID where the server reports them (COPYUID).
    func move(uids: [UInt32], from folder: String?, to destination: String) async throws -> [UInt32: UInt32]
    /// The UIDs in `folder` of messages whose Message-ID header is `messageID` (without angle brackets).
    func search(messageID: String, in folder: String) async throws -> [UInt32]
    /// Creates the folder unless it exists.
    func createFolderIfMissing(_ name: String) async throws
    /// Logs in and selects the inbox folder, to prove the settings work.
    func checkLogin() async throws
    /// Ends the connection politely (IMAP: LOGOUT) when the daemon stops; a later call opens a new one.
    func close() async
}

extension InboundMailbox {
    /// Nothing to end (mailboxes that hold no connection).
    public func close() async {}

    /// The inbox's UIDs above `uid` (all of them for 0). Mailboxes that can ask the server for only
    /// those (`UID FETCH n+1:*`) do; this default lists everything and filters.
    public func listInbox(after uid: UInt32) async throws -> FolderListing {
        var listing = try await listInbox()
        if uid > 0 { listing.uids = listing.uids.filter { $0 > uid } }
        return listing
    }
}

/// What an inbox watch (IMAP IDLE) reports, for the log.
public enum InboxWatchEvent: Sendable, Equatable {
    /// Idling on the inbox; the command is sent again every `reissueSeconds`.
    case watching(reissueSeconds: Int)
    /// The server has no IDLE: new mail is found by polling only.
    case unsupported
    /// The watch connection failed; it is tried again after `retrySeconds`.
    case failed(TransportError, retrySeconds: Int)
}

/// A running inbox watch; ``stop()`` ends it cleanly (IMAP: DONE, then LOGOUT).
public protocol InboxWatch: Sendable {
    func stop() async
}

/// A mailbox that can tell when new mail arrives in its inbox (IMAP IDLE), so the reader need not
/// wait for its next poll.
public protocol InboxWatchingMailbox: InboundMailbox {
    /// Starts watching: `onNewMail` runs when the server announces new mail (and once after each
    /// connect, for mail that came while it was away); `onEvent` reports the watch's state.
    func watchInbox(
        onNewMail: @escaping @Sendable () -> Void, onEvent: @escaping @Sendable (InboxWatchEvent) -> Void
    ) -> any InboxWatch
}
