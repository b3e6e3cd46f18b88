import Hummingbird
import Logging
import ServiceLifecycle

/// The HTTP server of the links (or of the metrics), as a Service for the daemon's ServiceGroup.
public struct LinkServer: Service {
    /// Which routes a listener serves.
    public enum Role: Sendable {
        /// The public one-click links, unsubscribe and a rate-limited `/healthz`, with the proxies
        /// whose `X-Forwarded-For` counts.
        case links(TrustedProxies)
        /// `/metrics` and `/healthz` for monitoring.
        case metrics
    }

    let site: LinkSite
    let role: Role
    let host: String
    let port: Int
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    /// `port` 0 picks a free port; `onRunning` gets the port actually bound.
    public init(
        site: LinkSite, role: Role = .links(TrustedProxies()), host: String, port: Int, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.site = site
        self.role = role
        self.host = host
        self.port = port
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        let onRunning = self.onRunning
        let logger = self.logger
        let host = self.host
        let router: Router<LinkRequestContext>
        let name: String
        switch role {
        case .links(let proxies):
            router = buildRouter(site: site, proxies: proxies)
            name = "HTTP server listening"
        case .metrics:
            router = buildMetricsRouter(site: site)
            name = "Metrics server listening"
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "refbot"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.info("\(name)", metadata: ["http.host": "\(host)", "http.port": "\(bound)"])
                await onRunning(bound)
            },
            logger: logger)
        try await app.run()
    }
}
