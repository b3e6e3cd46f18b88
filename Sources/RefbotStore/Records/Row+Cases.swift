import GRDB

extension Row {
    /// A text column read as one of `T`'s cases (a state, say). A value refbot does not know
    /// throws rather than turn into some other case.
    func storedCase<T: RawRepresentable>(_ column: String, table: String) throws -> T where T.RawValue == String {
        let text: String = self[column]
        guard let value = T(rawValue: text) else {
            throw DatabaseError(
                resultCode: .SQLITE_MISMATCH, message: "\(table).\(column) '\(text)' is not a value refbot knows")
        }
        return value
    }
}
