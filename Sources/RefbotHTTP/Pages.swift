import Foundation
import Mustache

/// The web pages, rendered from `mail-templates/page.*.html` (member text escaped by default).
public struct Pages: Sendable {
    /// The page templates every server needs; the daemon refuses to start without them.
    public static let names = ["confirm", "message"]

    private let templates: [String: MustacheTemplate]

    /// Loads `page.<name>.html` for every name in ``names`` from `directory`.
    public init(directory: String) throws {
        var templates: [String: MustacheTemplate] = [:]
        var problems: [String] = []
        for name in Pages.names {
            let path = URL(fileURLWithPath: directory).appendingPathComponent("page.\(name).html").path
            do {
                templates[name] = try MustacheTemplate(string: try String(contentsOfFile: path, encoding: .utf8))
            } catch {
                problems.append("page.\(name).html: \(error)")
            }
        }
        guard problems.isEmpty else { throw PagesError(message: "web page templates in \(directory) are not usable: " + problems.joined(separator: "; ")) }
        self.templates = templates
    }

    /// Renders a page; every value is escaped unless the template uses triple braces.
    func render(_ name: String, _ values: [String: Any]) -> String {
        templates[name]?.render(values) ?? "<!doctype html><title>refbot</title><p>Page missing.</p>"
    }
}

/// A web page template that cannot be loaded.
public struct PagesError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
