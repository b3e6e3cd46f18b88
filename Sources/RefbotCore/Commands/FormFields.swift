/// The `Key: value` lines of a form (JOIN, PROFILE, LISTING, REFER, ANNOUNCE), read from the lines
/// after the command line (spec §2).
///
/// Reading rules:
/// - A **key line** is `Key: value`: the key is one to three words (letters, digits, `-`, `_`, `'`),
///   starts with a letter, is at most 30 characters, and the colon is followed by a space or the end
///   of the line (so `https://…` and `10:30` are never keys). Spaces before the colon are fine, and a
///   trailing `*` copied from HELP is dropped.
/// - Keys are case-insensitive and normalised: lower-cased, `-` and `_` read as spaces, runs of
///   spaces collapsed (`Customer_Name` → `customer name`). Common other names map to the form's
///   key when the form has it and not the other name: `e-mail`/`mail` → `email`, `tel`/`telephone`/
///   `mobile`/`phone number` → `phone`, `web`/`site`/`url`/`web site` → `website`,
///   `customer name`/`name` → `customer` (REFER), `town` → `city`, `area` → `location`.
/// - A value continues on the following lines (joined with a newline) until the next key line or a
///   blank line. An empty value counts as not given.
/// - After a blank line, a line that is not a key line starts the free **text** (ANNOUNCE's body);
///   it and everything after it go to ``text`` unread.
/// - A key given twice keeps the last value and adds a warning.
/// - **Unknown keys are warnings, not errors.** Any key-like line starts a field, so a typo
///   (`Emial: …`) never swallows itself into the previous value; the member is told which keys the
///   form has and the rest of the form still works. A value line that happens to look like
///   `Word: text` inside a free-text field is reported the same way, so the member sees it.
/// - Missing required keys are an error: a ``CommandError`` quoting the command line, naming the
///   missing keys and showing an example.
///
/// ```swift
/// switch FormFields.parse(lines: command.followingLines, spec: .refer, line: command.line) {
/// case .success(let form): let customer = form["customer"]   // required: never nil here
/// case .failure(let error): throw error
/// }
/// ```
public struct FormFields: Sendable, Hashable {
    /// The values given, by normalised key.
    public var values: [String: String]
    /// The keys given, in the order first written.
    public var order: [String]
    /// Lines whose key the form does not have, as written.
    public var unknownLines: [String]
    /// Things the member should know that did not stop the command (unknown or repeated keys).
    public var warnings: [String]
    /// Free text after the fields (ANNOUNCE's body); empty when there is none.
    public var text: String

    /// The value of a key (normalised or as written), or `nil` when not given.
    public subscript(key: String) -> String? { values[FormFields.normalizedKey(key)] }

    /// Reads a form with the given keys; `required` keys must have a value.
    public static func parse(
        lines: [String], known: Set<String>, required: Set<String>, form: String = "form",
        examples: [String: String] = [:], line: String
    ) -> Result<FormFields, CommandError> {
        let fields = known.sorted().map { key in
            Spec.Field(key, required: required.contains(FormFields.normalizedKey(key)), example: examples[key] ?? "…")
        }
        return parse(lines: lines, spec: Spec(name: form, fields: fields), line: line)
    }

