import RefbotCore
import Testing

private func lines(_ text: String) -> [String] {
    text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
}

@Suite("Form fields")
struct FormFieldsTests {
    @Test("Key: value lines read with case-insensitive keys")
    func basic() throws {
        let form = try FormFields.parse(
            lines: lines("customer: Carol Diaz\nEMAIL: carol@example.com\nNeed: A new kitchen\nConsent: yes"),
            spec: .refer, line: "REFER L-3"
        ).get()
        #expect(form["customer"] == "Carol Diaz")
        #expect(form["Email"] == "carol@example.com")
        #expect(form["need"] == "A new kitchen")
        #expect(form.order == ["customer", "email", "need", "consent"])
        #expect(form.warnings.isEmpty)
        #expect(form.text.isEmpty)
    }

    @Test("a value continues on following lines until the next key or a blank line")
    func continuation() throws {
        let form = try FormFields.parse(
            lines: lines("Name: Ann Lee\nAbout: Family plumbers\n  since 1990.\nWe do boilers too.\nCity: Springfield"),
            spec: .join, line: "JOIN"
        ).get()
        #expect(form["about"] == "Family plumbers\nsince 1990.\nWe do boilers too.")
        #expect(form["city"] == "Springfield")
    }

    @Test("after a blank line, a line that is not a key starts the free text")
    func freeText() throws {
        let form = try FormFields.parse(
            lines: lines("Title: Asking for referrals\nLink: https://example.org/t\n\nJoin us on Tuesday.\nKey: not a field\n"),
            spec: .announce, line: "ANNOUNCE"
        ).get()
        #expect(form["title"] == "Asking for referrals")
        #expect(form["link"] == "https://example.org/t")
        #expect(form.text == "Join us on Tuesday.\nKey: not a field")
        #expect(form.warnings.isEmpty)
    }

    @Test("a blank line ends a value, and keys may follow it")
    func blankEndsValue() throws {
        let form = try FormFields.parse(
            lines: lines("Name: Ann\n\nCity: Springfield"), spec: .join, line: "JOIN"
        ).get()
        #expect(form["name"] == "Ann")
        #expect(form["city"] == "Springfield")
        #expect(form.text.isEmpty)
    }

    @Test(
        "keys are normalised and common other names map to the form's key",
        arguments: [
            ("E-mail", "email"), ("e_mail", "email"), ("Telephone", "phone"), ("Mobile", "phone"),
            ("Customer Name", "customer"), ("customer_name", "customer"), ("Name", "customer"), ("CONSENT*", "consent"),
            ("Need ", "need"),
        ])
    func keyNames(written: String, key: String) throws {
        let form = try FormFields.parse(
            lines: ["Customer: X", "Need: Y", "Consent: yes", "\(written): value"], spec: .refer, line: "REFER L-1"
        ).get()
        #expect(form[key] == "value")
    }

    @Test("URLs, times and long sentences are not keys")
    func notKeys() {
        #expect(FormFields.keyLine("https://example.org") == nil)
        #expect(FormFields.keyLine("10:30 works") == nil)
        #expect(FormFields.keyLine("He said this to me on the phone: call back") == nil)
        #expect(FormFields.keyLine("Website:") != nil)
    }

    @Test("unknown keys are warnings naming the form's fields, and the rest of the form still works")
    func unknownKeys() throws {
        let form = try FormFields.parse(
            lines: lines("Customer: Carol Diaz\nEmial: carol@example.com\nNeed: Kitchen\nConsent: yes"),
            spec: .refer, line: "REFER L-3"
        ).get()
        #expect(form["customer"] == "Carol Diaz")
        #expect(form["email"] == nil)
        #expect(form.unknownLines == ["Emial: carol@example.com"])
        #expect(form.warnings == [
            "I did not use \"Emial: carol@example.com\": the REFER form has no Emial field. "
                + "Its fields are Customer*, Email, Phone, Need*, Consent*."
        ])
    }

    @Test("a key given twice keeps the last value and warns")
    func repeated() throws {
        let form = try FormFields.parse(
            lines: lines("Name: Ann\nName: Ann Lee"), spec: .join, line: "JOIN"
        ).get()
        #expect(form["name"] == "Ann Lee")
        #expect(form.warnings == ["Name was given twice; I used the last one."])
    }

    @Test("missing required keys are an error quoting the command and showing an example")
    func missing() {
        let result = FormFields.parse(lines: lines("Customer: Carol Diaz\nConsent:"), spec: .refer, line: "REFER L-3")
        #expect(result == .failure(CommandError(
            line: "REFER L-3", problem: "The REFER form is missing Need and Consent.",
            remedy: "Add them as Key: value lines under REFER L-3, one per line, for example:\n"
                + "Need: A new kitchen before summer\nConsent: yes")))
    }

    @Test("one missing key is named alone")
    func oneMissing() {
        let result = FormFields.parse(lines: [], spec: .join, line: "JOIN")
        #expect(result == .failure(CommandError(
            line: "JOIN", problem: "The JOIN form is missing Name.",
            remedy: "Add it as Key: value lines under JOIN, one per line, for example:\nName: Ann Lee")))
    }

    @Test("the known/required form works like a spec")
    func knownRequired() throws {
        let form = try FormFields.parse(
            lines: ["Colour: blue"], known: ["colour", "size"], required: ["colour"], form: "TEST", line: "TEST"
        ).get()
        #expect(form["colour"] == "blue")
        let missing = FormFields.parse(
            lines: [], known: ["colour"], required: ["colour"], form: "TEST", examples: ["colour": "red"], line: "TEST")
        #expect(missing == .failure(CommandError(
            line: "TEST", problem: "The TEST form is missing Colour.",
            remedy: "Add it as Key: value lines under TEST, one per line, for example:\nColour: red")))
    }

    @Test("yes and no read for Consent", arguments: [
        ("yes", true), ("Yes.", true), ("Y", true), ("agreed", true), ("no", false), ("No", false),
    ] as [(String, Bool)])
    func yesOrNo(text: String, expected: Bool) {
        #expect(FormFields.yesOrNo(text) == expected)
    }

    @Test("other consent answers are not read as yes")
    func unclearConsent() {
        #expect(FormFields.yesOrNo("maybe") == nil)
        #expect(FormFields.yesOrNo(nil) == nil)
    }
}
