import Foundation

extension Store {
    /// Opens the database at `path`; with `create` false a missing file throws ``MissingDatabase``
    /// instead of making a new, empty database.
    public convenience init(path: String, create: Bool) throws {
        if !create, !FileManager.default.fileExists(atPath: path) {
            throw MissingDatabase(path: path)
        }
        try self.init(path: path)
    }
}

/// There is no database file where one was expected.
public struct MissingDatabase: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var description: String { "there is no database at \(path)" }
}
