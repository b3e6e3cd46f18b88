import RefbotCore

extension LinkSite {
    /// `GET /u/<token>`: a page with the unsubscribe button. Never acts.
    public func showUnsubscribe(_ token: String, client: String) async -> WebResponse {
        guard limiter.allow(client, now: clock()) else { return errorPage(LinkPageError.rateLimited) }
        guard token.utf8.count <= LinkSite.maxTokenLength else { return errorPage(LinkPageError.malformed) }
        do {
            let description = try await actions.describe(token: token)
            guard description.word == "STOP" else { return errorPage(LinkPageError.notFound) }
            return confirmPage(description, token: token, path: "/u/\(token)", note: nil, status: 200)
        } catch {
            return errorPage(error)
        }
    }

    /// `POST /u/<token>`: RFC 8058 one-click unsubscribe (body `List-Unsubscribe=One-Click`, sent
    /// by the mail client), or the button of the page above.
    public func postUnsubscribe(_ token: String, form: [String: String], client: String) async -> WebResponse {
        guard limiter.allow(client, now: clock()) else { return errorPage(LinkPageError.rateLimited) }
        guard token.utf8.count <= LinkSite.maxTokenLength else { return errorPage(LinkPageError.malformed) }
        let oneClick = form["List-Unsubscribe"] == "One-Click"
        let fromPage = form["form"].map { formKey.isValid(signature: $0, for: "u/" + token) } ?? false
        guard oneClick || fromPage else { return errorPage(LinkPageError.staleForm) }
        do {
            guard try await actions.describe(token: token).word == "STOP" else { return errorPage(LinkPageError.notFound) }
            let outcome = try await actions.perform(token: token, reason: nil)
            if outcome.finished {
                return messagePage(
                    status: 200, title: "You are unsubscribed",
                    message: "\(botName) will send you no more announcements or digests.",
                    detail: outcome.answerSubject.map { "We have mailed you a last note: “\($0)”." })
            }
            return outcomePage(outcome)
        } catch {
            return errorPage(error)
        }
    }
}
