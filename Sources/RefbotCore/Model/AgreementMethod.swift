/// How one side of an agreement agreed to it.
public enum AgreementMethod: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// Replied AGREE to the tagged address.
    case reply
    /// Clicked the one-click link and pressed its button.
    case link
    /// Posted the listing with these terms (how the owner agrees).
    case listing

    public var description: String { rawValue }
}
