import Foundation

/// Message-ID values (RFC 5322 §3.6.4).
public enum MessageID {
    /// `<unique@domain>`; characters that may not appear in a msg-id are replaced with `-`.
    public static func make(unique: String, domain: String) -> String {
        func clean(_ text: String) -> String {
            let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~.")
            let mapped = String(text.map { allowed.contains($0) ? $0 : "-" })
            return mapped.isEmpty ? "-" : mapped
        }
        return "<" + clean(unique) + "@" + clean(domain.lowercased()) + ">"
    }
}
