import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A TCP relay on 127.0.0.1 to a server on loopback that plays a server ending a client's kept
/// connection while it sits idle:
///
/// - ``closeOpenConnections()`` closes every relayed connection now (both sides), as a server's idle
///   timeout does: the client can see the close before it sends again;
/// - ``dropOnNextClientBytes(after:)`` leaves the open connections looking alive, and closes each one
///   the moment its client sends anything more, without passing it on: the server went away just as
///   the client began (the race an idle timeout leaves open). With `after`, that many more bytes
///   pass first (the cut then falls inside a large message).
///
/// It only counts and closes, so it works the same under TLS.
///
/// ```swift
/// let proxy = try IdleDropProxy(targetPort: stack.submissionPort)
/// defer { proxy.stop() }
/// // point the client at 127.0.0.1:\(proxy.port), send, then:
/// proxy.dropOnNextClientBytes()
/// #expect(proxy.connections == 2)   // after the next send
/// ```
public final class IdleDropProxy: Sendable {
    /// The port clients connect to.
    public let port: Int
    private let targetPort: Int
    private let listener: Int32
    private let state = Mutex(State())

    private struct State {
        var connections = 0
        var drops = 0
        /// Open connections by client descriptor: their server descriptor.
        var open: [Int32: Int32] = [:]
        /// Client descriptors whose bytes end their connection, with how many may still pass.
        var armed: [Int32: Int] = [:]
        var stopped = false
    }

    /// Listens on a free loopback port and relays each connection to `targetPort`.
    public init(targetPort: Int) throws {
        self.targetPort = targetPort
        (listener, port) = try LoopbackSocket.listen()
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    /// Connections accepted so far.
    public var connections: Int { state.withLock { $0.connections } }
    /// Connections this proxy ended (either way) so far.
    public var drops: Int { state.withLock { $0.drops } }
    /// Connections open now.
    public var openConnections: Int { state.withLock { $0.open.count } }

    /// Closes every open connection, both sides, now.
    public func closeOpenConnections() {
        let open = state.withLock { state -> [Int32: Int32] in
            state.drops += state.open.count
            return state.open
        }
        for (client, server) in open {
            shutdown(server, Int32(SHUT_RDWR))
            shutdown(client, Int32(SHUT_RDWR))
        }
    }

    /// Ends each connection open now as soon as its client sends more than `after` further bytes
    /// (those past the allowance are not passed on).
    public func dropOnNextClientBytes(after allowance: Int = 0) {
        state.withLock { state in
            for client in state.open.keys { state.armed[client] = allowance }
        }
    }

    /// Stops listening and closes every relayed connection. Safe to call more than once.
    public func stop() {
        let open = state.withLock { state -> [Int32: Int32]? in
            guard !state.stopped else { return nil }
            state.stopped = true
            return state.open
        }
        guard let open else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        for (client, server) in open {
            shutdown(server, Int32(SHUT_RDWR))
            shutdown(client, Int32(SHUT_RDWR))
        }
    }

    deinit {
        stop()
        close(listener)
    }

    private func acceptLoop() {
        LoopbackSocket.relay(from: listener, to: targetPort) { client, server in
            state.withLock { state -> Bool in
                guard !state.stopped else { return false }
                state.connections += 1
                state.open[client] = server
                return true
            }
        } start: { client, server in
            // The pair is released once both pumps have ended.
            let pending = Atomic(2)
            let finish: @Sendable () -> Void = { [self] in
                guard pending.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 else { return }
                state.withLock { state in
                    state.open[client] = nil
                    state.armed[client] = nil
                }
                close(client)
                close(server)
            }
            Thread { [self] in
                pump(from: client, to: server, client: client)
                finish()
            }.start()
            Thread { [self] in
                pump(from: server, to: client, client: nil)
                finish()
            }.start()
        }
    }

    /// Copies bytes until either side closes. From a client (`client` set) whose connection is
    /// armed, bytes past its allowance end the connection instead.
    private func pump(from source: Int32, to destination: Int32, client: Int32?) {
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            // An armed connection passes what its allowance leaves, then ends.
            let (passing, drop) = client.map { client in
                state.withLock { state -> (Int, Bool) in
                    guard let left = state.armed[client] else { return (count, false) }
                    if left >= count {
                        state.armed[client] = left - count
                        return (count, false)
                    }
                    state.armed[client] = nil
                    state.drops += 1
                    return (left, true)
                }
            } ?? (count, false)
            guard forward(buffer, count: passing, to: destination), !drop else { break }
        }
        shutdown(destination, Int32(SHUT_RDWR))
        shutdown(source, Int32(SHUT_RDWR))
    }

    /// Sends the first `count` bytes of `buffer`; false when the destination is gone.
    @discardableResult
    private func forward(_ buffer: [UInt8], count: Int, to destination: Int32) -> Bool {
        var sent = 0
        while sent < count {
            let written = buffer.withUnsafeBytes { send(destination, $0.baseAddress! + sent, count - sent, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { break }
            sent += written
        }
        return sent == count
    }

}
