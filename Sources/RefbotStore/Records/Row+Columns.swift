import GRDB

extension Row {
    /// A text column read as one of `T`'s cases (a state, say). A value refbot does not know
    /// throws rather than turn into some other case.
    func storedCase<T: RawRepresentable>(_ column: String, table: String) throws -> T where T.RawValue == String {
        try Self.storedCase(self[column], column: column, table: table)
    }

    /// ``storedCase(_:table:)`` of the column at `index` (`column` names it in the error).
    func storedCase<T: RawRepresentable>(at index: Int, column: String, table: String) throws -> T
    where T.RawValue == String {
        try Self.storedCase(self[index], column: column, table: table)
    }

    private static func storedCase<T: RawRepresentable>(_ text: String, column: String, table: String) throws -> T
    where T.RawValue == String {
        guard let value = T(rawValue: text) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISMATCH, message: "\(table).\(column) '\(text)' is not a value refbot knows")
        }
        return value
    }

    /// Where each of `columns` is in this row, found by name as GRDB finds them (case aside, the
    /// leftmost of two columns of one name); a column the row lacks throws.
    func positions(of columns: [String], table: String) throws -> [Int] {
        var byName: [String: Int] = [:]
        for (index, name) in columnNames.enumerated() {
            let key = name.lowercased()
            if byName[key] == nil { byName[key] = index }
        }
        return try columns.map { column in
            guard let index = byName[column.lowercased()] else {
                throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "a \(table) row without its column \(column)")
            }
            return index
        }
    }
}

/// A record the hot queries read by column position: their `SELECT` names ``orderedColumns`` first,
/// in order (``selection``), so no column is looked up by name. Any other query's rows go through
/// `init(row:)`, which finds the same columns by name and decodes them the same way.
protocol OrderedColumns {
    /// The columns, in the order ``selection`` selects them.
    static var orderedColumns: [String] { get }
    /// Reads a row whose first columns are ``orderedColumns`` in order.
    init(orderedRow row: Row) throws
}

extension OrderedColumns {
    /// `table.a, table.b, …`: the select list for rows that ``init(orderedRow:)`` reads.
    static func selection(_ table: String) -> String {
        orderedColumns.map { "\(table).\($0)" }.joined(separator: ", ")
    }
}
