import Foundation
import RefbotTransport

extension IMAPMailbox: FolderReadingMailbox {
    public func list(folder: String) async throws -> FolderListing {
        try Self.checkFolderName(folder)
        return try await withSession(doing: "listing \(folder)") { connection, _ in
            let selected = try Self.select(folder, on: connection)
            guard selected.exists > 0 else { return FolderListing(uidValidity: selected.uidValidity, uids: []) }
            let answer = try connection.command("UID SEARCH ALL", doing: "UID SEARCH ALL")
            var uids: [UInt32] = []
            for case .search(let some) in answer.untagged { uids += some }
            return FolderListing(uidValidity: selected.uidValidity, uids: uids.sorted())
        }
    }

    public func fetch(uids: [UInt32], in folder: String) async throws -> [FetchedMessage] {
        try await fetch(uids, from: folder)
    }

    /// `LIST (SPECIAL-USE) "" "*"` where the server has SPECIAL-USE (RFC 6154), else a plain
    /// `LIST "" "*"` (Gmail and Dovecot name the attributes there too); only the folders with a
    /// special-use attribute. Names that do not decode from modified UTF-7 are left out: refbot
    /// cannot name them back safely.
    public func specialUseFolders() async throws -> [SpecialUseFolder] {
        try await withSession(doing: "listing special-use folders") { connection, _ in
            let command = connection.capabilities.contains("SPECIAL-USE") ? "LIST (SPECIAL-USE) \"\" \"*\"" : "LIST \"\" \"*\""
            let answer = try connection.command(command, doing: "LIST special-use folders")
            let uses = ["\\archive", "\\all", "\\junk", "\\sent", "\\trash", "\\drafts", "\\flagged"]
            var folders: [SpecialUseFolder] = []
            for case .list(let attributes, _, var name) in answer.untagged {
                guard attributes.contains(where: { uses.contains($0.lowercased()) }) else { continue }
                guard !name.isEmpty, !name.contains("&") || name.contains("&-"),
                    !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
                else { continue }
                name = name.replacingOccurrences(of: "&-", with: "&")
                folders.append(SpecialUseFolder(name: name, attributes: attributes))
            }
            return folders
        }
    }
}
