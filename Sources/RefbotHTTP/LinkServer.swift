import Hummingbird
import Logging
import ServiceLifecycle

/// The HTTP server of the links, as a Service for the daemon's ServiceGroup.
public struct LinkServer: Service {
    let site: LinkSite
    let host: String
    let port: Int
    let logger: Logger
    let onRunning: @Sendable (Int) async -> Void

    /// `port` 0 picks a free port; `onRunning` gets the port actually bound.
    public init(
        site: LinkSite, host: String, port: Int, logger: Logger, onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) {
        self.site = site
        self.host = host
        self.port = port
        self.logger = logger
        self.onRunning = onRunning
    }

    public func run() async throws {
        let onRunning = self.onRunning
        let logger = self.logger
        let host = self.host
        let app = Application(
            router: buildRouter(site: site),
            configuration: .init(address: .hostname(host, port: port), serverName: "refbot"),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? 0
                logger.info("HTTP server listening", metadata: ["http.host": "\(host)", "http.port": "\(bound)"])
                await onRunning(bound)
            },
            logger: logger)
        try await app.run()
    }
}
