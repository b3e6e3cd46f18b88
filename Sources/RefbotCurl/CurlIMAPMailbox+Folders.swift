import RefbotTransport

extension CurlIMAPMailbox: FolderReadingMailbox {
    public func list(folder: String) async throws -> FolderListing {
        try await list(Optional(folder))
    }

    public func fetch(uids: [UInt32], in folder: String) async throws -> [FetchedMessage] {
        try await fetch(uids, from: folder)
    }

    /// `LIST (SPECIAL-USE) "" "*"` where the server has SPECIAL-USE (RFC 6154), else a plain
    /// `LIST "" "*"` (Gmail and Dovecot name the attributes there too); only the folders with a
    /// special-use attribute.
    public func specialUseFolders() async throws -> [SpecialUseFolder] {
        try await withSession(doing: "listing special-use folders") { session, _ in
            let capabilities = try session.capabilities()
            let command = capabilities.contains("SPECIAL-USE") ? "LIST (SPECIAL-USE) \"\" \"*\"" : "LIST \"\" \"*\""
            let answer = try session.command(command, in: nil, doing: "LIST special-use folders")
            let uses = ["\\archive", "\\all", "\\junk", "\\sent", "\\trash", "\\drafts", "\\flagged"]
            return IMAPResponse.listedFolders(answer.body).filter { folder in
                folder.attributes.contains { uses.contains($0.lowercased()) }
            }
        }
    }
}