    /// Reads a form described by `spec`; `line` is the command line, quoted in errors.
    public static func parse(lines: [String], spec: Spec, line: String) -> Result<FormFields, CommandError> {
        let known = Set(spec.fields.map(\.key))
        var form = FormFields(values: [:], order: [], unknownLines: [], warnings: [], text: "")
        var current: String?
        var currentIsKnown = false
        var collected: [String: [String]] = [:]
        var textLines: [String]?

        for rawLine in lines {
            if textLines != nil {
                textLines?.append(rawLine)
                continue
            }
            let trimmedLine = rawLine.trimmedOfWhitespace
            if trimmedLine.isEmpty {
                current = nil
                continue
            }
            if let (rawKey, value) = keyLine(trimmedLine) {
                let key = resolve(normalizedKey(rawKey), known: known)
                if known.contains(key) {
                    if collected[key] != nil {
                        form.warnings.append("\(displayKey(rawKey)) was given twice; I used the last one.")
                    } else {
                        form.order.append(key)
                    }
                    collected[key] = value.isEmpty ? [] : [value]
                    current = key
                    currentIsKnown = true
                } else {
                    form.unknownLines.append(trimmedLine)
                    form.warnings.append(
                        "I did not use \"\(trimmedLine.prefix(60))\": the \(spec.name) form has no "
                            + "\(displayKey(rawKey)) field. Its fields are \(spec.fieldList).")
                    current = key
                    currentIsKnown = false
                }
                continue
            }
            if let key = current {
                if currentIsKnown { collected[key, default: []].append(trimmedLine) }
                continue
            }
            // Not a key and no value open: the free text starts here.
            textLines = [rawLine]
        }
        for (key, parts) in collected where !parts.isEmpty {
            form.values[key] = parts.joined(separator: "\n")
        }
        form.order = form.order.filter { form.values[$0] != nil }
        form.text = (textLines ?? []).joined(separator: "\n").trimmedOfWhitespace

        let missing = spec.fields.filter { $0.required && form.values[$0.key] == nil }
        if !missing.isEmpty {
            let names = missing.map(\.label)
            let list = names.count == 1
                ? names[0] : names.dropLast().joined(separator: ", ") + " and " + (names.last ?? "")
            let example = missing.map { "\($0.label): \($0.example)" }.joined(separator: "\n")
            return .failure(
                CommandError(
                    line: line,
                    problem: "The \(spec.name) form is missing \(list).",
                    remedy: "Add \(missing.count == 1 ? "it" : "them") as Key: value lines under \(line), "
                        + "one per line, for example:\n\(example)"))
        }
        return .success(form)
    }

    /// Reads a yes-or-no value such as `Consent:`: `yes`, `y`, `true`, `agreed`, `ok` → `true`;
    /// `no`, `n`, `false` → `false`; anything else → `nil`.
    public static func yesOrNo(_ value: String?) -> Bool? {
        guard let value else { return nil }
        var word = value.trimmedOfWhitespace.lowercased()
        while let last = word.last, ".!,".contains(last) { word.removeLast() }
        if ["yes", "y", "true", "agreed", "agree", "ok", "okay", "sure", "i agree", "yes they agreed"].contains(word) {
            return true
        }
        if ["no", "n", "false", "not yet"].contains(word) { return false }
        return nil
    }

    /// The normal form of a key: lower-case, `-` and `_` as spaces, single spaces, no trailing `*`.
    public static func normalizedKey(_ key: some StringProtocol) -> String {
        var text = key.lowercased()
        while text.hasSuffix("*") { text.removeLast() }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "-" || $0 == "_" || $0 == "\t" })
        return words.joined(separator: " ")
    }

    /// Other names members use for keys, by normal form.
    static let aliases: [String: String] = [
        "e mail": "email", "mail": "email", "email address": "email", "e mail address": "email",
        "tel": "phone", "telephone": "phone", "mobile": "phone", "phone number": "phone", "cell": "phone",
        "web": "website", "site": "website", "url": "website", "web site": "website", "homepage": "website",
        "customer name": "customer", "name": "customer", "town": "city", "area": "location",
        "subject": "title", "expiry": "expires", "expires on": "expires", "expiry date": "expires",
    ]

    private static func resolve(_ key: String, known: Set<String>) -> String {
        if known.contains(key) { return key }
        if let canonical = aliases[key], known.contains(canonical) { return canonical }
        return key
    }

    /// `Key: value` → ("Key", "value"); `nil` when the line is not a key line (see the type's rules).
    public static func keyLine(_ line: String) -> (String, String)? {
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let rawKey = line[..<colon]
        let afterColon = line[line.index(after: colon)...]
        if let next = afterColon.first, !next.isWhitespace { return nil }
        var key = rawKey.trimmedOfWhitespace
        while key.hasSuffix("*") { key.removeLast() }
        guard let first = key.first, first.isLetter, key.count <= 30 else { return nil }
        let allowed: (Character) -> Bool = { $0.isLetter || $0.isNumber || " -_'".contains($0) }
        guard key.allSatisfy(allowed) else { return nil }
        let words = key.split(whereSeparator: { $0 == " " })
        guard (1...3).contains(words.count) else { return nil }
        return (key, afterColon.trimmedOfWhitespace)
    }

    private static func displayKey(_ key: String) -> String {
        let normal = normalizedKey(key)
        return normal.prefix(1).uppercased() + normal.dropFirst()
    }
}

