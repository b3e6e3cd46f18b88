import RefbotTransport

/// The folders the Fetcher reads and files into, with special-use names resolved.
public struct ResolvedFolders: Sendable, Equatable {
    /// Where mail refbot has read goes (`imap.processed_folder`).
    public var processed: String
    /// Where mail refbot cannot handle goes (`imap.quarantine_folder`).
    public var quarantine: String
    /// Folders read like the inbox (`imap.also_poll`).
    public var alsoPoll: [String]

    public init(processed: String, quarantine: String, alsoPoll: [String]) {
        self.processed = processed
        self.quarantine = quarantine
        self.alsoPoll = alsoPoll
    }
}

/// Finds the folders by their special-use attributes (RFC 6154, `LIST (SPECIAL-USE)`):
/// - `imap.processed_folder` not set: the server's `\Archive` folder where it lists one (Exchange
///   Online's `Archive`, Dovecot's with `special_use = \Archive`), else `Processed`. Gmail lists
///   none: its mail goes to the `Processed` label, and moving it there takes it out of the inbox.
/// - a name written as an attribute (`processed_folder = "\\Archive"`, `also_poll = ["\\Junk"]`)
///   is the folder the server lists with it (Gmail's `[Gmail]/Spam`, Exchange's `Junk Email`).
/// - `imap.also_poll` is empty unless set: reading the junk folder means answering whoever is in
///   it (within the reply caps), so it is the admin's choice.
public enum FolderResolution {
    /// Whether resolving needs the server's special-use list.
    public static func needsListing(_ imap: Configuration.IMAP) -> Bool {
        !imap.processedFolderIsSet || isAttribute(imap.processedFolder) || isAttribute(imap.quarantineFolder)
            || imap.alsoPoll.contains(where: isAttribute)
    }

    static func isAttribute(_ name: String) -> Bool { name.hasPrefix("\\") }

    /// The folders to use, and a line for each setting that could not be resolved as written.
    public static func resolve(_ imap: Configuration.IMAP, inbox: String, specialUse: [SpecialUseFolder])
        -> (folders: ResolvedFolders, problems: [String])
    {
        var problems: [String] = []
        func named(_ value: String, key: String, fallback: String?) -> String? {
            guard isAttribute(value) else { return value }
            if let folder = specialUse.first(where: { $0.has(value) }) { return folder.name }
            problems.append(
                "imap.\(key): the server lists no folder with the special-use attribute \(value)"
                    + (fallback.map { "; using \"\($0)\"" } ?? "; it is not read"))
            return fallback
        }
        let processed: String
        if imap.processedFolderIsSet {
            processed = named(imap.processedFolder, key: "processed_folder", fallback: "Processed") ?? "Processed"
        } else {
            processed = specialUse.first(where: { $0.has("\\Archive") })?.name ?? imap.processedFolder
        }
        let quarantine = named(imap.quarantineFolder, key: "quarantine_folder", fallback: "Quarantine") ?? "Quarantine"
        var alsoPoll: [String] = []
        for value in imap.alsoPoll {
            guard let name = named(value, key: "also_poll", fallback: nil) else { continue }
            if name.caseInsensitiveEquals(inbox) || name == processed || name == quarantine {
                problems.append("imap.also_poll: \"\(name)\" is the inbox or a folder refbot files into; it is not read twice")
                continue
            }
            if !alsoPoll.contains(name) { alsoPoll.append(name) }
        }
        return (ResolvedFolders(processed: processed, quarantine: quarantine, alsoPoll: alsoPoll), problems)
    }
}

extension String {
    fileprivate func caseInsensitiveEquals(_ other: String) -> Bool { lowercased() == other.lowercased() }
}
