import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// The request context of the link server: Hummingbird's core context plus the client's address
/// (for rate limiting).
public struct LinkRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer's IP address, or `"local"` when it has none (tests, Unix sockets).
    public let clientAddress: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "local"
    }

    /// A context with no channel, for driving the router in-process.
    public init(logger: Logger, clientAddress: String) {
        coreContext = .init(source: LinkContextSource(logger: logger))
        self.clientAddress = clientAddress
    }

    /// Forms and unsubscribe posts are small.
    public var maxUploadSize: Int { 16 * 1024 }
}

/// The source of an in-process ``LinkRequestContext``.
struct LinkContextSource: RequestContextSource {
    let logger: Logger
}

/// The routes of the public link server: `/a/<token>`, `/u/<token>` and `/healthz`, each under the
/// per-client rate limit. The client is the peer, or what a peer in `proxies` forwards
/// (`X-Forwarded-For`). `/metrics` is not here: it has its own listener (``buildMetricsRouter(site:)``).
public func buildRouter(site: LinkSite, proxies: TrustedProxies = TrustedProxies()) -> Router<LinkRequestContext> {
    let router = Router(context: LinkRequestContext.self)
    @Sendable func client(_ request: Request, _ context: LinkRequestContext) -> String {
        proxies.client(peer: context.clientAddress, forwardedFor: request.headers[values: forwardedFor])
    }
    router.get("/a/:token") { request, context in
        respond(await site.showLink(token(context), client: client(request, context)), head: false)
    }
    router.head("/a/:token") { request, context in
        respond(await site.showLink(token(context), client: client(request, context)), head: true)
    }
    router.post("/a/:token") { request, context in
        guard let form = await form(of: request) else { return respond(site.errorPage(LinkPageError.malformed), head: false) }
        return respond(await site.postLink(token(context), form: form, client: client(request, context)), head: false)
    }
    router.get("/u/:token") { request, context in
        respond(await site.showUnsubscribe(token(context), client: client(request, context)), head: false)
    }
    router.head("/u/:token") { request, context in
        respond(await site.showUnsubscribe(token(context), client: client(request, context)), head: true)
    }
    router.post("/u/:token") { request, context in
        guard let form = await form(of: request) else { return respond(site.errorPage(LinkPageError.malformed), head: false) }
        return respond(await site.postUnsubscribe(token(context), form: form, client: client(request, context)), head: false)
    }
    router.get("/healthz") { request, context in respond(await site.healthz(client: client(request, context)), head: false) }
    router.head("/healthz") { request, context in respond(await site.healthz(client: client(request, context)), head: true) }
    return router
}

/// The routes of the metrics listener (`http.metrics_listen`, loopback by default): `/metrics` and
/// `/healthz`, without a rate limit (only monitoring reaches it).
public func buildMetricsRouter(site: LinkSite) -> Router<LinkRequestContext> {
    let router = Router(context: LinkRequestContext.self)
    router.get("/metrics") { _, _ in respond(await site.metrics(), head: false) }
    router.get("/healthz") { _, _ in respond(await site.healthz(), head: false) }
    router.head("/healthz") { _, _ in respond(await site.healthz(), head: true) }
    return router
}

private let forwardedFor = HTTPField.Name("X-Forwarded-For")!

private func token(_ context: LinkRequestContext) -> String {
    context.parameters.get("token") ?? ""
}

/// The urlencoded form of a POST, or nil when it is too large or not text.
private func form(of request: Request) async -> [String: String]? {
    var request = request
    guard let buffer = try? await request.collectBody(upTo: 16 * 1024) else { return nil }
    return LinkSite.parseForm(String(buffer: buffer))
}

private func respond(_ page: WebResponse, head: Bool) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = page.contentType
    for (name, value) in page.headers.sorted(by: { $0.key < $1.key }) {
        if let field = HTTPField.Name(name) { headers[field] = value }
    }
    let bytes = ByteBuffer(string: page.body)
    headers[.contentLength] = "\(bytes.readableBytes)"
    return Response(
        status: HTTPResponse.Status(code: page.status), headers: headers,
        body: head ? ResponseBody() : ResponseBody(byteBuffer: bytes))
}
