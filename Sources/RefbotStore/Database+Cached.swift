import GRDB

// The hot queries (those run for every inbound command or every mail sent) go through the
// connection's statement cache: SQLite parses the text, and GRDB's authorizer walks its columns,
// once per connection instead of once per call. Only constant SQL belongs here; text built from
// values would fill the cache.

extension Database {
    /// ``Database/execute(sql:arguments:)`` of one statement, prepared once per connection.
    public func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}

extension Database {
    /// Inserts one row with a cached ``insertSQL(table:columns:)`` statement and returns its rowid:
    /// GRDB's record insert builds and looks up its statement again on every call.
    func insertCached(sql: String, values: [(any DatabaseValueConvertible)?]) throws -> Int64 {
        try executeCached(sql: sql, arguments: StatementArguments(values))
        return lastInsertedRowID
    }

    /// `INSERT INTO table (a, b …) VALUES (?, ? …)`.
    static func insertSQL(table: String, columns: [String]) -> String {
        "INSERT INTO \(table) (" + columns.joined(separator: ", ") + ") VALUES ("
            + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
    }
}

extension FetchableRecord {
    /// ``FetchableRecord/fetchOne(_:sql:arguments:adapter:)`` through the statement cache.
    public static func fetchOne(cached db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Self? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// ``FetchableRecord/fetchAll(_:sql:arguments:adapter:)`` through the statement cache.
    public static func fetchAll(cached db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Self] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension DatabaseValueConvertible {
    /// ``DatabaseValueConvertible/fetchOne(_:sql:arguments:adapter:)`` through the statement cache.
    public static func fetchOne(cached db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Self? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// ``DatabaseValueConvertible/fetchAll(_:sql:arguments:adapter:)`` through the statement cache.
    public static func fetchAll(cached db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Self] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension Row {
    /// ``Row/fetchOne(_:sql:arguments:adapter:)`` through the statement cache.
    public static func fetchOne(cached db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> Row? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// ``Row/fetchAll(_:sql:arguments:adapter:)`` through the statement cache.
    public static func fetchAll(cached db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> [Row] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// ``Row/fetchCursor(_:sql:arguments:adapter:)`` through the statement cache. Its one row, read
    /// again at each step, finds a column by name once for all the rows; the rows of
    /// ``fetchAll(cached:sql:arguments:)`` are copies that each look every name up again.
    public static func fetchCursor(cached db: Database, sql: String, arguments: StatementArguments = StatementArguments()) throws -> RowCursor {
        try fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
    }
}
