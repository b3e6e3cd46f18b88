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

extension Database {
    /// The first row of constant `sql` (through the statement cache), read by `decode` while the
    /// statement still holds it: the row is neither copied nor looked up by column name.
    func firstRow<T>(
        cached sql: String, arguments: StatementArguments, _ decode: (Row) throws -> T
    ) throws -> T? {
        // The row is the statement's current row: the cursor must outlive its decoding, or its end
        // resets the statement and the row reads as NULLs.
        let rows = try Row.fetchCursor(cached: self, sql: sql, arguments: arguments)
        return try withExtendedLifetime(rows) { try rows.next().map(decode) }
    }

    /// Every row of constant `sql`, each read by `decode` in place (see ``firstRow(cached:arguments:_:)``).
    func allRows<T>(
        cached sql: String, arguments: StatementArguments, _ decode: (Row) throws -> T
    ) throws -> [T] {
        let rows = try Row.fetchCursor(cached: self, sql: sql, arguments: arguments)
        return try withExtendedLifetime(rows) {
            var result: [T] = []
            while let row = try rows.next() { result.append(try decode(row)) }
            return result
        }
    }
}
