/// The partnership terms of a listing: the network's standard agreement, or the owner's own text.
public enum ListingTerms: Sendable, Hashable, CustomStringConvertible {
    /// The standard agreement (`mail-templates/agreement.mustache`).
    case standard
    /// The owner's own text.
    case custom(String)

    /// Reads the LISTING form's `Terms:` field; empty or `standard` (any case) is the standard text.
    public init(field: String?) {
        let trimmed = field?.trimmedOfWhitespace ?? ""
        if trimmed.isEmpty || trimmed.lowercased() == "standard" {
            self = .standard
        } else {
            self = .custom(trimmed)
        }
    }

    /// The owner's text, or `nil` for the standard terms; this is what is stored.
    public var customText: String? {
        if case .custom(let text) = self { return text }
        return nil
    }

    /// `standard`, or the custom text.
    public var description: String { customText ?? "standard" }
}

extension ListingTerms: Codable {
    /// Decodes `null` as standard and a string as custom text.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = container.decodeNil() ? .standard : .custom(try container.decode(String.self))
    }

    /// Encodes standard as `null` and custom terms as their text.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        if let customText { try container.encode(customText) } else { try container.encodeNil() }
    }
}

extension StringProtocol {
    /// The text without leading and trailing whitespace and newlines.
    var trimmedOfWhitespace: String {
        var slice = Substring(self)
        while slice.first?.isWhitespace == true { slice.removeFirst() }
        while slice.last?.isWhitespace == true { slice.removeLast() }
        return String(slice)
    }
}
