/// A reference to a listing, a referral or a connection, as members write it: `L-12`, `R-7`, `C-3`.
///
/// This file is the one place where references are printed and read.
///
/// Reading accepts what members type and what mail clients do to it:
/// - either case of the letter (`l-12`), with or without the dash (`L12`), an en or em dash (`L–12`);
/// - leading zeros (`L-007` is `L-7`);
/// - the subject tag brackets refbot itself writes (`[R-12]`), a leading `#`, and trailing sentence
///   punctuation and quotes or parentheses around it (`R-12.` `R-12,` `(R-12)` `"L-3"`).
///
/// It refuses a space between letter and number (`L 12`), signs, zero, and numbers past `Int64`.
///
/// ```swift
/// ObjectRef(parsing: "[r-12]")      // .referral(ReferralID(12))
/// ListingID(parsing: "L12")         // ListingID(12)
/// ReferralID(12).description        // "R-12"
/// ```
public enum ObjectRef: Sendable, Hashable, Codable, CustomStringConvertible, LosslessStringConvertible {
    case listing(ListingID)
    case referral(ReferralID)
    case connection(ConnectionID)

    /// Which kind of object this refers to.
    public var kind: ObjectKind {
        switch self {
        case .listing: .listing
        case .referral: .referral
        case .connection: .connection
        }
    }

    /// The number after the letter.
    public var number: Int64 {
        switch self {
        case .listing(let id): id.rawValue
        case .referral(let id): id.rawValue
        case .connection(let id): id.rawValue
        }
    }

    /// Builds a reference from its kind and number.
    public init(kind: ObjectKind, number: Int64) {
        switch kind {
        case .listing: self = .listing(ListingID(number))
        case .referral: self = .referral(ReferralID(number))
        case .connection: self = .connection(ConnectionID(number))
        }
    }

    /// `L-12`, `R-12` or `C-12`.
    public var description: String { "\(kind.letter)-\(number)" }

    /// Reads `L-12`, `r12`, `[C-3]` and the other forms listed on the type.
    public init?(_ description: String) {
        self.init(parsing: description)
    }

    /// Reads `L-12`, `r12`, `[C-3]` and the other forms listed on the type.
    public init?(parsing text: some StringProtocol) {
        var scalars = Substring(text).unicodeScalars[...]
        while let first = scalars.first, Self.whitespace.contains(first) || Self.leading.contains(first) {
            scalars.removeFirst()
        }
        while let last = scalars.last, Self.whitespace.contains(last) || Self.trailing.contains(last) {
            scalars.removeLast()
        }
        var bracketed = false
        if scalars.first == "[" {
            guard scalars.last == "]" else { return nil }
            scalars.removeFirst()
            scalars.removeLast()
            bracketed = true
        }
        if !bracketed, scalars.first == "#" { scalars.removeFirst() }
        guard let letter = scalars.first, let kind = ObjectKind(letter: letter) else { return nil }
        scalars.removeFirst()
        if let dash = scalars.first, Self.dashes.contains(dash) { scalars.removeFirst() }
        guard !scalars.isEmpty, scalars.count <= 19 else { return nil }
        var value: Int64 = 0
        for scalar in scalars {
            guard let digit = Self.asciiDigit(scalar) else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.addingReportingOverflow(digit)
            guard !overflow1, !overflow2 else { return nil }
            value = next
        }
        guard value > 0 else { return nil }
        self.init(kind: kind, number: value)
    }

    /// Encoded as its text, `"R-12"`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let value = ObjectRef(parsing: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "\"\(text)\" is not an L-n, R-n or C-n reference")
        }
        self = value
    }

    /// Encoded as its text, `"R-12"`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    private static let whitespace: Set<Unicode.Scalar> = [" ", "\t", "\u{00A0}", "\r", "\n"]
    private static let leading: Set<Unicode.Scalar> = ["(", "\"", "'"]
    private static let trailing: Set<Unicode.Scalar> = [".", ",", ";", ":", "!", "?", ")", "\"", "'"]
    private static let dashes: Set<Unicode.Scalar> = ["-", "\u{2010}", "\u{2011}", "\u{2013}", "\u{2014}"]

    private static func asciiDigit(_ scalar: Unicode.Scalar) -> Int64? {
        guard scalar.value >= 48, scalar.value <= 57 else { return nil }
        return Int64(scalar.value - 48)
    }
}

/// The three kinds of numbered object members can name.
public enum ObjectKind: String, Sendable, Hashable, Codable, CaseIterable {
    case listing
    case referral
    case connection

    /// The letter in front of the number: `L`, `R` or `C`.
    public var letter: Character {
        switch self {
        case .listing: "L"
        case .referral: "R"
        case .connection: "C"
        }
    }

    /// The kind a letter stands for, in either case.
    public init?(letter: Unicode.Scalar) {
        switch letter {
        case "L", "l": self = .listing
        case "R", "r": self = .referral
        case "C", "c": self = .connection
        default: return nil
        }
    }
}

/// A typed number for one kind of object; `ListingID`, `ReferralID` and `ConnectionID` conform.
///
/// Encoded as the bare `Int64`, so it fits an `INTEGER` column.
public protocol ObjectNumber: RawRepresentable<Int64>, Sendable, Hashable, Comparable, Codable,
    CustomStringConvertible, LosslessStringConvertible
{
    /// The kind every value of this type refers to.
    static var kind: ObjectKind { get }
    /// Wraps a number.
    init(_ rawValue: Int64)
}

extension ObjectNumber {
    /// Wraps a number.
    public init(rawValue: Int64) { self.init(rawValue) }

    /// `L-12`, `R-12` or `C-12`.
    public var description: String { ref.description }

    /// The same object as an ``ObjectRef``.
    public var ref: ObjectRef { ObjectRef(kind: Self.kind, number: rawValue) }

    /// Reads the reference; `nil` when it is malformed or names another kind (`R-3` is not a listing).
    public init?(parsing text: some StringProtocol) {
        guard let ref = ObjectRef(parsing: text), ref.kind == Self.kind else { return nil }
        self.init(ref.number)
    }

    /// Reads the reference; `nil` when it is malformed or names another kind.
    public init?(_ description: String) {
        self.init(parsing: description)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Decodes the bare number.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(try container.decode(Int64.self))
    }

    /// Encodes the bare number.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The number of a listing, printed `L-12`.
public struct ListingID: ObjectNumber {
    public static let kind = ObjectKind.listing
    public let rawValue: Int64
    /// Wraps a number.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// The number of a referral, printed `R-12`.
public struct ReferralID: ObjectNumber {
    public static let kind = ObjectKind.referral
    public let rawValue: Int64
    /// Wraps a number.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}

/// The number of a connection, printed `C-12`.
public struct ConnectionID: ObjectNumber {
    public static let kind = ObjectKind.connection
    public let rawValue: Int64
    /// Wraps a number.
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
}
