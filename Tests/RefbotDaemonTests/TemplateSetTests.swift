import Foundation
import RefbotCore
import RefbotTemplates
import RefbotTestSupport
import Testing

@Suite("Mail templates")
struct TemplateSetTests {
    @Test("The shipped templates cover every event")
    func shippedSetIsComplete() throws {
        let templates = try TemplateSet(directory: templatesDirectory)
        for event in MailEvent.allCases {
            #expect(throws: Never.self) { _ = try templates.render(event, values: [:]) }
        }
    }

    @Test("A missing template stops start-up with an error naming the file")
    func missingTemplate() throws {
        let directory = try TemporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: templatesDirectory) where name != "help.txt" {
            try FileManager.default.copyItem(atPath: templatesDirectory + "/" + name, toPath: directory.path + "/" + name)
        }
        #expect {
            _ = try TemplateSet(directory: directory.path)
        } throws: { error in
            guard let error = error as? TemplateError else { return false }
            return error.code == .missing && error.message.contains("help.txt is missing")
        }
    }

    @Test("A text template without the TEXT content type is refused, so member text is never HTML-escaped in plain mail")
    func textPragmaRequired() throws {
        let directory = try TemporaryDirectory()
        for name in try FileManager.default.contentsOfDirectory(atPath: templatesDirectory) {
            try FileManager.default.copyItem(atPath: templatesDirectory + "/" + name, toPath: directory.path + "/" + name)
        }
        try "Subject: Hi\n\n{{line}}\n".write(toFile: directory.path + "/command.error.txt", atomically: true, encoding: .utf8)
        #expect(throws: TemplateError.self) { _ = try TemplateSet(directory: directory.path) }
    }

    @Test("Plain text keeps member text as written; the subject comes from the first line")
    func rendering() throws {
        let templates = try TemplateSet(directory: templatesDirectory)
        let mail = try templates.render(
            .commandError,
            values: ["line": "<b>Tom & Jerry</b>", "problem": "P.", "remedy": "R.", "originalSubject": "Q", "botName": "Net"])
        #expect(mail.subject == "We could not use your message: Q")
        #expect(mail.text.contains("> <b>Tom & Jerry</b>"))
        #expect(!mail.text.contains("&amp;"))
        #expect(mail.text.hasSuffix("\n"))
        #expect(!mail.text.contains("\n\n\n"))
    }

    @Test("The subject loses the white space at its ends, ASCII and Unicode spaces alike, and keeps what is inside")
    func subjectTrimmed() throws {
        let templates = try TemplateSet(directory: templatesDirectory)
        func subject(_ original: String) throws -> String {
            try templates.render(
                .commandError, values: ["line": "L", "problem": "P.", "remedy": "R.", "originalSubject": .text(original), "botName": "Net"]
            ).subject
        }
        #expect(try subject("Q \t ") == "We could not use your message: Q")
        #expect(try subject("Q\u{00A0}\u{2003}") == "We could not use your message: Q")
        #expect(try subject("Q\u{00A0}R") == "We could not use your message: Q\u{00A0}R")
        #expect(try subject("Café") == "We could not use your message: Café")
        #expect(try subject("") == "We could not use your message:")
    }
}
