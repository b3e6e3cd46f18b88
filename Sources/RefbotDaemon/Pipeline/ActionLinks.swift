import RefbotCore
import RefbotMail

extension MailComposer {
    /// `actionLinks` for a notification that asks for answers (`actions: ["ACCEPT", "REJECT"]` with a
    /// `replyTag`): one entry per word with `word`, `mailto` (the tagged address, the word as subject
    /// and body) and, when links are signed, `url` (`<bot.base_url>/a/<token>`, or `/u/<token>` for
    /// STOP). Also `hasActionLinks`, and `hasWebLinks` when links are signed.
    func actionLinkValues(for notification: Notification, now: Int64) -> [String: TemplateValue] {
        guard let tag = notification.replyTag, !notification.actions.isEmpty else {
            return ["hasActionLinks": false, "hasWebLinks": false]
        }
        let address = TaggedAddress.make(base: botAddress, tag: tag)
        let links: [TemplateValue] = notification.actions.map { raw in
            let word = raw.uppercased()
            var entry: [String: TemplateValue] = [
                "word": .text(word), "mailto": .text("mailto:\(address)?subject=\(word)&body=\(word)"),
            ]
            if let url = linkURL(tag: tag, word: word, now: now) { entry["url"] = .text(url) }
            return .object(entry)
        }
        let hasWeb = linkKeys.first != nil
        return ["actionLinks": .list(links), "hasActionLinks": true, "hasWebLinks": .flag(hasWeb)]
    }

    /// The signed web link that runs `word` as a reply to `tag`, or nil when no key is loaded. The
    /// link names the tag by its hash, never in clear.
    public func linkURL(tag: String, word: String, now: Int64) -> String? {
        guard let key = linkKeys.first else { return nil }
        var generator = SystemRandomNumberGenerator()
        let expiresAt = now + Int64(configuration.links.expiryDays) * 86_400
        let token = LinkToken(tagHash: ReplyTag.hash(tag), word: word.uppercased(), expiresAt: expiresAt, using: &generator)
        let path = word.uppercased() == "STOP" ? "u" : "a"
        return "\(configuration.bot.baseURL)/\(path)/\(token.signed(with: key))"
    }
}