extension FormFields {
    /// The fields of one form: their keys, which are required, and an example value for errors.
    public struct Spec: Sendable, Hashable {
        /// One field of a form.
        public struct Field: Sendable, Hashable {
            /// The normalised key, `customer`.
            public var key: String
            /// How the key is written in HELP and errors, `Customer`.
            public var label: String
            /// Whether the form needs it.
            public var required: Bool
            /// A value to show in the example of an error.
            public var example: String

            /// A field; `label` is written as given, `key` is its normal form.
            public init(_ label: String, required: Bool = false, example: String = "…") {
                self.key = FormFields.normalizedKey(label)
                self.label = label.prefix(1).uppercased() + label.dropFirst()
                self.required = required
                self.example = example
            }
        }

        /// The command word, `REFER`.
        public var name: String
        /// The fields, in the order HELP lists them.
        public var fields: [Field]

        /// A form.
        public init(name: String, fields: [Field]) {
            self.name = name
            self.fields = fields
        }

        /// `Title*, Category*, Location, …`: required keys starred.
        public var fieldList: String {
            fields.map { $0.label + ($0.required ? "*" : "") }.joined(separator: ", ")
        }

        /// The normalised keys.
        public var keys: Set<String> { Set(fields.map(\.key)) }

        /// JOIN: Name*, Business, Category, City, Website, Phone, About.
        public static let join = Spec(name: "JOIN", fields: memberFields(nameRequired: true))

        /// PROFILE: any JOIN field, none required.
        public static let profile = Spec(name: "PROFILE", fields: memberFields(nameRequired: false))

        /// LISTING: Title*, Category*, Location, Customer*, Reward*, Terms, Expires, Profession, Jurisdiction.
        public static let listing = Spec(
            name: "LISTING",
            fields: [
                Field("Title", required: true, example: "Kitchen remodels"),
                Field("Category", required: true, example: "Home improvement"),
                Field("Location", example: "Springfield"),
                Field("Customer", required: true, example: "Homeowners planning a kitchen remodel"),
                Field("Reward", required: true, example: "$500 per sale"),
                Field("Terms", example: "standard"),
                Field("Expires", example: "2026-12-31"),
                Field("Profession", example: "real estate"),
                Field("Jurisdiction", example: "US-CA"),
            ])

        /// REFER: Customer*, Email, Phone, Need*, Consent*.
        public static let refer = Spec(
            name: "REFER",
            fields: [
                Field("Customer", required: true, example: "Carol Diaz"),
                Field("Email", example: "carol@example.com"),
                Field("Phone", example: "555-0100"),
                Field("Need", required: true, example: "A new kitchen before summer"),
                Field("Consent", required: true, example: "yes"),
            ])

        /// ANNOUNCE: Title*, Link, then the text.
        public static let announce = Spec(
            name: "ANNOUNCE",
            fields: [
                Field("Title", required: true, example: "Training: asking for referrals"),
                Field("Link", example: "https://example.org/training"),
            ])

        private static func memberFields(nameRequired: Bool) -> [Field] {
            [
                Field("Name", required: nameRequired, example: "Ann Lee"),
                Field("Business", example: "Lee Plumbing"),
                Field("Category", example: "Plumbing"),
                Field("City", example: "Springfield"),
                Field("Website", example: "https://leeplumbing.example"),
                Field("Phone", example: "555-0100"),
                Field("About", example: "Family plumbers since 1990"),
            ]
        }
    }
}
