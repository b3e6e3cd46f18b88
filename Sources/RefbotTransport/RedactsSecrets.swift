/// A value that holds a password or another secret and prints without it.
///
/// Swift prints a struct by reflecting every stored property, so printing a configuration (a log
/// line's metadata, an error's text, a service's name) would print its passwords. A conforming
/// type prints as usual, every property by name, with the properties named in ``secretLabels``
/// shown as `<redacted>` (or `""` when empty and `nil` when absent, so "no password" still reads as
/// such). `dump(_:)` reflects without these descriptions and shows everything: it is for a
/// debugger, never a log.
public protocol RedactsSecrets: CustomStringConvertible, CustomDebugStringConvertible {
    /// The stored properties whose values never print.
    static var secretLabels: Set<String> { get }
}

extension RedactsSecrets {
    public var description: String {
        let fields = Mirror(reflecting: self).children.map { child -> String in
            let label = child.label ?? "_"
            guard Self.secretLabels.contains(label) else { return "\(label): \(String(reflecting: child.value))" }
            // An optional secret that is absent prints as such; so does an empty one.
            let value = Mirror(reflecting: child.value)
            if value.displayStyle == .optional && value.children.isEmpty { return "\(label): nil" }
            let isEmpty = (child.value as? String)?.isEmpty ?? false
            return "\(label): \(isEmpty ? "\"\"" : "<redacted>")"
        }
        return "\(Self.self)(\(fields.joined(separator: ", ")))"
    }

    public var debugDescription: String { description }
}
