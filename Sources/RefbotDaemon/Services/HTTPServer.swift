import Foundation
import Logging
import RefbotCore
import RefbotHTTP
import ServiceLifecycle

/// The daemon's web side: one-click link pages, RFC 8058 unsubscribe and a rate-limited `/healthz`
/// on `http.listen` (spec §5), and `/metrics` with an unlimited `/healthz` on `http.metrics_listen`
/// (loopback by default; empty: none). Behind a reverse proxy, `http.trusted_proxies` says whose
/// `X-Forwarded-For` names the client. Not run by `--once`.
///
/// Failure modes: when an address cannot be bound (in use, no permission) the error is logged and
/// the bind retried every 30 seconds; mail keeps flowing meanwhile, and the links start working
/// once the address is free. Each listener retries on its own.
public struct HTTPServer: Service {
    public let site: LinkSite
    let server: LinkServer
    let metricsServer: LinkServer?
    let logger: Logger
    let listen: String
    let metricsListen: String

    public init(
        configuration: Configuration, actions: LinkActionRunner, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        onMetricsRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws {
        let pages = try Pages(directory: configuration.bot.templates)
        site = LinkSite(actions: actions, pages: pages, botName: configuration.bot.name)
        let (host, port) = try HTTPServer.hostAndPort(configuration.http.listen)
        let proxies: TrustedProxies
        do throws(TrustedProxies.InvalidNetwork) {
            proxies = try TrustedProxies(configuration.http.trustedProxies)
        } catch {
            throw ConfigError(problems: [
                .init(key: "http.trusted_proxies", problem: "\"\(error.entry)\" is not an address or CIDR", remedy: "write [\"127.0.0.1/32\"]")
            ])
        }
        server = LinkServer(site: site, role: .links(proxies), host: host, port: port, logger: logger, onRunning: onRunning)
        if configuration.http.metricsListen.isEmpty {
            metricsServer = nil
        } else {
            let (metricsHost, metricsPort) = try HTTPServer.hostAndPort(configuration.http.metricsListen, key: "http.metrics_listen")
            metricsServer = LinkServer(
                site: site, role: .metrics, host: metricsHost, port: metricsPort, logger: logger, onRunning: onMetricsRunning)
        }
        self.logger = logger
        listen = configuration.http.listen
        metricsListen = configuration.http.metricsListen
    }

    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.keepListening(self.server, key: "http.listen", address: self.listen) }
            if let metricsServer = self.metricsServer {
                group.addTask { await self.keepListening(metricsServer, key: "http.metrics_listen", address: self.metricsListen) }
            }
        }
    }

    /// Runs one listener until shutdown, retrying the bind every 30 seconds.
    func keepListening(_ server: LinkServer, key: String, address: String) async {
        while !Task.isCancelled {
            do {
                try await server.run()
                return
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                logger.error(
                    key == "http.listen" ? "HTTP server cannot listen; links do not work until it can" : "Metrics server cannot listen",
                    metadata: ["\(key)": "\(address)", "error": "\(error)"])
            }
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(30)) }
            } catch {
                return
            }
        }
    }

    /// `host:port` (or `[v6]:port`) split at its last colon.
    static func hostAndPort(_ listen: String, key: String = "http.listen") throws -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw ConfigError(problems: [.init(key: key, problem: "\"\(listen)\" is not host:port", remedy: "write 127.0.0.1:8080")])
        }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }
}

/// The link signing keys in `bot.secret_file`: one key per line, newest first. A missing file is
/// created (mode 0600) with one new random key, so links made before a restart keep working.
public enum LinkSecret {
    /// The keys in the file, creating it when missing. Throws a ``ConfigError`` naming the file
    /// when it cannot be read or made, or holds no key.
    public static func loadOrCreate(path: String) throws -> [LinkKey] {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            try create(path: path)
        }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw problem("\(path) cannot be read", remedy: "make it readable by the refbot user")
        }
        let keys = LinkKey.parse(fileText: text)
        guard !keys.isEmpty else {
            throw problem("\(path) holds no key", remedy: "delete it to have a new one made, or write a 64-digit hex key per line")
        }
        return keys
    }

    /// The keys in the file when it exists and holds any; otherwise none (nothing is created).
    public static func loadIfPresent(path: String) -> [LinkKey] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return LinkKey.parse(fileText: text)
    }

    /// Writes a new file with one random key; another process creating it first is fine.
    static func create(path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        // Written under a temporary name, then linked into place, so no reader sees half a file.
        let temporary = path + ".\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw problem("\(path) is missing and cannot be created (\(String(cString: strerror(errno))))", remedy: "create the folder \(directory) for the refbot user")
        }
        let line = "# refbot link signing keys, newest first\n" + LinkKey.random().fileLine + "\n"
        let written = line.utf8CString.withUnsafeBufferPointer { buffer in write(descriptor, buffer.baseAddress, buffer.count - 1) }
        fsync(descriptor)
        close(descriptor)
        defer { unlink(temporary) }
        guard written == line.utf8.count else { throw problem("\(path) cannot be written", remedy: "check the disk") }
        if link(temporary, path) != 0, errno != EEXIST {
            throw problem("\(path) cannot be created (\(String(cString: strerror(errno))))", remedy: "check the folder's permissions")
        }
    }

    static func problem(_ text: String, remedy: String) -> ConfigError {
        ConfigError(problems: [.init(key: "bot.secret_file", problem: text, remedy: remedy)])
    }
}
