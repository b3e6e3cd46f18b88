import RefbotCore
import RefbotMail

extension MailComposer {
    /// The numbered items of a dashboard or digest (`waiting`), each with its own links: for every
    /// word the item takes, `mailto:` its own tagged address with the word as subject and body
    /// and, when links are signed, a one-click link for that word on that tag (as a single
    /// notification's `actionLinks`). News without a tag (SHOW L-n) gets a `mailto:` to refbot's
    /// address. The clear tag (`itemTag`) is dropped from what the template sees.
    func itemLinkValues(_ values: [String: TemplateValue], now: Int64) -> [String: TemplateValue] {
        guard case .list(let items)? = values["waiting"] else { return values }
        var values = values
        values["waiting"] = .list(
            items.map { item in
                guard case .object(var entry) = item, case .list(let words)? = entry["wordList"] else { return item }
                var tag: String?
                if case .text(let token)? = entry["itemTag"] { tag = token }
                var ref = ""
                if case .text(let named)? = entry["ref"] { ref = named }
                entry["itemTag"] = nil
                entry["links"] = .list(
                    words.compactMap { value -> TemplateValue? in
                        guard case .text(let word) = value else { return nil }
                        if let tag {
                            let address = TaggedAddress.make(base: botAddress, tag: tag)
                            var link: [String: TemplateValue] = [
                                "word": .text(word), "mailto": .text("mailto:\(address)?subject=\(word)&body=\(word)"),
                            ]
                            if let url = linkURL(tag: tag, word: word, now: now) { link["url"] = .text(url) }
                            return .object(link)
                        }
                        let command = "\(word)%20\(ref)"
                        return .object([
                            "word": .text(word), "mailto": .text("mailto:\(botAddress.address)?subject=\(command)&body=\(command)"),
                        ])
                    })
                return .object(entry)
            })
        return values
    }
}
