import Foundation
import RefbotCore

/// A page or a plain answer, before it becomes an HTTP response.
public struct WebResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: String
    public var headers: [String: String]

    public init(status: Int, contentType: String = "text/html; charset=utf-8", body: String, headers: [String: String] = [:]) {
        self.status = status
        self.contentType = contentType
        self.body = body
        self.headers = headers
    }
}

/// The web side of the links: what each route answers, independent of the HTTP server.
///
/// `GET`/`HEAD /a/<token>` only describe; `POST /a/<token>` acts, and only with the form nonce that the
/// page's button carries (an HMAC of the token under a key made when the process started, so no
/// cookie is needed and no other site can make a working form).
public struct LinkSite: Sendable {
    let actions: any LinkActions
    let pages: Pages
    let botName: String
    let formKey: LinkKey
    let limiter: RateLimiter
    let clock: @Sendable () -> Double

    public init(
        actions: any LinkActions, pages: Pages, botName: String, limiter: RateLimiter = RateLimiter(),
        formKey: LinkKey = .random(), clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.actions = actions
        self.pages = pages
        self.botName = botName
        self.formKey = formKey
        self.limiter = limiter
        self.clock = clock
    }

    /// The longest path token accepted before answering 400.
    static let maxTokenLength = 200

    /// `GET /a/<token>` (and `HEAD`): the page saying what the button does. Never acts.
    public func showLink(_ token: String, client: String, note: String? = nil, status: Int = 200) async -> WebResponse {
        guard limiter.allow(client, now: clock()) else { return errorPage(LinkPageError.rateLimited) }
        guard token.utf8.count <= LinkSite.maxTokenLength else { return errorPage(LinkPageError.malformed) }
        do {
            let description = try await actions.describe(token: token)
            return confirmPage(description, token: token, path: "/a/\(token)", note: note, status: status)
        } catch {
            return errorPage(error)
        }
    }

    /// `POST /a/<token>`: acts once, through the daemon, when the form nonce is genuine.
    public func postLink(_ token: String, form: [String: String], client: String) async -> WebResponse {
        guard limiter.allow(client, now: clock()) else { return errorPage(LinkPageError.rateLimited) }
        guard token.utf8.count <= LinkSite.maxTokenLength else { return errorPage(LinkPageError.malformed) }
        guard let nonce = form["form"], formKey.isValid(signature: nonce, for: "a/" + token) else {
            return await showLink(
                token, client: client,
                note: "This page was out of date, so nothing was done yet. Press the button again to go ahead.",
                status: LinkPageError.staleForm.status)
        }
        let reason = form["reason"]?.trimmingCharacters(in: .whitespacesAndNewlines)
        do {
            let outcome = try await actions.perform(token: token, reason: reason?.isEmpty == false ? reason : nil)
            return outcomePage(outcome)
        } catch {
            return errorPage(error)
        }
    }

    func confirmPage(_ description: LinkDescription, token: String, path: String, note: String?, status: Int) -> WebResponse {
        let word = description.word.uppercased()
        let label = LinkSite.buttonLabel(word)
        var values: [String: Any] = [
            "botName": botName, "title": description.ref.map { "\(label) \($0)?" } ?? "\(label)?",
            "summary": description.summary, "action": path, "formNonce": formKey.sign(path.dropFirst().description),
            "asksForReason": description.asksForReason, "button": description.ref.map { "\(label) \($0)" } ?? label,
            "word": word, "expires": LinkSite.dateText(description.expiresAt),
        ]
        if let note { values["note"] = note }
        return WebResponse(status: status, body: pages.render("confirm", values), headers: LinkSite.pageHeaders)
    }

    func outcomePage(_ outcome: LinkOutcome) -> WebResponse {
        let what = outcome.ref.map { "\(outcome.word) for \($0)" } ?? outcome.word
        if outcome.finished, outcome.refused {
            let detail = outcome.answerSubject.map { "We have mailed you why: “\($0)”." }
            return messagePage(status: 200, title: "Not done: \(what)", message: "Your \(what) could not be done as things stand.", detail: detail)
        }
        if outcome.finished {
            let detail = outcome.answerSubject.map { "We have mailed you the answer: “\($0)”." }
            return messagePage(status: 200, title: "Done: \(what)", message: "Your \(what) went through, just as if you had replied by mail.", detail: detail)
        }
        return messagePage(
            status: 202, title: "We are working on it",
            message: "Your \(what) has been received and will be acted on in a moment.",
            detail: "The answer will come by mail.")
    }

    func errorPage(_ error: any Error) -> WebResponse {
        let pageError = (error as? LinkPageError) ?? .unavailable
        switch pageError {
        case .malformed:
            return messagePage(status: 400, title: "This is not a working link", message: "The address looks cut short or mistyped.", detail: "Copy the whole link from the mail, or reply to the mail instead.")
        case .notFound:
            return messagePage(status: 404, title: "Link not found", message: "This link is not one we made, or it was changed on the way.", detail: "Reply to the mail instead; the reply word works just as well.")
        case .expired(let at):
            return messagePage(status: 410, title: "This link has expired", message: "The link stopped working on \(LinkSite.dateText(at)).", detail: "Reply to the mail, or send HELP to \(botName) to see what you can do now.")
        case .used(let word, let ref, let at):
            let what = ref.map { "\(word) for \($0)" } ?? word
            return messagePage(status: 410, title: "Already done", message: "This link was used on \(LinkSite.dateText(at)): \(what) was sent then.", detail: "A link works once, so nothing more was done.")
        case .staleForm:
            return messagePage(status: 400, title: "Please try again", message: "This page was out of date, so nothing was done.", detail: "Open the link from the mail again.")
        case .rateLimited:
            var response = messagePage(status: 429, title: "Too many requests", message: "Too many requests came from your address in a short time.", detail: "Wait a minute, then try again.")
            response.headers["Retry-After"] = "60"
            return response
        case .unavailable:
            return messagePage(status: 503, title: "Please try again shortly", message: "We could not do that just now. Nothing was changed.", detail: "Try again in a minute, or reply to the mail instead.")
        }
    }

    func messagePage(status: Int, title: String, message: String, detail: String?) -> WebResponse {
        var values: [String: Any] = ["botName": botName, "title": title, "message": message]
        if let detail { values["detail"] = detail }
        return WebResponse(status: status, body: pages.render("message", values), headers: LinkSite.pageHeaders)
    }

    static let pageHeaders = [
        "Cache-Control": "no-store", "X-Robots-Tag": "noindex, nofollow", "Referrer-Policy": "no-referrer",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
    ]

    static func buttonLabel(_ word: String) -> String {
        switch word {
        case "STOP": "Unsubscribe"
        case "AGREE": "Agree"
        default: word.prefix(1) + word.dropFirst().lowercased()
        }
    }

    static func dateText(_ seconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "d MMMM yyyy 'at' HH:mm 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// Parses an `application/x-www-form-urlencoded` body.
    public static func parseForm(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            let name = decode(parts[0])
            if fields[name] == nil { fields[name] = parts.count > 1 ? decode(parts[1]) : "" }
        }
        return fields
    }
}
