/// A folder the server lists with its special-use attributes (RFC 6154: `\Archive`, `\All`,
/// `\Junk`, `\Sent`, `\Trash`, `\Drafts`, `\Flagged`).
public struct SpecialUseFolder: Sendable, Equatable {
    /// The folder's name as refbot uses it (decoded from modified UTF-7).
    public var name: String
    /// Its attributes as the server wrote them (`\Junk`, `\HasNoChildren`, …).
    public var attributes: [String]

    public init(name: String, attributes: [String]) {
        self.name = name
        self.attributes = attributes
    }

    /// Whether it carries `attribute` (case-insensitive, with or without the backslash).
    public func has(_ attribute: String) -> Bool {
        let wanted = attribute.hasPrefix("\\") ? attribute.lowercased() : "\\" + attribute.lowercased()
        return attributes.contains { $0.lowercased() == wanted }
    }
}

/// A mailbox that reads more than its inbox folder (`imap.also_poll`) and lists special-use
/// folders. Kept apart from ``InboundMailbox`` so that a mailbox without it still works: the
/// Fetcher then reads the inbox only and says so once.
public protocol FolderReadingMailbox: InboundMailbox {
    /// Selects `folder` and returns its UIDVALIDITY and every UID in it.
    func list(folder: String) async throws -> FolderListing
    /// Fetches the raw bytes of these UIDs in `folder`, in order, leaving flags as they were where possible.
    func fetch(uids: [UInt32], in folder: String) async throws -> [FetchedMessage]
    /// The folders the server lists with special-use attributes (RFC 6154).
    func specialUseFolders() async throws -> [SpecialUseFolder]
}
